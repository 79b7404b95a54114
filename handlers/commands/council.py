"""`/council` — councils and their digests: create, list, show, preview, post, edit, pause, resume, delete, help.

Changing a council is for admins (HERO_ADMINS or Slack workspace admins, looked up on the server);
anyone may list, show and preview.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.councils import service
from bot.councils import views as council_views
from bot.councils.digest_views import digest_message
from bot.councils.runs import DigestNotPosted, post_digest, upload_chart
from bot.councils.scheduling import reschedule
from bot.runtime import Runtime
from handlers.common import (
    CommandReply,
    Subcommand,
    actor_of,
    register_command,
)


def register(app: AsyncApp, runtime: Runtime) -> None:
    register_command(app, runtime, "/council", SUBCOMMANDS, lambda problem: CommandReply(council_views.usage(problem)))


def usage(problem: str) -> CommandReply:
    return CommandReply(council_views.usage(problem))


def _needs_name(sub: str) -> CommandReply:
    return usage(f"Name the council, e.g. `/council {sub} CX council`.")


async def _create(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if rest:
        return usage("`/council create` takes nothing after it: the form asks for the rest.")
    actor = await actor_of(runtime, client, body)
    service.require_admin(actor, "create councils")
    person = await runtime.directory.person(client, actor.team_id, actor.user_id)
    draft = service.CouncilDraft(zone=person.tz)
    view = council_views.council_modal(draft, channel_id=body.get("channel_id"))
    await client.views_open(trigger_id=body["trigger_id"], view=view)
    return CommandReply()


async def _edit(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if not rest:
        return _needs_name("edit")
    actor = await actor_of(runtime, client, body)
    service.require_admin(actor, "edit councils")
    async with runtime.database.unit_of_work() as session:
        council = await service.find(session, actor.team_id, rest)
    view = council_views.council_modal(
        service.draft_of(council), council_id=council.id, channel_id=body.get("channel_id")
    )
    await client.views_open(trigger_id=body["trigger_id"], view=view)
    return CommandReply()


async def _list(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if rest:
        return usage("`/council list` takes nothing after it.")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        councils = await service.list_councils(session, actor.team_id)
    return CommandReply(council_views.council_list(councils, runtime.now(), is_admin=actor.is_admin))


async def _show(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if not rest:
        return _needs_name("show")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        council = await service.find(session, actor.team_id, rest)
        runs = await service.recent_runs(session, council)
    return CommandReply(council_views.council_detail(council, runs, runtime.now()))


async def _preview(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if not rest:
        return _needs_name("preview")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work(background=True) as session:
        council = await service.find(session, actor.team_id, rest)
        digest = await service.digest_so_far(session, council, now=runtime.now())
    return CommandReply(digest_message(digest, preview=True))


async def _post(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if not rest:
        return _needs_name("post")
    actor = await actor_of(runtime, client, body)
    service.require_admin(actor, "post digests")
    async with runtime.database.unit_of_work(background=True) as session:
        council = await service.find(session, actor.team_id, rest)
        digest = await service.digest_so_far(session, council, now=runtime.now())
    ts: str | None = None
    reason: str | None = None
    try:
        ts = await post_digest(client, council.channel_id, digest)
    except DigestNotPosted as error:
        reason = str(error)
    async with runtime.database.unit_of_work() as session:
        service.record_manual_post(session, actor, council, ts, reason)
    if ts is None:
        return CommandReply(council_views.notice(f":warning: The digest of *{council.name}* was not posted: {reason}."))
    posted_ts = ts

    async def chart() -> None:
        if digest.chart is not None:
            await upload_chart(client, council.channel_id, posted_ts, digest)

    text = f":white_check_mark: Posted the digest of *{council.name}* so far in <#{council.channel_id}>."
    return CommandReply(council_views.notice(text), follow_up=chart)


async def _pause_or_resume(
    runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient, *, paused: bool
) -> CommandReply:
    if not rest:
        return _needs_name("pause" if paused else "resume")
    actor = await actor_of(runtime, client, body)
    async with runtime.database.unit_of_work() as session:
        council = await service.set_paused(session, actor, rest, paused, now=runtime.now())
    reschedule(runtime, council)
    if paused:
        text = f":double_vertical_bar: Paused *{council.name}*: no digest until `/council resume {council.name}`."
    else:
        text = f":arrow_forward: Resumed *{council.name}*: {council_views.council_line(council, runtime.now())}."
    return CommandReply(council_views.notice(text))


async def _pause(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    return await _pause_or_resume(runtime, body, rest, client, paused=True)


async def _resume(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    return await _pause_or_resume(runtime, body, rest, client, paused=False)


async def _delete(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if not rest:
        return _needs_name("delete")
    actor = await actor_of(runtime, client, body)
    service.require_admin(actor, "delete councils")
    async with runtime.database.unit_of_work() as session:
        council = await service.find(session, actor.team_id, rest)
    return CommandReply(council_views.delete_confirmation(council))


SUBCOMMANDS: dict[str, Subcommand] = {
    "create": _create,
    "new": _create,
    "list": _list,
    "show": _show,
    "preview": _preview,
    "post": _post,
    "edit": _edit,
    "pause": _pause,
    "resume": _resume,
    "delete": _delete,
}
