"""`/hero` — HERO projects from the message box."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.ids import Kind, format_id, parse_id
from bot.projects import service
from bot.projects import views as project_views
from bot.projects.service import LIST_FILTERS, ProjectDraft
from bot.projects.stages import parse_stage
from bot.runtime import Runtime
from handlers.common import (
    CommandReply,
    Subcommand,
    actor_of,
    register_command,
    split_words,
    team_of,
    user_of,
)
from handlers.projects_flow import announce_created, announce_stage, open_new_project_modal


def register(app: AsyncApp, runtime: Runtime) -> None:
    register_command(app, runtime, "/hero", SUBCOMMANDS, lambda problem: CommandReply(project_views.usage(problem)))


def usage(problem: str) -> CommandReply:
    return CommandReply(project_views.usage(problem))


async def _new(runtime: Runtime, body: dict[str, Any], title: str, client: AsyncWebClient) -> CommandReply:
    if not title.strip():
        await open_new_project_modal(runtime, client, body, channel_id=body.get("channel_id"))
        return CommandReply()
    actor = await actor_of(runtime, client, body)
    accepted = await service.accepted_compact(runtime.database, actor.team_id, actor.user_id)
    project = await service.create_project(runtime.database, actor, ProjectDraft(title=title), now=runtime.now())
    return CommandReply(
        project_views.created_confirmation(project, needs_details=True, remind_compact=not accepted),
        follow_up=lambda: announce_created(runtime, client, project),
    )


async def _list(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    filter_name = (rest.strip().lower() or "mine").split()[0]
    if filter_name not in LIST_FILTERS:
        return usage(f"`{filter_name}` is not a list I know.")
    actor = await actor_of(runtime, client, body)
    page = await service.list_project_lines(runtime.database, actor, filter_name)
    return CommandReply(project_views.project_list(page))


def _project_id(text: str) -> int | None:
    return parse_id(Kind.PROJECT, text)


async def _show(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    project_id = _project_id(rest)
    if project_id is None:
        return usage("Name a project, e.g. `/hero show HERO-12`.")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        project = await service.get_project(session, actor.team_id, project_id)
        notes = await service.project_notes(session, actor.team_id, project_id)
    return CommandReply(project_views.project_detail(project, notes, can_change=service.may_change(actor, project)))


async def _update(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    target, note = split_words(rest, 2)
    project_id = _project_id(target)
    if project_id is None or not note.strip():
        return usage("Name the project and write the note, e.g. `/hero update HERO-12 answered 40 tweets`.")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        added = await service.add_note(session, actor, project_id, note, now=runtime.now())
        project = await service.get_project(session, actor.team_id, project_id)
    return CommandReply(project_views.note_added(project, added.body))


async def _stage(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    target, stage_word, note = split_words(rest, 3)
    project_id, stage = _project_id(target), parse_stage(stage_word)
    if project_id is None or stage is None:
        return usage(
            "Name the project and a stage (proposed, active, launched, paused, retired), "
            "e.g. `/hero stage HERO-12 active`."
        )
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        change = await service.change_stage(session, actor, project_id, stage, note, now=runtime.now())
    name = format_id(Kind.PROJECT, project_id)
    text = f":white_check_mark: {name} moved from *{change.from_stage.value}* to *{change.to_stage.value}*."
    return CommandReply({"text": text}, follow_up=lambda: announce_stage(runtime, client, change, user_of(body)))


async def _stats(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    async with runtime.database.unit_of_work() as session:
        stats = await service.project_stats(session, team_of(body))
    return CommandReply(project_views.stats_message(stats))


async def _compact(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    accepted = await service.accepted_compact(runtime.database, team_of(body), user_of(body))
    return CommandReply(project_views.compact_message(accepted=accepted))


SUBCOMMANDS: dict[str, Subcommand] = {
    "new": _new,
    "list": _list,
    "show": _show,
    "update": _update,
    "stage": _stage,
    "stats": _stats,
    "compact": _compact,
}
