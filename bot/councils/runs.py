"""A digest run: claim the (council, period) in the database, compose the digest, post it, record how it went.

Exactly once: the claim is an INSERT on a unique key, committed before anything is posted, so of two
instances (or a restart) firing for one period only the claimant posts. A run that failed (Slack down,
the bot not in the channel) is retried by the council's next run, marked late; a claim whose instance
died before finishing is taken over once it is stale (the outcome says when, so the scheduler can look again
then rather than at the council's next period). A run is late when it posts well after its time:
the bot was down then, and this is the start-up catching up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.councils.cadence import Period
from bot.councils.chart import render_chart
from bot.councils.digest import Digest, compose_digest
from bot.councils.digest_views import digest_message
from bot.councils.service import cadence_of
from bot.runtime import Runtime
from storage.repositories.councils import CouncilRepository

log = logging.getLogger("herobot.councils")

# A scheduler may wake a hair before the second it was asked for; the period that ends then is still due.
FIRE_GRACE = timedelta(seconds=2)
LATE_AFTER = timedelta(minutes=30)
STALE_CLAIM = timedelta(minutes=15)
MAX_ATTEMPTS = 5


class DigestNotPosted(Exception):
    """Slack refused the digest; the message says why in words for `/council show`."""


@dataclass(frozen=True)
class Outcome:
    status: str  # posted | skipped | failed | taken (another run has it)
    ts: str | None = None
    reason: str | None = None
    retake_at: datetime | None = None  # taken by a run still unfinished: when its claim goes stale


async def run_due(runtime: Runtime, council_id: int) -> list[Outcome]:
    """What the council's scheduled job does: retry the previous period if it failed, then post the period
    that has just ended (at start-up: the latest one missed, if any)."""
    now = runtime.now()
    async with runtime.database.unit_of_work() as session:
        repository = CouncilRepository(session)
        council = await repository.by_id(council_id)
        if council is None or council.paused:
            return []
        cadence = cadence_of(council)
        due = cadence.period_due(now + FIRE_GRACE)
        retry = await repository.latest_retryable_before(council.id, due.start)
        retry_period = Period(retry.period_start, retry.period_end) if retry is not None else None
    outcomes = []
    if retry_period is not None and retry_period.end >= due.start - due.length:
        outcomes.append(await attempt(runtime, council_id, retry_period, late=True))
    if due.end > council.active_since:
        outcomes.append(await attempt(runtime, council_id, due, late=now - due.end > LATE_AFTER))
    return outcomes


async def attempt(runtime: Runtime, council_id: int, period: Period, *, late: bool) -> Outcome:
    run_id, retake_at = await _claim(runtime, council_id, period, late=late)
    if run_id is None:
        return Outcome("taken", retake_at=retake_at)
    now = runtime.now()
    channel_id: str | None = None  # where the digest went, once it did
    try:
        async with runtime.database.unit_of_work(background=True) as session:
            council = await CouncilRepository(session).by_id(council_id)
            run = await CouncilRepository(session).get_run(run_id)
            if council is None or run is None:
                return Outcome("taken")  # deleted meanwhile: its runs went with it
            previous = cadence_of(council).previous(period)
            digest = await compose_digest(session, council, period, previous, now=now, late=run.late)
        if council.skip_quiet and not digest.happened:
            outcome = Outcome("skipped")
        else:
            client = await runtime.client_for(council.team_id)
            ts = await post_digest(client, council.channel_id, digest)
            outcome, channel_id = Outcome("posted", ts=ts), council.channel_id
    except DigestNotPosted as error:
        outcome = Outcome("failed", reason=str(error))
    except Exception as error:
        log.exception("the digest of council %s for %s could not be made", council_id, period.end.isoformat())
        outcome = Outcome("failed", reason=f"an error in herobot ({type(error).__name__}); see its log")
    async with runtime.database.unit_of_work() as session:
        await CouncilRepository(session).finish(
            run_id,
            outcome.status,
            now=runtime.now(),
            ts=outcome.ts,
            channel_id=channel_id if outcome.ts else None,
            reason=outcome.reason,
        )
    if outcome.status == "posted" and outcome.ts and channel_id and digest.chart is not None:
        await upload_chart(client, channel_id, outcome.ts, digest)
    if outcome.status == "failed":
        log.warning("council %s: digest for %s not posted: %s", council_id, period.end.isoformat(), outcome.reason)
    return outcome


async def _claim(
    runtime: Runtime, council_id: int, period: Period, *, late: bool
) -> tuple[int | None, datetime | None]:
    """The run's id once claimed; otherwise None, and when the claim that holds it will be stale if that
    one is still unfinished (its instance may have died mid-run: a crash, a SIGKILL, a lost host)."""
    now = runtime.now()
    async with runtime.database.unit_of_work() as session:
        repository = CouncilRepository(session)
        council = await repository.by_id(council_id)
        if council is None:
            return None, None
        run_id = await repository.claim(council, period.start, period.end, now=now, late=late)
        if run_id is not None:
            return run_id, None
        existing = await repository.run_for(council_id, period.start)
        if existing is None:
            return None, None
        if await repository.retake(existing.id, now=now, stale_before=now - STALE_CLAIM, max_attempts=MAX_ATTEMPTS):
            return existing.id, None
        if existing.status == "running" and existing.attempts < MAX_ATTEMPTS:
            return None, existing.claimed_at + STALE_CLAIM + timedelta(seconds=1)
    return None, None


async def post_digest(client: AsyncWebClient, channel_id: str, digest: Digest) -> str:
    """Post the digest in its channel (joining it first if it is public and the bot is not in it); its ts."""
    payload = digest_message(digest)
    try:
        answer = await client.chat_postMessage(channel=channel_id, **payload, unfurl_links=False)
    except (TimeoutError, aiohttp.ClientError) as error:
        raise DigestNotPosted(f"Slack did not answer ({type(error).__name__}); retried at the next run") from None
    except SlackApiError as error:
        if error.response.get("error") != "not_in_channel" or not await join_channel(client, channel_id):
            raise DigestNotPosted(_slack_reason(error, channel_id)) from None
        try:
            answer = await client.chat_postMessage(channel=channel_id, **payload, unfurl_links=False)
        except SlackApiError as again:
            raise DigestNotPosted(_slack_reason(again, channel_id)) from None
    return str(answer["ts"])


def _slack_reason(error: SlackApiError, channel_id: str) -> str:
    code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
    if code == "not_in_channel":
        return f"herobot is not in <#{channel_id}>: invite it with `/invite @herobot`"
    if code in ("channel_not_found", "is_archived"):
        return f"<#{channel_id}> is gone or archived ({code}): `/council edit` to pick another channel"
    return f"Slack refused the post ({code})"


async def join_channel(client: AsyncWebClient, channel_id: str) -> bool:
    """Join a public channel; False when the bot can't (a private channel must invite it)."""
    try:
        await client.conversations_join(channel=channel_id)
        return True
    except SlackApiError as error:
        log.info("could not join %s: %s", channel_id, error.response.get("error"))
        return False


async def upload_chart(client: AsyncWebClient, channel_id: str, thread_ts: str, digest: Digest) -> None:
    """The chart goes in the digest's thread; a failure here leaves the digest posted, and is only logged."""
    assert digest.chart is not None
    try:
        png = await asyncio.to_thread(render_chart, digest.chart, f"{digest.council_name}: complaints per day")
        filename = "complaints-per-day.png"
        started = await client.files_getUploadURLExternal(filename=filename, length=len(png))
        await _send_bytes(client, str(started["upload_url"]), png)
        await client.files_completeUploadExternal(
            files=[{"id": str(started["file_id"]), "title": "Complaints per day, by status"}],
            channel_id=channel_id,
            thread_ts=thread_ts,
        )
    except Exception:
        log.exception("the chart of %s's digest could not be uploaded", digest.council_name)


async def _send_bytes(client: AsyncWebClient, url: str, content: bytes) -> None:
    session: Any = client.session
    if session is not None and not session.closed:
        await _post(session, url, content)
        return
    async with aiohttp.ClientSession() as own:
        await _post(own, url, content)


async def _post(session: aiohttp.ClientSession, url: str, content: bytes) -> None:
    async with session.post(url, data=content, timeout=aiohttp.ClientTimeout(total=30)) as response:
        if response.status >= 300:
            raise DigestNotPosted(f"the chart upload answered HTTP {response.status}")
