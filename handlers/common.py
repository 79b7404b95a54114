"""What every listener shares: who is acting, where to answer them, and turning UserError into a reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as bk
from bot.errors import UserError
from bot.permissions import Actor
from bot.runtime import Runtime

log = logging.getLogger("herobot.handlers")

Respond = Callable[..., Awaitable[Any]]


def team_of(body: dict[str, Any]) -> str:
    return body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""


def user_of(body: dict[str, Any]) -> str:
    return body.get("user_id") or (body.get("user") or {}).get("id") or ""


async def actor_of(runtime: Runtime, client: AsyncWebClient, body: dict[str, Any], *, reviewer: bool = False) -> Actor:
    """The acting person, with roles looked up on the server — never taken from the payload."""
    return await runtime.directory.actor(client, team_of(body), user_of(body), reviewer=reviewer)


def warning(text: str) -> dict[str, Any]:
    line = f":warning: {text}"
    return bk.message(line, [bk.section(line)])


async def tell(body: dict[str, Any], client: AsyncWebClient, respond: Respond | None, payload: dict[str, Any]) -> None:
    """Answer only the person who acted, on the surface they acted from.

    Commands and message buttons carry a response_url (an ephemeral reply); a click inside a modal
    gets a small modal pushed on top; a click on the Home tab gets a direct message.
    """
    if body.get("response_url") and respond is not None:
        await respond(response_type="ephemeral", replace_original=False, **payload)
        return
    view = body.get("view") or {}
    if view.get("type") == "modal" and body.get("trigger_id"):
        from bot.projects.views import notice_modal

        try:
            await client.views_push(trigger_id=body["trigger_id"], view=notice_modal(payload["text"]))
            return
        except SlackApiError as error:
            log.warning("could not push a notice: %s", error.response.get("error"))
    await post_safely(client, user_of(body), payload)


async def post_safely(
    client: AsyncWebClient, channel: str | None, payload: dict[str, Any], **extra: Any
) -> dict[str, Any] | None:
    """Post a notification; a missing or uninvited channel is logged, never fails the user's action."""
    if not channel:
        return None
    try:
        answer = await client.chat_postMessage(channel=channel, **payload, **extra)
        return dict(answer.data) if isinstance(answer.data, dict) else None
    except SlackApiError as error:
        reason = error.response.get("error")
        hint = " — invite the bot with /invite @herobot" if reason == "not_in_channel" else ""
        log.warning("could not post to %s: %s%s", channel, reason, hint)
        return None


@asynccontextmanager
async def answering(body: dict[str, Any], client: AsyncWebClient, respond: Respond | None) -> AsyncIterator[None]:
    """Run a use case; a UserError becomes a short ephemeral answer and nothing is stored."""
    try:
        yield
    except UserError as error:
        await tell(body, client, respond, warning(str(error)))


def split_words(text: str, parts: int) -> list[str]:
    """`stage HERO-1 active because…` → ['stage', 'HERO-1', 'active because…'] for parts=3."""
    pieces = (text or "").strip().split(None, parts - 1)
    return pieces + [""] * (parts - len(pieces))


ANSWER_IN_ACK_SECONDS = 1.0


@dataclass
class CommandReply:
    """What a slash command shows its user, and work that may wait until after that answer."""

    payload: dict[str, Any] | None = None
    follow_up: Callable[[], Awaitable[None]] | None = None


async def answer_command(ack: Any, respond: Respond, produce: Callable[[], Awaitable[CommandReply]]) -> None:
    """Answer a slash command in its ack when the answer is ready quickly, else ack now and respond later.

    A reply carried in the ack costs one HTTP round trip less than a reply to the response_url. The
    budget keeps the ack far inside Slack's 3 seconds even when the database is slow; past it an empty
    ack goes out while the work goes on, and the reply follows through the response_url. Follow-ups
    (announcements in channels) always run after the answer. The work runs in the listener's own task;
    a timer sends the early ack (no second task and no wait on it for every command).
    """
    late: asyncio.Task[Any] | None = None

    def ack_now() -> None:
        nonlocal late
        late = asyncio.ensure_future(ack())

    timer = asyncio.get_running_loop().call_later(ANSWER_IN_ACK_SECONDS, ack_now)
    try:
        reply = await produce()
    except BaseException:
        timer.cancel()
        await (late if late is not None else ack())
        raise
    timer.cancel()
    payload = {"response_type": "ephemeral", **reply.payload} if reply.payload is not None else None
    if late is None:
        await (ack(**payload) if payload else ack())
    else:
        await late
        if payload:
            await respond(**payload)
    if reply.follow_up is not None:
        await reply.follow_up()


async def user_errors_as_reply(produce: Callable[[], Awaitable[CommandReply]]) -> CommandReply:
    """A UserError becomes the command's ephemeral answer; the unit of work it escaped was rolled back."""
    try:
        return await produce()
    except UserError as error:
        return CommandReply(warning(str(error)))


Subcommand = Callable[["Runtime", dict[str, Any], str, AsyncWebClient], Awaitable[CommandReply]]


def register_command(
    app: AsyncApp,
    runtime: Runtime,
    command: str,
    subcommands: dict[str, Subcommand],
    usage: Callable[[str | None], CommandReply],
    *,
    refusals: Callable[[Callable[[], Awaitable[CommandReply]]], Awaitable[CommandReply]] | None = None,
) -> None:
    """A slash command made of sub-commands: `help`, nothing or an unknown word answers with the usage.

    Each sub-command gets the rest of the text and answers with a CommandReply, in the ack when it
    can (see `answer_command`). A UserError it raises becomes its ephemeral answer (`refusals` may
    word it differently), and the unit of work it escaped was rolled back.
    """
    as_reply = refusals or user_errors_as_reply

    @app.command(command)
    async def listener(ack: Any, body: dict[str, Any], respond: Respond, client: AsyncWebClient) -> None:
        sub, rest = split_words(body.get("text", ""), 2)
        handler = subcommands.get(sub.lower())

        async def produce() -> CommandReply:
            if handler is None:
                return usage(None if sub.lower() in ("", "help") else f"I don't know `{command} {sub}`.")
            return await as_reply(lambda: handler(runtime, body, rest.strip(), client))

        await answer_command(ack, respond, produce)
