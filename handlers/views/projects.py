"""Submissions of the project modals: new project, edited details, progress note."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput, UserError
from bot.ids import ProjectAction
from bot.projects import service
from bot.projects import views as project_views
from bot.projects.views import ProjectModalMeta, draft_from_state
from bot.runtime import Runtime
from handlers.common import actor_of, log, post_safely
from handlers.home import publish_home
from handlers.projects_flow import announce_created


def _meta(view: dict[str, Any]) -> ProjectModalMeta:
    try:
        return ProjectModalMeta.model_validate_json(view.get("private_metadata") or "{}")
    except ValidationError:  # only a rewritten submission carries anything else
        return ProjectModalMeta()


async def _refuse(ack: Any, error: UserError, default_field: str) -> None:
    field = error.field if isinstance(error, InvalidInput) and error.field else default_field
    await ack(response_action="errors", errors={field: str(error)})


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.view(ProjectAction.NEW_MODAL)
    async def new_project_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        actor = await actor_of(runtime, client, body)
        draft = draft_from_state(view["state"]["values"])
        try:
            accepted = await service.accepted_compact(runtime.database, actor.team_id, actor.user_id)
            project = await service.create_project(runtime.database, actor, draft, now=runtime.now())
        except UserError as error:
            await _refuse(ack, error, "title")
            return
        await ack()
        confirmation = project_views.created_confirmation(project, needs_details=False, remind_compact=not accepted)
        await _confirm(client, _meta(view).channel_id, actor.user_id, confirmation)
        await announce_created(runtime, client, project)

    @app.view(ProjectAction.DETAILS_MODAL)
    async def details_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await actor_of(runtime, client, body)
        project_id = _meta(view).project_id
        if project_id is None:
            await ack()
            return
        try:
            async with runtime.database.unit_of_work() as session:
                project = await service.update_details(
                    session, actor, project_id, draft_from_state(view["state"]["values"]), now=runtime.now()
                )
        except UserError as error:
            await _refuse(ack, error, "title")
            return
        await ack()
        text = f":white_check_mark: Saved the details of *{service.label(project)}: {project.title}*."
        await _confirm(client, _meta(view).channel_id, actor.user_id, {"text": text})

    @app.view(ProjectAction.NOTE_MODAL)
    async def note_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await actor_of(runtime, client, body)
        project_id = _meta(view).project_id
        note = (view["state"]["values"].get("note", {}).get("value", {}).get("value") or "").strip()
        if project_id is None:
            await ack()
            return
        try:
            async with runtime.database.unit_of_work() as session:
                await service.add_note(session, actor, project_id, note, now=runtime.now())
                project = await service.get_project(session, actor.team_id, project_id)
                notes = await service.project_notes(session, actor.team_id, project_id)
        except UserError as error:
            await _refuse(ack, error, "note")
            return
        root = view.get("root_view_id")
        if root and root != view.get("id"):
            # Pushed on top of the project card: close the note and show the card with it.
            await ack()
            card = project_views.project_view_modal(project, notes, can_change=service.may_change(actor, project))
            await client.views_update(view_id=root, view=card)
        else:
            notice = f":memo: Added to the timeline of *{service.label(project)}*."
            await ack(response_action="update", view=project_views.notice_modal(notice))
        await publish_home(runtime, client, actor.team_id, actor.user_id)


async def _confirm(client: AsyncWebClient, channel_id: str | None, user_id: str, payload: dict[str, Any]) -> None:
    """Confirm ephemerally where the person started, or by DM when that channel can't be used."""
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info(
                "ephemeral confirmation in %s failed (%s); sending a DM",
                channel_id,
                error.response.get("error"),
            )
    await post_safely(client, user_id, payload)
