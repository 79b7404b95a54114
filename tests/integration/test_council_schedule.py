"""Digests on time and exactly once: local times across DST, two instances racing, a restart, a retry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.console import demo
from bot.console.workspace import Clock, ManualScheduler
from bot.councils.runs import run_due
from bot.councils.scheduling import register_jobs
from storage.models import Council
from tests.conftest import Harness, MakeHarness
from tests.integration.council_helpers import add_council, channel_messages, last_ephemeral, runs, shown

JUNE_10 = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)


def fixed_clock(at: datetime) -> Clock:
    return Clock(real=lambda: at)


def start_scheduler(harness: Harness, clock: Clock) -> ManualScheduler:
    """The app's jobs as `herobot serve` registers them, fired by the test's clock instead of the wall clock."""
    harness.hero.runtime.now = clock.now
    scheduler = ManualScheduler(harness.hero.runtime, clock)
    scheduler.start([register_jobs])
    return scheduler


async def test_councils_fire_at_their_local_times_across_a_dst_change(harness: Harness) -> None:
    clock = fixed_clock(datetime(2025, 3, 27, 12, 0, tzinfo=UTC))
    db = harness.database
    daily = await add_council(db, clock.now(), name="Daily", frequency="daily", at="09:00", zone="Europe/Berlin")
    weekly = await add_council(
        db, clock.now(), name="Weekly", frequency="weekly", weekday=6, at="02:30", zone="Europe/Berlin"
    )
    monthly = await add_council(
        db, clock.now(), name="Monthly", frequency="monthly", day_of_month=31, at="09:00", zone="America/New_York"
    )
    cron = await add_council(db, clock.now(), name="Cron", frequency="cron", cron="0 9 * * 1-5", zone="Europe/Berlin")
    scheduler = start_scheduler(harness, clock)
    step = timedelta(minutes=20)
    while clock.now() < datetime(2025, 4, 1, 12, 0, tzinfo=UTC):
        await scheduler.tick()
        clock.advance(step)

    def fired(council: Council, zone: str) -> list[str]:
        mine = [run for run in stored if run.council_id == council.id]
        assert all(run.status == "posted" and not run.late for run in mine), [
            (r.status, r.late, r.reason, r.period_end, r.claimed_at) for r in mine
        ]
        assert all(timedelta(0) <= run.claimed_at - run.period_end < step for run in mine), [
            (r.claimed_at, r.period_end) for r in mine
        ]  # on time
        return [run.period_end.astimezone(ZoneInfo(zone)).strftime("%a %d %H:%M %Z") for run in mine]

    stored = await runs(db)
    assert fired(daily, "Europe/Berlin") == [
        "Fri 28 09:00 CET",
        "Sat 29 09:00 CET",
        "Sun 30 09:00 CEST",  # the day the clocks went forward
        "Mon 31 09:00 CEST",
        "Tue 01 09:00 CEST",
    ]
    assert fired(weekly, "Europe/Berlin") == ["Sun 30 03:30 CEST"]  # 02:30 did not exist that night
    assert fired(monthly, "America/New_York") == ["Mon 31 09:00 EDT"]
    assert fired(cron, "Europe/Berlin") == ["Fri 28 09:00 CET", "Mon 31 09:00 CEST", "Tue 01 09:00 CEST"]
    assert len(channel_messages(harness)) == len(stored) == 10


async def test_two_instances_racing_for_one_period_post_once(make_harness: MakeHarness) -> None:
    first, second = await make_harness(), await make_harness()
    council = await add_council(first.database, JUNE_10, frequency="daily", at="09:00", zone="UTC")
    nine = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    for harness in (first, second):
        harness.hero.runtime.now = lambda: nine
    outcomes = await asyncio.gather(
        run_due(first.hero.runtime, council.id),
        run_due(second.hero.runtime, council.id),
        run_due(first.hero.runtime, council.id),
    )
    assert sorted(o.status for found in outcomes for o in found) == ["posted", "taken", "taken"]
    posted = channel_messages(first) + channel_messages(second)
    assert len(posted) == 1
    [run] = await runs(first.database)
    assert (run.status, run.ts, run.late, run.period_end) == ("posted", posted[0].ts, False, nine)


async def test_a_restart_after_a_missed_period_posts_it_once_marked_late(harness: Harness) -> None:
    await add_council(harness.database, JUNE_10, frequency="daily", at="09:00", zone="UTC")
    # The bot was down from before 9:00 on the 11th until 10:30 on the 12th: two periods were missed.
    clock = fixed_clock(datetime(2025, 6, 12, 10, 30, tzinfo=UTC))
    scheduler = start_scheduler(harness, clock)
    assert "councils-start" in scheduler.job_ids()
    await scheduler.tick()
    [digest] = channel_messages(harness)
    assert "Posted late: herobot was not running at its time" in shown(digest)
    [run] = await runs(harness.database)
    assert run.period_end == datetime(2025, 6, 12, 9, 0, tzinfo=UTC) and run.late and run.status == "posted"

    await harness.restart()
    again = start_scheduler(harness, clock)
    await again.tick()
    clock.advance(timedelta(minutes=5))
    await again.tick()
    assert len(channel_messages(harness)) == 1 and len(await runs(harness.database)) == 1


async def test_a_failed_post_is_shown_and_retried_by_the_next_run(harness: Harness) -> None:
    harness.fake.channels[demo.CX_COUNCIL].is_private = True  # the bot can't join it by itself
    await add_council(harness.database, JUNE_10, frequency="daily", at="09:00", zone="UTC")
    nine = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    harness.hero.runtime.now = lambda: nine
    [failed] = await run_due(harness.hero.runtime, 1)
    assert failed.status == "failed" and channel_messages(harness) == []
    await harness.slack.slash(demo.SAM, "/council", "show CX council")
    assert "failed: herobot is not in &lt;#C0CXCOUNCIL&gt;" in last_ephemeral(harness, demo.SAM)

    harness.fake.channels[demo.CX_COUNCIL].bot_is_member = True  # someone invited it
    harness.hero.runtime.now = lambda: nine + timedelta(days=1)
    outcomes = await run_due(harness.hero.runtime, 1)
    assert [o.status for o in outcomes] == ["posted", "posted"]
    first, second = channel_messages(harness)
    assert "Posted late" in shown(first) and "Posted late" not in shown(second)
    stored = await runs(harness.database)
    assert [(r.status, r.attempts, r.late) for r in stored] == [("posted", 2, True), ("posted", 1, False)]
    # and a third run changes nothing for those two periods
    await run_due(harness.hero.runtime, 1)
    assert len(channel_messages(harness)) == 2


async def test_a_quiet_period_is_skipped_or_posted_as_one_line(harness: Harness) -> None:
    await add_council(harness.database, JUNE_10, name="Quiet", frequency="daily", at="09:00", skip_quiet=True)
    await add_council(harness.database, JUNE_10, name="Chatty", frequency="daily", at="09:00")
    harness.hero.runtime.now = lambda: datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    assert [o.status for o in await run_due(harness.hero.runtime, 1)] == ["skipped"]
    assert [o.status for o in await run_due(harness.hero.runtime, 2)] == ["posted"]
    [line] = channel_messages(harness)
    assert "A quiet period" in shown(line) and "Social complaints" not in shown(line)
    assert harness.fake.uploads == {}  # nothing to chart
