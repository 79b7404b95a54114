"""Two `herobot serve` replicas on one PostgreSQL database behind one URL behave as one bot.

Each test starts two instances of the app — each its own Runtime, Bolt app, HTTP server and database
pool — on one PostgreSQL database and one fake Slack, and sends requests to them alternately, as a load
balancer would, or to both at the same moment. Between them they must send every reminder, escalation
and crisis alert once, keep one decision of two concurrent clicks (and tell the other person), give a
user group's turns fairly, store an ingested batch once, purge each complaint once and post each council
digest once.

PostgreSQL only: SQLite serialises writers inside one process and cannot stand for two replicas. Like the
other PostgreSQL tests they skip without HERO_TEST_DATABASE_URL, and fail without it on CI.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.complaints.followup import run_followup
from bot.console import demo
from bot.console.fake_slack import Message
from bot.console.surfaces import find_element
from bot.councils.runs import run_due
from bot.retention import SYSTEM_ACTOR, purge
from bot.risk.review import Decision
from handlers import ingest
from storage.db import Database
from storage.models import AuditEvent, Complaint, ComplaintNote, CrisisAlert, RiskAssessment, RoundRobinCursor
from tests.conftest import Harness, MakeHarness
from tests.integration.council_helpers import add_council, channel_messages, runs
from tests.integration.risk_helpers import LOW_RISK, assessment, dm, last_ephemeral, review_card, submitted
from tests.integration.routing_helpers import Clock, add_complaint, add_rule, audit, posted, shown, use_clock

pytestmark = pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)

TOKEN = "ingest-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Replicas:
    """Two instances behind one URL; like a round-robin load balancer, request i goes to instance i % 2."""

    first: Harness
    second: Harness
    clock: Clock

    def __getitem__(self, request: int) -> Harness:
        return (self.first, self.second)[request % 2]

    @property
    def both(self) -> tuple[Harness, Harness]:
        return self.first, self.second


async def start_replicas(make_harness: MakeHarness, **overrides: Any) -> Replicas:
    first = await make_harness(hero_ingest_token=TOKEN, **overrides)
    second = await make_harness(replica_of=first)
    assert second.fake is first.fake and second.hero.runtime is not first.hero.runtime
    assert second.database is not first.database  # its own pool, as another process would have
    clock = Clock()
    for instance in (first, second):
        use_clock(instance, clock)
    return Replicas(first, second, clock)


def calls(harness: Harness, method: str, channel: str) -> int:
    return sum(1 for call in harness.fake.calls if call.method == method and call.params.get("channel") == channel)


async def announced() -> None:
    """The ingestion API tells owners, triage and the crisis channel after its answer; wait until both did."""
    while pending := [task for task in ingest._background if not task.done()]:
        await asyncio.gather(*pending)


async def complaint_audit(harness: Harness, complaint_id: int) -> list[str]:
    async with harness.database.unit_of_work() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "complaint", AuditEvent.entity_id == complaint_id)
            .order_by(AuditEvent.id)
        )
        return list(rows.all())


async def stored_complaint(harness: Harness, complaint_id: int) -> Complaint:
    async with harness.database.unit_of_work() as session:
        found = await session.get(Complaint, complaint_id)
        assert found is not None
        session.expunge(found)
        return found


# ---- follow-up ----------------------------------------------------------------------------------


async def test_both_run_the_follow_up_job_and_each_reminder_and_escalation_goes_out_once(
    make_harness: MakeHarness,
) -> None:
    replicas = await start_replicas(make_harness)
    owners = [demo.MAYA, demo.LEO]
    complaints = [
        await add_complaint(replicas[n], severity="critical", owner=owners[n % 2], text=f"Refund {n} is late")
        for n in range(8)
    ]  # 60 minutes to a first response; escalated after 120

    async def both_run() -> tuple[int, int]:
        runs = await asyncio.gather(*(run_followup(instance.hero.runtime) for instance in replicas.both * 2))
        return sum(run.reminded for run in runs), sum(run.escalated for run in runs)

    replicas.clock.advance(minutes=61)
    assert await both_run() == (8, 0)
    replicas.clock.advance(minutes=60)
    assert await both_run() == (0, 8)
    replicas.clock.advance(hours=3)
    assert await both_run() == (0, 0)

    reminders = [shown(m) for owner in owners for m in dm(replicas.first, owner)]
    escalations = [shown(m) for m in posted(replicas.first, demo.TRIAGE)]
    for complaint in complaints:
        label = f"COMP-{complaint.id}"
        assert sum(label in text and "waiting for its first response" in text for text in reminders) == 1
        assert sum(label in text and "twice its critical target" in text for text in escalations) == 1
        assert await complaint_audit(replicas.first, complaint.id) == ["reminded", "escalated"]
    assert len(reminders) == 8 and len(escalations) == 8


# ---- crisis alerts --------------------------------------------------------------------------------


def outage(n: int) -> dict[str, Any]:
    return {
        "source": "twitter" if n % 3 else "facebook",
        "url": f"https://x.com/customer{n}/status/{5000 + n}",
        "text": f"Customer {n}: the app is down again",
        "author": f"@customer{n}",
        "tags": ["outage"],
    }


async def test_a_spike_sent_to_both_raises_one_alert_that_later_complaints_update(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)  # threshold: 5 complaints with one tag within 60 minutes
    answers = await asyncio.gather(
        *(replicas[n].post("/api/complaints", json=outage(n), headers=AUTH) for n in range(12))
    )
    assert [answer.status for answer in answers] == [201] * 12
    await announced()

    [alert] = posted(replicas.first, demo.CRISIS)
    assert calls(replicas.first, "chat.postMessage", demo.CRISIS) == 1
    assert "Crisis alert: #outage" in shown(alert) and "*12 complaints* tagged `outage`" in shown(alert)
    async with replicas.first.database.unit_of_work() as session:
        [stored] = (await session.scalars(select(CrisisAlert))).all()
    assert (stored.tag, stored.open_key, stored.count, stored.ts) == ("outage", "outage", 12, alert.ts)
    assert [e.action for e in await audit(replicas.first, "crisis_alert")] == ["raised"]

    replicas.clock.advance(minutes=10)
    # A later complaint on the first instance: its update of the alert is slow to reach Slack. Meanwhile one
    # on the second instance updates the alert; the slow update, landing last, must not show older figures.
    slow = replicas.first.fake.hold("chat.update")
    assert (await replicas.first.post("/api/complaints", json=outage(12), headers=AUTH)).status == 201
    await replicas.first.fake.wait_for(lambda: calls(replicas.first, "chat.update", demo.CRISIS) >= 1)
    assert (await replicas.second.post("/api/complaints", json=outage(13), headers=AUTH)).status == 201
    await replicas.first.fake.wait_for(lambda: "*14 complaints*" in shown(alert))
    slow.set()
    await announced()
    assert calls(replicas.first, "chat.postMessage", demo.CRISIS) == 1
    assert "*14 complaints*" in shown(alert) and "Customer 13: the app is down again" in shown(alert)
    async with replicas.first.database.unit_of_work() as session:
        assert (await session.scalars(select(CrisisAlert.count))).one() == 14


# ---- concurrent clicks ------------------------------------------------------------------------------


async def press_at_once(clicks: list[tuple[Harness, str, Message, str]], *, row: Any) -> None:
    """Each person presses `label` on their own copy of the message, through their own instance, at once.

    So that the clicks really overlap, a third transaction (a slow request elsewhere) holds `row`'s lock
    until every click waits for it; then they race for it, as clicks arriving in one instant do."""

    async def click(instance: Harness, user: str, message: Message, label: str) -> None:
        block_id, button = find_element(message.blocks, label)
        await instance.slack.act(user, button, block_id, message=message)

    database = clicks[0][0].database
    async with database.unit_of_work() as session:
        await session.execute(select(type(row)).where(type(row).id == row.id).with_for_update())
        pressed = asyncio.gather(*(click(i, u, copy.deepcopy(m), label) for i, u, m, label in clicks))
        await waiting_for_locks(database, len(clicks))
    await pressed


async def waiting_for_locks(database: Database, count: int) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with database.engine.connect() as connection:
            if (await connection.scalar(waiting)) >= count:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the {count} clicks never queued for the row")


async def test_two_reviewers_approving_at_once_make_one_decision(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)
    replicas.first.fake.usergroups[demo.IT_REVIEWERS_GROUP].users.append(demo.SAM)  # a second IT reviewer
    await submitted(replicas.first, LOW_RISK)
    card = review_card(replicas.first, demo.IT_REVIEW)

    await press_at_once(
        [(replicas.first, demo.INGRID, card, "Approve"), (replicas.second, demo.SAM, card, "Approve")],
        row=await assessment(replicas.first),
    )

    decided = await assessment(replicas.first)
    assert decided.status == Decision.APPROVE and decided.decided_by in (demo.INGRID, demo.SAM)
    other = demo.SAM if decided.decided_by == demo.INGRID else demo.INGRID
    assert f"<@{decided.decided_by}> already decided RISK-1: *approved*" in last_ephemeral(replicas.first, other)
    assert f":white_check_mark: *Approved* by <@{decided.decided_by}>" in shown(card)
    async with replicas.first.database.unit_of_work() as session:
        decisions = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "decided"))).all()
        assert await session.scalar(select(func.count()).select_from(RiskAssessment)) == 1
    assert [(e.actor_id, e.after["status"]) for e in decisions] == [(decided.decided_by, "approved")]
    told = [m for m in dm(replicas.first, demo.MAYA) if "IT approved RISK-1" in shown(m)]
    assert len(told) == 1


async def test_two_people_pressing_mark_responded_then_resolve_at_once_make_one_change_each(
    make_harness: MakeHarness,
) -> None:
    replicas = await start_replicas(make_harness)
    await replicas[0].slack.slash(demo.LEO, "/complaint", "add https://x.com/a/status/77 my refund is late")
    await replicas[1].slack.slash(demo.SAM, "/complaint", "assign COMP-1 <@U0MAYA|maya>")
    card = dm(replicas.first, demo.MAYA)[-1]  # Maya's owner card; Sam, an admin, may act on it too

    complaint = await stored_complaint(replicas.first, 1)
    await press_at_once(
        [(replicas.first, demo.MAYA, card, "Mark responded"), (replicas.second, demo.SAM, card, "Mark responded")],
        row=complaint,
    )
    assert (await stored_complaint(replicas.first, 1)).status == "responded"
    assert await complaint_audit(replicas.first, 1) == ["created", "assigned", "responded"]
    told = [last_ephemeral(replicas.first, user) for user in (demo.MAYA, demo.SAM)]
    assert sum("COMP-1 is already *responded*" in text for text in told) == 1, told

    card = replicas.first.fake.find_message(card.channel, card.ts)
    assert card is not None
    await press_at_once(
        [(replicas.second, demo.MAYA, card, "Resolve"), (replicas.first, demo.SAM, card, "Resolve")], row=complaint
    )
    resolved = await stored_complaint(replicas.first, 1)
    assert resolved.status == "resolved" and resolved.closed_at == replicas.clock.now
    assert await complaint_audit(replicas.first, 1) == ["created", "assigned", "responded", "resolved"]
    told = [last_ephemeral(replicas.first, user) for user in (demo.MAYA, demo.SAM)]
    assert sum("COMP-1 is already *resolved*: it cannot be resolved" in text for text in told) == 1, told
    async with replicas.first.database.unit_of_work() as session:
        notes = (await session.scalars(select(ComplaintNote.kind).order_by(ComplaintNote.id))).all()
    assert list(notes) == ["assigned", "response", "resolved"]


async def test_two_people_taking_the_same_complaint_at_once_one_gets_it(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)
    await replicas[0].slack.slash(demo.SAM, "/complaint", "add the app crashes when I pay @bob_q")
    [post] = posted(replicas.first, demo.TRIAGE)

    await press_at_once(
        [(replicas.first, demo.LEO, post, "Take it"), (replicas.second, demo.MAYA, post, "Take it")],
        row=await stored_complaint(replicas.first, 1),
    )
    taken = await stored_complaint(replicas.first, 1)
    assert taken.status == "assigned" and taken.owner_id in (demo.LEO, demo.MAYA)
    other = demo.MAYA if taken.owner_id == demo.LEO else demo.LEO
    assert f"COMP-1 was already taken by <@{taken.owner_id}>" in last_ephemeral(replicas.first, other)
    assert await complaint_audit(replicas.first, 1) == ["created", "assigned"]
    assert [m for m in dm(replicas.first, other) if "COMP-1" in shown(m)] == []  # no card for who lost


# ---- round-robin -----------------------------------------------------------------------------------


async def test_a_group_takes_turns_fairly_when_both_instances_route_at_once(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)
    care = replicas.first.fake.usergroups[demo.CARE_TEAM_GROUP]
    care.users += [demo.INGRID, demo.SAM]  # four members: U0INGRID, U0LEO, U0MAYA, U0SAM take turns
    await add_rule(
        replicas.first,
        {"name": "Care", "catch_all": ["yes"], "target_kind": "group", "target_group": demo.CARE_TEAM_GROUP},
    )

    replies = await asyncio.gather(
        *(replicas[n].slack.slash(demo.LEO, "/complaint", f"add customer {n} waits for a refund") for n in range(20))
    )
    assert all(reply.status == 200 for reply in replies)

    async with replicas.first.database.unit_of_work() as session:
        owners = dict((await session.execute(select(Complaint.id, Complaint.owner_id))).all())
        created = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "complaint", AuditEvent.action == "created")
                .order_by(AuditEvent.id)
            )
        ).all()
        cursor = (await session.scalars(select(RoundRobinCursor))).one()
    assert len(owners) == 20 and Counter(owners.values()) == {member: 5 for member in care.users}
    # Turns are taken in the order the routing transactions committed, which is the order of their audit rows.
    in_turn = [event.after["owner_id"] for event in created]
    assert in_turn == sorted(care.users) * 5
    assert (cursor.count, cursor.last_user_id) == (20, demo.SAM)
    for member in care.users:  # each got their owner cards, once each
        cards = [m for m in dm(replicas.first, member) if "Mark responded" in shown(m)]
        assert len(cards) == 5


# ---- ingestion -----------------------------------------------------------------------------------------


def batch_item(n: int) -> dict[str, Any]:
    return {
        "source": "instagram",
        "url": f"https://instagram.com/p/post{n}",
        "text": f"Parcel {n} never arrived",
        "author": f"@shopper{n}",
        "external_id": f"crm-{n}",
        "tags": ["delivery"],
    }


async def test_the_same_batch_posted_to_both_at_once_is_stored_once(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)
    batch = [batch_item(n) for n in range(8)]
    responses = await asyncio.gather(*(i.post("/api/complaints", json=batch, headers=AUTH) for i in replicas.both))
    answers = [await response.json() for response in responses]
    await announced()

    assert sorted(response.status for response in responses) == [200, 201]
    # Both answer with the same IDs, one per item. (The loser's rolled-back inserts may have used up
    # sequence numbers on PostgreSQL, so the IDs need not be 1–8.)
    assert answers[0]["ids"] == answers[1]["ids"] and len(set(answers[0]["ids"])) == 8
    statuses = sorted(tuple(sorted({c["status"] for c in answer["complaints"]})) for answer in answers)
    assert statuses == [("created",), ("existing",)]  # one stored the batch, the other found all of it
    async with replicas.first.database.unit_of_work() as session:
        rows = (await session.execute(select(Complaint.id, Complaint.external_id).order_by(Complaint.id))).all()
        trail = (await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "complaint"))).all()
    assert [external_id for _, external_id in rows] == [f"crm-{n}" for n in range(8)]
    assert [f"COMP-{number}" for number, _ in rows] == answers[0]["ids"]
    assert list(trail) == ["created"] * 8
    [triage] = posted(replicas.first, demo.TRIAGE)  # one post for the batch, not one per instance
    assert answers[0]["ids"][0] in shown(triage) and answers[0]["ids"][-1] in shown(triage)


# ---- retention ---------------------------------------------------------------------------------------------


async def test_both_purging_at_once_purge_each_complaint_once(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)  # HERO_RETENTION_DAYS 365
    now = replicas.clock.now
    ids = []
    for n in range(30):
        complaint = await add_complaint(
            replicas[n], status="resolved", url=f"https://x.com/c/status/{n}", author=f"@old{n}", text=f"Old {n}"
        )
        ids.append(complaint.id)
    recent = await add_complaint(replicas.first, status="resolved", text="Closed last month")
    async with replicas.first.database.unit_of_work() as session:
        for complaint in (await session.scalars(select(Complaint))).all():
            complaint.closed_at = now - timedelta(days=30 if complaint.id == recent.id else 400)

    reports = await asyncio.gather(
        *(
            purge(i.database, now=now, retention_days=365, actor_id=SYSTEM_ACTOR, batch_size=4)
            for i in replicas.both * 2
        )
    )
    assert sum(report.purged for report in reports) == 30

    async with replicas.first.database.unit_of_work() as session:
        rows = {c.id: c for c in (await session.scalars(select(Complaint))).all()}
        runs = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.entity_type == "retention").order_by(AuditEvent.id)
            )
        ).all()
    assert all(rows[i].purged_at == now and rows[i].text == "" and rows[i].url is None for i in ids)
    assert rows[recent.id].purged_at is None and rows[recent.id].text == "Closed last month"
    # One audit row per run that purged something, each counting what that run purged: 30 in all.
    purged_by_runs = sorted(report.purged for report in reports if report.purged)
    assert sorted(run.after["purged"] for run in runs) == purged_by_runs
    assert {(run.action, run.actor_id) for run in runs} == {("purged", SYSTEM_ACTOR)}

    again = await asyncio.gather(
        *(purge(i.database, now=now, retention_days=365, actor_id=SYSTEM_ACTOR) for i in replicas.both)
    )
    assert [report.purged for report in again] == [0, 0]
    assert len(await audit(replicas.first, "retention")) == len(runs)


# ---- council digests --------------------------------------------------------------------------------------


async def test_both_run_a_council_s_job_and_each_digest_is_posted_once(make_harness: MakeHarness) -> None:
    replicas = await start_replicas(make_harness)
    nine = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    replicas.clock.now = nine - timedelta(days=1)
    council = await add_council(replicas.first.database, replicas.clock.now, frequency="daily", at="09:00")

    async def both_run() -> list[str]:
        found = await asyncio.gather(*(run_due(i.hero.runtime, council.id) for i in replicas.both * 2))
        return sorted(outcome.status for outcomes in found for outcome in outcomes)

    replicas.clock.now = nine
    assert await both_run() == ["posted", "taken", "taken", "taken"]
    replicas.clock.now = nine + timedelta(days=1)  # the next day's period, raced for again
    assert (await both_run()).count("posted") == 1
    digests = channel_messages(replicas.first)  # what the channel shows (the first try, before the bot joined, failed)
    assert len(digests) == 2
    assert [(run.status, run.period_end) for run in await runs(replicas.first.database)] == [
        ("posted", nine),
        ("posted", nine + timedelta(days=1)),
    ]
    assert [run.ts for run in await runs(replicas.first.database)] == [digest.ts for digest in digests]
