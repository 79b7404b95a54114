"""Follow-up by SLA: one reminder when the first-response time passes, one escalation at twice the target."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.complaints.followup import register_jobs, run_followup
from bot.console import demo
from storage.models import Complaint
from tests.conftest import Harness, MakeHarness
from tests.integration.routing_helpers import Clock, add_complaint, audit, posted, shown, use_clock


async def stored(harness: Harness, complaint_id: int) -> Complaint:
    async with harness.database.unit_of_work() as session:
        found = (await session.scalars(select(Complaint).where(Complaint.id == complaint_id))).one()
        session.expunge(found)
        return found


def dm(harness: Harness, user: str) -> list[str]:
    return [shown(m) for m in posted(harness, harness.fake.dm_channel(user))]


async def test_a_reminder_and_an_escalation_each_arrive_once_even_after_a_restart(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    complaint = await add_complaint(harness, severity="critical", owner=demo.MAYA)  # 60 minutes to answer

    clock.advance(minutes=59)
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (0, 0)
    assert dm(harness, demo.MAYA) == [] and posted(harness, demo.TRIAGE) == []

    clock.advance(minutes=2)
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (1, 0)
    [reminder] = dm(harness, demo.MAYA)
    assert f"COMP-{complaint.id}" in reminder and "waiting for its first response" in reminder
    assert "My refund is three weeks late" in reminder and f"/complaint respond COMP-{complaint.id}" in reminder
    await run_followup(harness.hero.runtime)
    assert len(dm(harness, demo.MAYA)) == 1 and posted(harness, demo.TRIAGE) == []

    clock.advance(minutes=60)  # 121 minutes: past twice the target
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (0, 1)
    [escalation] = posted(harness, demo.TRIAGE)
    assert f"COMP-{complaint.id}" in shown(escalation) and "twice its critical target of 1 h" in shown(escalation)
    assert "<@U0MAYA>" in shown(escalation)

    await harness.restart()
    use_clock(harness, clock).advance(hours=5)
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (0, 0)
    assert len(dm(harness, demo.MAYA)) == 1 and len(posted(harness, demo.TRIAGE)) == 1
    row = await stored(harness, complaint.id)
    assert row.reminded_at is not None and row.escalated_at is not None
    assert [e.action for e in await audit(harness, "complaint")] == ["reminded", "escalated"]


async def test_answered_snoozed_and_closed_complaints_are_left_alone(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    answered = await add_complaint(harness, severity="critical", owner=demo.MAYA, status="responded")
    resolved = await add_complaint(harness, severity="critical", owner=demo.MAYA, status="resolved")
    snoozed = await add_complaint(harness, severity="critical", owner=demo.LEO)
    async with harness.database.unit_of_work() as session:
        row = await session.get(Complaint, snoozed.id)
        assert row is not None
        row.snoozed_until = clock.now.replace(hour=12)
    clock.advance(hours=2)  # 11:00, still snoozed
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (0, 0)
    clock.advance(hours=1, minutes=1)  # 12:01, the snooze is over: reminded and escalated
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (1, 1)
    assert len(dm(harness, demo.LEO)) == 1 and dm(harness, demo.MAYA) == []
    assert (await stored(harness, answered.id)).reminded_at is None
    assert (await stored(harness, resolved.id)).escalated_at is None


async def test_a_snooze_that_ends_brings_one_more_reminder(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    complaint = await add_complaint(harness, severity="critical", owner=demo.MAYA)
    clock.advance(minutes=61)
    await run_followup(harness.hero.runtime)
    async with harness.database.unit_of_work() as session:
        row = await session.get(Complaint, complaint.id)
        assert row is not None
        row.snoozed_until = clock.now + timedelta(minutes=30)  # Maya presses Snooze
    clock.advance(minutes=20)
    await run_followup(harness.hero.runtime)
    assert len(dm(harness, demo.MAYA)) == 1
    clock.advance(minutes=11)
    await run_followup(harness.hero.runtime)
    await run_followup(harness.hero.runtime)
    assert len(dm(harness, demo.MAYA)) == 2


async def test_without_an_owner_the_triage_channel_is_reminded(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    complaint = await add_complaint(harness, severity="high")  # 4 hours
    clock.advance(hours=4, minutes=1)
    await run_followup(harness.hero.runtime)
    [reminder] = posted(harness, demo.TRIAGE)
    assert f"Nobody owns it yet: `/complaint assign COMP-{complaint.id} @someone`" in shown(reminder)


async def test_a_failed_post_is_retried_at_the_next_run_and_sent_once(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    complaint = await add_complaint(harness, severity="critical", owner=demo.MAYA)
    clock.advance(minutes=61)
    harness.fake.fail("chat.postMessage", 400)  # Slack refuses once
    done = await run_followup(harness.hero.runtime)
    assert done.reminded == 0 and dm(harness, demo.MAYA) == []
    assert (await stored(harness, complaint.id)).reminded_at is None  # the claim was given back

    harness.fake.channels[demo.TRIAGE].bot_is_member = False  # and the escalation cannot be posted yet
    clock.advance(minutes=60)
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (1, 0)
    assert (await stored(harness, complaint.id)).escalated_at is None

    harness.fake.channels[demo.TRIAGE].bot_is_member = True
    clock.advance(minutes=1)
    done = await run_followup(harness.hero.runtime)
    assert (done.reminded, done.escalated) == (0, 1)
    await run_followup(harness.hero.runtime)
    assert len(dm(harness, demo.MAYA)) == 1 and len(posted(harness, demo.TRIAGE)) == 1


async def test_two_instances_on_one_database_send_each_reminder_once(make_harness: MakeHarness) -> None:
    first, second = await make_harness(), await make_harness()
    clock = Clock()
    use_clock(first, clock), use_clock(second, clock)
    for _ in range(6):
        await add_complaint(first, severity="critical", owner=demo.MAYA)
    clock.advance(minutes=130)
    runs = await asyncio.gather(run_followup(first.hero.runtime), run_followup(second.hero.runtime))
    assert sum(run.reminded for run in runs) == 6 and sum(run.escalated for run in runs) == 6
    reminders = dm(first, demo.MAYA) + dm(second, demo.MAYA)
    escalations = posted(first, demo.TRIAGE) + posted(second, demo.TRIAGE)
    assert len(reminders) == 6 and len(escalations) == 6


def test_the_job_runs_at_the_configured_interval() -> None:
    registered: list[tuple[str, float]] = []

    class Settings:
        hero_reminder_interval_seconds = 15.0

    class Runtime:
        settings = Settings()

    class Scheduler:
        runtime = Runtime()

        def every(self, job_id: str, seconds: float, job: object) -> None:
            registered.append((job_id, seconds))

    register_jobs(Scheduler())  # type: ignore[arg-type]
    assert registered == [("complaints-followup", 15.0)]
