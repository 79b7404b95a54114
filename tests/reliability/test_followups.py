"""What the bot posts on its own — reminders, crisis alerts, council digests — when Slack fails under it
(429 with Retry-After, 500, a post that hangs) or the process dies mid-post: retried, never lost, never
doubled. (Refusals such as a channel the bot is not in are in tests/integration.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import update

from bot.console import demo
from bot.console.fake_slack import FakeSlack, Message
from bot.councils.runs import STALE_CLAIM, run_due
from bot.councils.scheduling import RETAKE_PREFIX
from storage.db import Database
from storage.models import CouncilRun
from storage.repositories.councils import CouncilRepository
from tests.conftest import Harness
from tests.integration.council_helpers import add_council, channel_messages, runs, shown
from tests.integration.routing_helpers import Clock, posted, use_clock
from tests.integration.test_council_schedule import fixed_clock, start_scheduler
from tests.integration.test_crisis_alerts import alerts, log
from tests.reliability.helpers import Server, sqlite_database

# The Slack client and the claims are under test here, not the database: SQLite only.
database = pytest.fixture(sqlite_database)

NINE = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
RATE_LIMITED_THROUGH_RETRIES = 4  # the first try and the client's three rate-limit retries
HUNG_THROUGH_RETRIES = 3  # the first try and the client's two retries after a connection error


def posts_to(harness: Harness, channel: str) -> int:
    return sum(1 for call in harness.fake.calls_to("chat.postMessage") if call.get("channel") == channel)


async def test_a_digest_rate_limited_once_waits_its_retry_after_and_posts_once(harness: Harness) -> None:
    await add_council(harness.database, NINE - timedelta(days=1), frequency="daily", at="09:00", zone="UTC")
    harness.fake.channels[demo.CX_COUNCIL].bot_is_member = True
    harness.hero.runtime.now = lambda: NINE
    harness.fake.fail("chat.postMessage", 429, retry_after=1)
    [outcome] = await run_due(harness.hero.runtime, 1)
    assert outcome.status == "posted" and len(channel_messages(harness)) == 1
    assert posts_to(harness, demo.CX_COUNCIL) == 2  # the 429, then the retry after Retry-After
    [run] = await runs(harness.database)
    assert (run.status, run.attempts, run.ts) == ("posted", 1, outcome.ts)


async def test_a_digest_rate_limited_past_its_retries_is_posted_once_by_the_next_run(harness: Harness) -> None:
    await add_council(harness.database, NINE - timedelta(days=1), frequency="daily", at="09:00", zone="UTC")
    harness.fake.channels[demo.CX_COUNCIL].bot_is_member = True
    harness.hero.runtime.now = lambda: NINE
    harness.fake.fail("chat.postMessage", 429, times=RATE_LIMITED_THROUGH_RETRIES, retry_after=0)
    [failed] = await run_due(harness.hero.runtime, 1)
    assert failed.status == "failed" and "Slack" in (failed.reason or "") and channel_messages(harness) == []

    harness.hero.runtime.now = lambda: NINE + timedelta(days=1)
    assert [o.status for o in await run_due(harness.hero.runtime, 1)] == ["posted", "posted"]
    assert [o.status for o in await run_due(harness.hero.runtime, 1)] == ["taken"]  # and nothing more
    late, today = channel_messages(harness)
    assert "Posted late" in shown(late) and "Posted late" not in shown(today)
    assert [(r.status, r.attempts) for r in await runs(harness.database)] == [("posted", 2), ("posted", 1)]


async def test_a_crisis_alert_rate_limited_past_its_retries_is_raised_once_by_the_next_complaint(
    harness: Harness,
) -> None:
    use_clock(harness, Clock())
    for _ in range(4):
        await log(harness, "outage")
    harness.fake.fail("chat.postMessage", 429, times=RATE_LIMITED_THROUGH_RETRIES, retry_after=0)
    await log(harness, "outage")
    assert posted(harness, demo.CRISIS) == [] and await alerts(harness) == []  # withdrawn, not lost
    await log(harness, "outage")
    [alert] = posted(harness, demo.CRISIS)
    assert "*6 complaints*" in shown(alert)
    await log(harness, "outage")
    assert len(posted(harness, demo.CRISIS)) == 1 and "*7 complaints*" in shown(alert)


async def test_a_crisis_alert_whose_post_hangs_is_raised_once_by_the_next_complaint(harness: Harness) -> None:
    use_clock(harness, Clock())
    for _ in range(4):
        await log(harness, "outage")
    harness.hero.runtime.client.timeout = 0.3
    harness.fake.fail("chat.postMessage", 500, times=HUNG_THROUGH_RETRIES, hang_seconds=0.5)
    await log(harness, "outage")
    harness.hero.runtime.client.timeout = 10
    assert posted(harness, demo.CRISIS) == [] and await alerts(harness) == []
    await log(harness, "outage")
    [alert] = posted(harness, demo.CRISIS)
    assert "*6 complaints*" in shown(alert)
    [stored] = await alerts(harness)
    assert stored.ts == alert.ts


async def test_a_period_held_by_a_run_that_died_is_posted_once_its_claim_is_stale(harness: Harness) -> None:
    """An instance claimed 09:00's period and died before posting. The restarted bot does not post while
    the claim could still be live, then takes it over at the minute it goes stale — not a day later."""
    council = await add_council(harness.database, NINE - timedelta(days=1), frequency="daily", at="09:00")
    harness.fake.channels[demo.CX_COUNCIL].bot_is_member = True
    async with harness.database.unit_of_work() as session:
        await CouncilRepository(session).claim(council, NINE - timedelta(days=1), NINE, now=NINE, late=False)
    clock = fixed_clock(NINE + timedelta(minutes=5))
    scheduler = start_scheduler(harness, clock)  # the restart: start-up catch-up first
    await scheduler.tick()
    assert channel_messages(harness) == []
    assert f"{RETAKE_PREFIX}{council.id}" in scheduler.job_ids()
    clock.advance(STALE_CLAIM - timedelta(minutes=5) + timedelta(seconds=1))
    await scheduler.tick()
    [digest] = channel_messages(harness)
    clock.advance(timedelta(minutes=30))
    await scheduler.tick()
    assert channel_messages(harness) == [digest]
    [run] = await runs(harness.database)
    assert (run.status, run.attempts, run.late, run.ts) == ("posted", 2, True, digest.ts)


async def test_sigkill_while_the_digest_is_being_posted_then_restart_posts_it_once(
    fake: FakeSlack, database: Database, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    # A daily council whose latest period ended three hours ago: the start-up catch-up posts it.
    at = (now - timedelta(hours=3)).strftime("%H:%M")
    await add_council(database, now - timedelta(days=3), frequency="daily", at=at, zone="UTC")
    fake.channels[demo.CX_COUNCIL].bot_is_member = True
    server = Server(fake, database, tmp_path)
    async with aiohttp.ClientSession() as http:
        try:
            fake.fail("chat.postMessage", 500, hang_seconds=3)
            await server.start(http)
            await fake.wait_for(lambda: fake.calls_to("chat.postMessage"), within=20)
            server.kill()  # mid-post: the period is claimed, nothing is in the channel
            [run] = await runs(database)
            assert (run.status, run.ts) == ("running", None)
            assert _digests(fake) == []

            # The bot stays down long enough for the dead run's claim to go stale, then comes back.
            async with database.unit_of_work() as session:
                await session.execute(update(CouncilRun).values(claimed_at=run.claimed_at - STALE_CLAIM))
            fake.failures.clear()
            await server.start(http)
            await fake.wait_for(lambda: _digests(fake), within=20)
            run = await _finished(database)
            assert (run.status, run.attempts, run.late) == ("posted", 2, True)
            [digest] = _digests(fake)
            assert run.ts == digest.ts and "Posted late" in shown(digest)
        finally:
            server.stop()


async def _finished(database: Database) -> CouncilRun:
    """The council's one run, once the process that posted its digest has recorded how it went."""
    for _ in range(200):
        [run] = await runs(database)
        if run.status != "running":
            return run
        await asyncio.sleep(0.05)
    raise AssertionError("the run was never finished")


def _digests(fake: FakeSlack) -> list[Message]:
    return [m for m in fake.messages.get(demo.CX_COUNCIL, []) if m.thread_ts is None]
