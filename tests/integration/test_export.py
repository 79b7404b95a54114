"""`herobot export`: each kind in CSV and JSON Lines, as CRMs and BI tools read them, streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert

from bot import export
from storage.db import Database
from storage.models import (
    Complaint,
    Project,
    ProjectMember,
    RiskAssessment,
    RiskChecklistVersion,
)
from tests.integration.operator_helpers import add_complaint, herobot

MARCH = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
JUNE = datetime(2025, 6, 15, 17, 5, 9, tzinfo=UTC)


async def seed(database: Database) -> None:
    async with database.unit_of_work() as session:
        for number, (created, team) in enumerate(((MARCH, "T1"), (JUNE, "T2")), start=1):
            session.add(
                Project(
                    id=number,
                    team_id=team,
                    title=f"Refund tweets {number}",
                    problem="Refunds take weeks",
                    network="twitter",
                    owner_id="U0MAYA",
                    stage="launched" if number == 1 else "proposed",
                    council_id=7 if number == 1 else None,
                    created_at=created,
                    updated_at=created,
                    last_activity_at=created,
                    launched_at=JUNE if number == 1 else None,
                )
            )
        await session.flush()
        session.add_all([ProjectMember(project_id=1, user_id=u) for u in ("U0LEO", "U0MAYA")])
        session.add(
            RiskChecklistVersion(
                digest="d" * 64, title="Social media risk", version="2025.1", content={}, created_at=MARCH
            )
        )
        await session.flush()
        session.add(
            RiskAssessment(
                id=1,
                team_id="T1",
                project_id=1,
                hero_id="U0MAYA",
                checklist_digest="d" * 64,
                status="approved",
                score=4.5,
                level="medium",
                created_at=MARCH,
                updated_at=JUNE,
                submitted_at=MARCH,
                decided_at=JUNE,
                decided_by="U0INGRID",
                decision_comment="Fine, keep the DMs archived",
            )
        )
    await add_complaint(database, created_at=MARCH, closed_at=JUNE, tags=("outage", "billing"))
    await add_complaint(database, team_id="T2", status="new", created_at=JUNE, tags=())


def parsed_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def parsed_jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


async def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database: Database, *args: str) -> str:
    ran = await herobot(monkeypatch, tmp_path, database, "export", *args)
    assert ran.code == 0, ran.err
    return ran.out


async def test_projects_as_csv_and_json(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    await seed(database)
    out = await run(monkeypatch, tmp_path, database, "projects")
    assert out.splitlines()[0] == ",".join(export.TABLES["projects"].columns)
    rows = parsed_csv(out)
    assert [(r["id"], r["team_id"], r["stage"], r["owner_id"], r["members"], r["council_id"]) for r in rows] == [
        ("HERO-1", "T1", "launched", "U0MAYA", "U0LEO;U0MAYA", "7"),
        ("HERO-2", "T2", "proposed", "U0MAYA", "", ""),
    ]
    assert (rows[0]["created_at"], rows[0]["launched_at"]) == ("2025-03-01T09:30:00Z", "2025-06-15T17:05:09Z")

    records = parsed_jsonl(await run(monkeypatch, tmp_path, database, "projects", "--format", "json"))
    assert list(records[0]) == list(export.TABLES["projects"].columns)
    assert (records[0]["members"], records[0]["council_id"], records[1]["members"], records[1]["launched_at"]) == (
        ["U0LEO", "U0MAYA"],
        7,
        [],
        None,
    )


async def test_complaints_with_their_tags(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    await seed(database)
    rows = parsed_csv(await run(monkeypatch, tmp_path, database, "complaints"))
    assert [(r["id"], r["team_id"], r["status"], r["severity"], r["tags"], r["closed_at"]) for r in rows] == [
        ("COMP-1", "T1", "resolved", "high", "billing;outage", "2025-06-15T17:05:09Z"),
        ("COMP-2", "T2", "new", "high", "", ""),
    ]
    assert rows[0]["text"] == "My refund never arrived, order 5512"
    records = parsed_jsonl(await run(monkeypatch, tmp_path, database, "complaints", "--format", "json"))
    assert [r["tags"] for r in records] == [["billing", "outage"], []]
    assert records[1]["closed_at"] is None


async def test_reviews_with_their_decision(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    await seed(database)
    [row] = parsed_csv(await run(monkeypatch, tmp_path, database, "reviews"))
    assert row == {
        "id": "RISK-1",
        "team_id": "T1",
        "project_id": "HERO-1",
        "hero_id": "U0MAYA",
        "status": "approved",
        "level": "medium",
        "score": "4.5",
        "checklist": "Social media risk",
        "checklist_version": "2025.1",
        "previous_id": "",
        "created_at": "2025-03-01T09:30:00Z",
        "submitted_at": "2025-03-01T09:30:00Z",
        "decided_by": "U0INGRID",
        "decided_at": "2025-06-15T17:05:09Z",
        "decision_comment": "Fine, keep the DMs archived",
    }
    [record] = parsed_jsonl(await run(monkeypatch, tmp_path, database, "reviews", "--format", "json"))
    assert (record["score"], record["previous_id"]) == (4.5, None)


async def test_the_audit_trail_with_before_and_after(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await seed(database)
    rows = parsed_csv(await run(monkeypatch, tmp_path, database, "audit"))
    resolved = rows[1]
    assert (resolved["entity_type"], resolved["entity_id"], resolved["action"], resolved["actor_id"]) == (
        "complaint",
        "COMP-1",
        "resolved",
        "U0MAYA",
    )
    assert json.loads(resolved["before"]) == {"status": "assigned", "note": None}
    assert rows[0]["before"] == ""
    records = parsed_jsonl(await run(monkeypatch, tmp_path, database, "audit", "--format", "json"))
    assert records[1]["after"] == {"status": "resolved", "note": "Refunded, DM sent to Dana"}
    assert records[1]["created_at"] == "2025-06-15T17:05:09Z"


async def test_since_keeps_what_was_created_from_that_time(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await seed(database)
    for since in ("2025-06-01", "2025-06-15T17:05:09Z", "2025-06-15T19:05:09+02:00"):
        rows = parsed_csv(await run(monkeypatch, tmp_path, database, "projects", "--since", since))
        assert [r["id"] for r in rows] == ["HERO-2"], since
    assert parsed_csv(await run(monkeypatch, tmp_path, database, "complaints", "--since", "2030-01-01")) == []

    ran = await herobot(monkeypatch, tmp_path, database, "export", "projects", "--since", "last tuesday")
    assert ran.code == 2
    assert ran.out == ""
    assert ran.err.splitlines() == [
        "herobot export: --since takes a date like 2025-03-01 or an ISO 8601 time like 2025-03-01T09:30:00Z, "
        "not 'last tuesday'"
    ]


async def test_output_to_a_file(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    await seed(database)
    target = tmp_path / "exports" / "projects.jsonl"
    target.parent.mkdir()
    ran = await herobot(monkeypatch, tmp_path, database, "export", "projects", "--format", "json", "-o", str(target))
    assert ran.code == 0, ran.err
    assert ran.out == ""
    assert ran.err.strip().endswith(f"Exported 2 projects to {target}.")
    assert [r["id"] for r in parsed_jsonl(target.read_text(encoding="utf-8"))] == ["HERO-1", "HERO-2"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["projects.jsonl"]

    missing = tmp_path / "nowhere" / "x.csv"
    ran = await herobot(monkeypatch, tmp_path, database, "export", "audit", "-o", str(missing))
    assert (ran.code, ran.err.splitlines()) == (
        2,
        [f"herobot export: cannot write {missing}: No such file or directory"],
    )


async def test_a_large_table_is_read_through_a_server_side_cursor(database: Database) -> None:
    total = 1200
    async with database.unit_of_work() as session:
        await session.execute(
            insert(Complaint),
            [
                {
                    "team_id": "T1",
                    "network": "twitter",
                    "text": f"complaint {n}",
                    "created_at": MARCH,
                    "due_at": MARCH,
                    "updated_at": MARCH,
                }
                for n in range(total)
            ],
        )
    executed: list[dict[str, Any]] = []
    # Exports read on the background engine (a connection thread on SQLite): a long read never holds up requests.

    def watch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "complaints" in statement:
            executed.append(dict(context.execution_options))

    event.listen(database.background_engine.sync_engine, "before_cursor_execute", watch)
    try:
        rows = export.records(database, "complaints", batch_size=100)
        first = await anext(rows)
        assert first["id"] == "COMP-1"
        # One query, streamed: the first row is here before the rest are fetched, 100 at a time.
        assert len(executed) == 1
        assert executed[0].get("stream_results") is True and executed[0].get("yield_per") == 100
        count = 1 + sum([1 async for _ in rows])
    finally:
        event.remove(database.background_engine.sync_engine, "before_cursor_execute", watch)
    assert count == total
    assert len(executed) == 1


async def test_rows_are_written_as_they_arrive() -> None:
    out = io.StringIO()
    seen_before_next: list[int] = []

    async def rows() -> AsyncIterator[dict[str, Any]]:
        for n in range(3):
            seen_before_next.append(len(out.getvalue().splitlines()))
            yield {"id": f"COMP-{n + 1}", "tags": ["a", "b"]}

    # Each row was written before the next was asked for: nothing is held back. (The CSV header follows the
    # first row's arrival, so a database that fails fails before any output.)
    for fmt, lines_seen in (("csv", [0, 2, 3]), ("json", [0, 1, 2])):
        out.seek(0)
        out.truncate()
        seen_before_next.clear()
        assert await export.write(rows(), ("id", "tags"), fmt, out) == 3
        assert seen_before_next == lines_seen, fmt


async def test_a_database_without_the_schema_stops_in_one_line_before_any_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    ran = await herobot(monkeypatch, tmp_path, empty, "export", "complaints")
    await empty.dispose()
    assert (ran.code, ran.out) == (1, "")
    assert ran.err.splitlines() == [
        "herobot export: stopped (OperationalError: (sqlite3.OperationalError) no such table: complaints); "
        "check DATABASE_URL and that `herobot migrate` ran"
    ]
