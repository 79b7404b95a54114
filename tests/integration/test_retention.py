"""Retention: `herobot purge` and the daily job clear the personal data of complaints closed long ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import retention
from bot.console.workspace import Clock, ManualScheduler
from storage.db import Database
from storage.models import AuditEvent, Complaint, ComplaintNote, ComplaintTag
from storage.repositories.retention import PURGED
from tests.conftest import MakeHarness
from tests.integration.operator_helpers import add_complaint, herobot

DAYS = {"HERO_RETENTION_DAYS": "30"}


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def complaint(database: Database, complaint_id: int) -> Complaint:
    async with database.unit_of_work() as session:
        found = await session.get(Complaint, complaint_id)
        assert found is not None
        return found


async def notes(database: Database, complaint_id: int) -> list[str]:
    async with database.unit_of_work() as session:
        rows = await session.scalars(select(ComplaintNote.body).where(ComplaintNote.complaint_id == complaint_id))
        return list(rows)


async def audit(database: Database, **where: Any) -> list[AuditEvent]:
    async with database.unit_of_work() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(await session.scalars(query))


async def everything(database: Database) -> list[tuple[Any, ...]]:
    async with database.unit_of_work() as session:
        rows: list[tuple[Any, ...]] = []
        for model in (Complaint, ComplaintNote, ComplaintTag, AuditEvent):
            for row in (await session.execute(select(model.__table__))).all():
                rows.append(tuple(row))
        return rows


async def seed(database: Database) -> dict[str, int]:
    return {
        "old": await add_complaint(database, created_at=days_ago(50), closed_at=days_ago(40), external_id="tw-1"),
        "recent": await add_complaint(database, created_at=days_ago(50), closed_at=days_ago(10)),
        "open": await add_complaint(database, status="assigned", created_at=days_ago(400)),
        "other_team": await add_complaint(
            database, team_id="T2", status="dismissed", created_at=days_ago(90), closed_at=days_ago(31), url=None
        ),
    }


async def test_purge_clears_what_identifies_a_person_and_keeps_the_figures(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = await seed(database)
    before = await complaint(database, ids["old"])

    ran = await herobot(monkeypatch, tmp_path, database, "purge", **DAYS)

    assert ran.code == 0, ran.err
    assert ran.out.startswith("Purged the personal data (text, author, URL, external ID, note bodies) of 2 complaints")
    assert "(HERO_RETENTION_DAYS=30); audited as operator:" in ran.out
    purged = await complaint(database, ids["old"])
    assert (purged.text, purged.author, purged.url, purged.url_key, purged.external_id) == ("", "", None, None, None)
    assert purged.purged_at is not None
    # The figures stay: a digest or an export still counts it.
    for figure in ("status", "severity", "network", "region", "owner_id", "created_at", "closed_at", "due_at"):
        assert getattr(purged, figure) == getattr(before, figure), figure
    assert await notes(database, ids["old"]) == [""]
    trail = await audit(database, entity_type="complaint", entity_id=ids["old"])
    assert [(e.action, e.before, e.after) for e in trail] == [
        ("created", None, {"status": "new", "severity": "high", "text": PURGED, "author": PURGED, "url": PURGED}),
        ("resolved", {"status": "assigned", "note": None}, {"status": "resolved", "note": PURGED}),
    ]
    other = await complaint(database, ids["other_team"])
    assert other.purged_at is not None and other.text == ""

    for kept in ("recent", "open"):
        untouched = await complaint(database, ids[kept])
        assert untouched.purged_at is None
        assert untouched.text == "My refund never arrived, order 5512"
        assert untouched.author == "@dana_customer"
        assert await notes(database, ids[kept]) == ["Refunded, DM sent to Dana"]
        created = (await audit(database, entity_type="complaint", entity_id=ids[kept]))[0]
        assert created.after is not None and created.after["text"] == "My refund never arrived, order 5512"

    runs = await audit(database, entity_type="retention")
    assert [(e.team_id, e.action, e.actor_id.startswith("operator:"), e.after["purged"]) for e in runs] == [
        ("T1", "purged", True, 1),
        ("T2", "purged", True, 1),
    ]
    assert all(e.after is not None and e.after["retention_days"] == 30 for e in runs)

    again = await herobot(monkeypatch, tmp_path, database, "purge", **DAYS)
    assert again.code == 0
    assert again.out.startswith("Nothing to purge: no complaint closed before ")
    assert len(await audit(database, entity_type="retention")) == 2


async def test_a_dry_run_lists_what_would_go_and_changes_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = await seed(database)
    stored = await everything(database)

    ran = await herobot(monkeypatch, tmp_path, database, "purge", "--dry-run", **DAYS)

    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert [line.split("\t")[:2] for line in lines[:-1]] == [
        [f"COMP-{ids['old']}", "T1"],
        [f"COMP-{ids['other_team']}", "T2"],
    ]
    assert lines[-1].startswith("Would purge the personal data of 2 complaints closed before ")
    assert lines[-1].endswith("Nothing was changed.")
    assert await everything(database) == stored


async def test_a_backlog_is_purged_in_batches_under_one_audit_row(database: Database) -> None:
    for _ in range(5):
        await add_complaint(database, created_at=days_ago(400), closed_at=days_ago(380), url=None)
    report = await retention.purge(database, now=datetime.now(UTC), retention_days=365, actor_id="system", batch_size=2)
    assert report.purged == 5
    async with database.unit_of_work() as session:
        left = await session.scalars(select(Complaint.id).where(Complaint.purged_at.is_(None)))
        assert list(left) == []
    runs = await audit(database, entity_type="retention")
    assert [(e.actor_id, e.after["purged"]) for e in runs if e.after] == [("system", 5)]


async def test_the_daily_job_purges_once_the_clock_passes_the_retention_period(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(hero_retention_days=30)
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    clock = Clock(real=lambda: start)
    runtime = harness.hero.runtime
    runtime.now = clock.now
    scheduler = ManualScheduler(runtime, clock)
    scheduler.start([retention.register_jobs])
    # Closed 29 days and 23 hours before the start: past the 30 days by the next day's run.
    closed = await add_complaint(
        harness.database, created_at=start - timedelta(days=35), closed_at=start - timedelta(days=29, hours=23)
    )

    assert await scheduler.tick() == []  # the daily run is at 03:30 UTC
    clock.advance(timedelta(hours=16))  # 04:00 the next day
    assert await scheduler.tick() == [retention.JOB_ID]

    purged = await complaint(harness.database, closed)
    assert purged.purged_at == start + timedelta(hours=16)
    assert purged.text == ""
    runs = await audit(harness.database, entity_type="retention")
    assert [(e.actor_id, e.after["purged"] if e.after else None, e.created_at) for e in runs] == [
        ("system", 1, start + timedelta(hours=16))
    ]
    clock.advance(timedelta(days=1))
    assert await scheduler.tick() == [retention.JOB_ID]
    assert len(await audit(harness.database, entity_type="retention")) == 1  # nothing new, nothing audited
