"""Steps the complaint listeners and the ingestion API share: logging with race safety, and telling people.

Every capture path (command, shortcut, reaction, API) logs through `log_drafts`: one write that
stores and routes the complaints and writes their notices to the outbox. After it commits, `announce`
hands them to this process's outbox drainer, which sends the owner's card or the triage post and runs
the crisis check — notifications never hold the transaction open and never undo a stored complaint, and
a crash before they are sent leaves them in the outbox for the next start (see `bot.complaints.outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from bot.complaints import lifecycle, outbox, service
from bot.complaints import views as complaint_views
from bot.complaints.service import ComplaintDraft, Logged
from bot.runtime import Runtime
from handlers.common import post_safely
from storage.models import Complaint

log = logging.getLogger("herobot.complaints")

ATTEMPTS = 3


async def log_drafts(
    runtime: Runtime, client: AsyncWebClient, team_id: str, created_by: str, drafts: Sequence[ComplaintDraft]
) -> list[Logged]:
    """Store, route and enqueue the notices in one transaction. A concurrent insert of the same post (unique
    key) rolls this one back; running it again finds that complaint, so the caller gets its ID and never a
    second row (nor a second notice)."""
    for attempt in range(1, ATTEMPTS + 1):
        # The notices are leased to this process's drainer from the start when it runs (`announce` hands
        # them over): nothing is claimed after the commit.
        lease = runtime.outbox.lease_for_new() if runtime.outbox is not None else None
        then = partial(outbox.enqueue, lease_until=lease)
        try:
            return await service.log_complaints(runtime, client, team_id, created_by, drafts, then=then)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("a complaint was logged concurrently; reading it back (attempt %s)", attempt)
    raise AssertionError("unreachable")


async def announce(runtime: Runtime, logged: Sequence[Logged]) -> None:
    """After the commit: have the new complaints' notices sent now, and wait until they were (or were handed
    back for a retry). Waiting keeps them in this request's work in flight, which shutdown and tests wait on."""
    created = [item for item in logged if item.created]
    if created and runtime.outbox is not None:
        held = [item.notice for item in created if item.notice is not None]
        await runtime.outbox.announced([item.complaint.id for item in created], held)


async def send_owner_card(runtime: Runtime, client: AsyncWebClient, complaint: Complaint, tags: Sequence[str]) -> None:
    if not complaint.owner_id:
        return
    card = complaint_views.owner_card(complaint, tags, runtime.now())
    answer = await post_safely(client, complaint.owner_id, card)
    if answer and answer.get("channel") and answer.get("ts"):
        async with runtime.database.unit_of_work() as session:
            await service.remember_owner_card(
                session, complaint.team_id, complaint.id, str(answer["channel"]), str(answer["ts"])
            )


async def refresh_owner_card(runtime: Runtime, client: AsyncWebClient, complaint: Complaint) -> None:
    """Show the complaint's new state on its owner's DM card, wherever the change was made."""
    if not (complaint.owner_dm_channel and complaint.owner_dm_ts):
        return
    async with runtime.database.unit_of_work() as session:
        tags = await service.tags_of(session, complaint)
    card = complaint_views.owner_card(complaint, tags, runtime.now())
    try:
        await client.chat_update(channel=complaint.owner_dm_channel, ts=complaint.owner_dm_ts, **card)
    except SlackApiError as error:
        log.warning("could not update the card of %s: %s", complaint.id, error.response.get("error"))


async def after_change(
    runtime: Runtime, client: AsyncWebClient, change: lifecycle.Change, *, previous_card: tuple[str, str] | None = None
) -> None:
    """Tell whoever needs to know: a new owner gets a card (the old card says who has it now), else the card updates."""
    complaint = change.complaint
    if change.action == "assigned":
        if previous_card:
            try:
                await client.chat_update(
                    channel=previous_card[0],
                    ts=previous_card[1],
                    **complaint_views.handed_over_card(complaint, change.before_owner),
                )
            except SlackApiError as error:
                log.warning("could not update the old card of %s: %s", complaint.id, error.response.get("error"))
        async with runtime.database.unit_of_work() as session:
            tags = await service.tags_of(session, complaint)
        await send_owner_card(runtime, client, complaint, tags)
        return
    await refresh_owner_card(runtime, client, complaint)


async def fetch_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """One message by channel and ts: a top-level message from the history, a thread reply from its thread."""
    try:
        answer = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        for message in answer.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        answer = await client.conversations_replies(channel=channel, ts=ts, latest=ts, inclusive=True, limit=1)
        for message in answer.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
    except SlackApiError as error:
        log.warning("could not read message %s in %s: %s", ts, channel, error.response.get("error"))
    return None


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    try:
        answer = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as error:
        log.info("no permalink for %s in %s: %s", ts, channel, error.response.get("error"))
        return None
    link = answer.get("permalink")
    return str(link) if link else None


async def reply_in_thread(
    runtime: Runtime,
    client: AsyncWebClient,
    complaint: Complaint,
    channel: str,
    thread_ts: str,
    payload: dict[str, Any],
) -> None:
    """Answer under the Slack message the complaint came from; the reply's ts is kept on the complaint."""
    answer = await post_safely(client, channel, payload, thread_ts=thread_ts)
    if answer and answer.get("ts"):
        async with runtime.database.unit_of_work() as session:
            await service.remember_thread_reply(session, complaint.team_id, complaint.id, str(answer["ts"]))
