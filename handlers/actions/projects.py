"""Buttons and selects on project messages, modals and the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.councils.service import choices as council_choices
from bot.errors import NotFound, PermissionDenied
from bot.ids import ProjectAction, parse_record_number
from bot.projects import service
from bot.projects import views as project_views
from bot.projects.stages import parse_stage
from bot.runtime import Runtime
from handlers.common import Respond, actor_of, answering, tell, user_of
from handlers.home import publish_home
from handlers.projects_flow import announce_stage, open_new_project_modal, open_or_push


def _project_id(action: dict[str, Any]) -> int:
    raw = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    project_id = parse_record_number(str(raw).split(":", 1)[0])
    if project_id is None:  # only a rewritten payload carries anything else
        raise NotFound("That button names no project. Try `/hero list all`.")
    return project_id


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(ProjectAction.OPEN_NEW)
    async def open_new(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        channel = (body.get("channel") or {}).get("id")
        await open_new_project_modal(runtime, client, body, channel_id=channel)

    @app.action(ProjectAction.VIEW)
    async def view_project(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            project, notes = await service.project_card(runtime.database, actor.team_id, _project_id(action))
            view = project_views.project_view_modal(project, notes, can_change=service.may_change(actor, project))
            await open_or_push(client, body, view)

    @app.action(ProjectAction.ADD_DETAILS)
    async def edit_details(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            async with runtime.database.unit_of_work() as session:
                project = await service.get_project(session, actor.team_id, _project_id(action))
                councils = await council_choices(session, actor.team_id)
            if not service.may_change(actor, project):
                raise PermissionDenied(
                    f"Only the owner, the team members or an admin can edit {service.label(project)}."
                )
            channel = (body.get("channel") or {}).get("id")
            view = project_views.project_modal(
                project_views.draft_of(project), project_id=project.id, channel_id=channel, councils=councils
            )
            await open_or_push(client, body, view)

    @app.action(ProjectAction.ADD_NOTE)
    async def add_note(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            project, _ = await service.project_card(runtime.database, actor.team_id, _project_id(action), notes=0)
            if not service.may_change(actor, project):
                raise PermissionDenied(
                    f"Only the owner, the team members or an admin can add notes to {service.label(project)}."
                )
            await open_or_push(client, body, project_views.note_modal(project))

    @app.action(ProjectAction.CHANGE_STAGE)
    async def change_stage(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        raw = (action.get("selected_option") or {}).get("value", "")
        number, _, stage_word = str(raw).partition(":")
        project_id, stage = parse_record_number(number), parse_stage(stage_word)
        if project_id is None or stage is None:
            return
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            async with runtime.database.unit_of_work() as session:
                change = await service.change_stage(session, actor, project_id, stage, now=runtime.now())
                notes = await service.project_notes(session, actor.team_id, change.project.id)
            await _refresh(runtime, body, client, respond, change.project, notes, actor)
            await announce_stage(runtime, client, change, actor.user_id)

    @app.action(ProjectAction.ACCEPT_COMPACT)
    async def accept_compact(ack: Any, body: dict[str, Any], respond: Respond, client: AsyncWebClient) -> None:
        await ack()
        actor = await actor_of(runtime, client, body)
        async with runtime.database.unit_of_work() as session:
            await service.accept_compact(session, actor)
        await tell(body, client, respond, project_views.compact_accepted())
        if body.get("view"):  # accepted from the Home tab or a modal opened there
            await publish_home(runtime, client, actor.team_id, actor.user_id)

    @app.action(ProjectAction.SHOW_COMPACT)
    async def show_compact(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        compact = project_views.compact_message(accepted=False)
        await open_or_push(
            client,
            body,
            project_views.bk.modal("hero_compact", "The HERO compact", compact["blocks"], submit=None, close="Close"),
        )


async def _refresh(
    runtime: Runtime,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: Respond,
    project: Any,
    notes: Any,
    actor: Any,
) -> None:
    """Show the project's new state where the person changed it."""
    container = body.get("container") or {}
    can_change = service.may_change(actor, project)
    if container.get("type") == "view" and (body.get("view") or {}).get("type") == "modal":
        await client.views_update(
            view_id=body["view"]["id"],
            view=project_views.project_view_modal(project, notes, can_change=can_change),
        )
    elif (body.get("view") or {}).get("type") == "home":
        await publish_home(runtime, client, actor.team_id, user_of(body))
    elif body.get("response_url"):
        await respond(replace_original=True, **project_views.project_detail(project, notes, can_change=can_change))
