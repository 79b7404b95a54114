"""`/complaint` — social complaints from the message box: add, list, show, assign, respond, resolve, dismiss, link, rules."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import lifecycle, queries, service
from bot.complaints import views as complaint_views
from bot.complaints.capture import draft_from_command
from bot.ids import Kind, parse_id, parse_user_mention
from bot.runtime import Runtime
from handlers.commands import complaint_rules
from handlers.common import (
    CommandReply,
    Subcommand,
    actor_of,
    register_command,
    split_words,
    team_of,
    user_of,
)
from handlers.complaints_flow import after_change, announce, log_drafts


def register(app: AsyncApp, runtime: Runtime) -> None:
    register_command(app, runtime, "/complaint", SUBCOMMANDS, lambda problem: usage(runtime, problem))


def usage(runtime: Runtime, problem: str | None) -> CommandReply:
    return CommandReply(complaint_views.usage(problem, runtime.settings.hero_complaint_emoji))


async def _add(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if not rest:
        return usage(runtime, "Give the post's link or what the customer said, e.g. `/complaint add https://x.com/…`.")
    draft = draft_from_command(rest).validated()
    team_id = team_of(body)
    logged = (await log_drafts(runtime, client, team_id, user_of(body), [draft]))[0]
    return CommandReply(
        complaint_views.command_logged(logged, runtime.now()),
        follow_up=lambda: announce(runtime, [logged]),
    )


async def _list(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    parsed = queries.parse_filter(rest)
    if parsed is None:
        return usage(runtime, f"`{rest}` is not a list I know.")
    filter_name, page = parsed
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        shown = await queries.list_complaints(session, actor, filter_name, page, runtime.now())
    return CommandReply(complaint_views.complaint_list(shown))


def _complaint_id(text: str) -> int | None:
    return parse_id(Kind.COMPLAINT, text)


async def _show(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    complaint_id = _complaint_id(rest)
    if complaint_id is None:
        return usage(runtime, "Name a complaint, e.g. `/complaint show COMP-12`.")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        shown = await queries.detail(session, actor.team_id, complaint_id)
    can_act = service.may_act(actor, shown.complaint)
    return CommandReply(complaint_views.complaint_detail(shown, runtime.now(), can_act=can_act))


async def _assign(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    target, person, note = split_words(rest, 3)
    complaint_id, owner_id = _complaint_id(target), parse_user_mention(person.removeprefix("@"))
    if complaint_id is None or owner_id is None:
        return usage(runtime, "Name the complaint and the person, e.g. `/complaint assign COMP-12 @maya`.")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        before = await service.get_complaint(session, actor.team_id, complaint_id)
        card = service.owner_card_of(before)
        change = await lifecycle.assign(session, actor, complaint_id, owner_id, runtime.now(), note)
    return CommandReply(
        complaint_views.change_confirmation(change.complaint, change.action),
        follow_up=lambda: after_change(runtime, client, change, previous_card=card),
    )


def _step(name: str, verb: str, *, note_required: bool = False) -> Subcommand:
    async def step(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
        target, note = split_words(rest, 2)
        complaint_id = _complaint_id(target)
        if complaint_id is None or (note_required and not note.strip()):
            example = f"`/complaint {name} COMP-12 {'<reason>' if note_required else '<note>'}`"
            return usage(runtime, f"Name the complaint{' and say why' if note_required else ''}, e.g. {example}.")
        actor = await actor_of(runtime, client, body)
        action = getattr(lifecycle, verb)
        async with runtime.database.unit_of_work() as session:
            change = await action(session, actor, complaint_id, note, runtime.now())
        return CommandReply(
            complaint_views.change_confirmation(change.complaint, change.action),
            follow_up=lambda: after_change(runtime, client, change),
        )

    return step


async def _link(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    target, project_word, extra = split_words(rest, 3)
    complaint_id, project_id = _complaint_id(target), parse_id(Kind.PROJECT, project_word)
    if complaint_id is None or project_id is None or extra:
        return usage(runtime, "Name the complaint and the project, e.g. `/complaint link COMP-12 HERO-3`.")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        change = await lifecycle.link_project(session, actor, complaint_id, project_id, runtime.now())
    return CommandReply(complaint_views.change_confirmation(change.complaint, change.action))


async def _rules(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    return await complaint_rules.rules(runtime, body, rest, client)


SUBCOMMANDS: dict[str, Subcommand] = {
    "add": _add,
    "list": _list,
    "show": _show,
    "assign": _assign,
    "respond": _step("respond", "respond"),
    "resolve": _step("resolve", "resolve"),
    "dismiss": _step("dismiss", "dismiss", note_required=True),
    "link": _link,
    "rules": _rules,
}
