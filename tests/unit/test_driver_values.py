"""The values `storage.driver` sends for a batch of rows: read straight from each row when every placeholder is
a plain bind of its columns, and then exactly what SQLAlchemy's own `construct_params` and type processors give."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.complaints.service import INSERTED_COLUMNS
from storage import driver
from storage.models import AuditEvent, Complaint, OutboxNotice

NOW = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
DIALECTS = [sqlite.dialect(), postgresql.asyncpg.dialect()]


def complaint_row(index: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(INSERTED_COLUMNS)
    row.update(
        team_id="T1", network="x", url=f"https://x.com/a/status/{index}", url_key=f"{index:064x}", author="@a",
        text="Café ☕ broken", severity="high", status="new", source="api", created_by="api", created_at=NOW,
        updated_at=NOW, due_at=NOW + timedelta(hours=index), posted_at=None if index % 2 else NOW,
    )  # fmt: skip
    return row


def by_sqlalchemy(compiled: Any, rows: list[dict[str, Any]]) -> list[list[Any]]:
    processors, names = compiled._bind_processors, compiled.positiontup
    found = []
    for row in rows:
        params = compiled.construct_params(row)
        found.append([processors[name](params[name]) if name in processors else params[name] for name in names])
    return found


AUDIT_ROW = {
    "team_id": "T1", "entity_type": "complaint", "entity_id": 1, "action": "created", "actor_id": "U1",
    "before": None, "after": {"status": "new", "tags": ["late"]}, "created_at": NOW,
}  # fmt: skip
OUTBOX_ROW = {
    "team_id": "T1", "complaint_id": 1, "kind": "post", "recipient": "C1", "attempts": 0, "created_at": NOW,
    "available_at": NOW,
}  # fmt: skip


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize(
    "statement, rows",
    [
        (Complaint.__table__.insert(), [complaint_row(i) for i in range(3)]),
        (AuditEvent.__table__.insert(), [AUDIT_ROW]),
        (OutboxNotice.__table__.insert(), [OUTBOX_ROW]),
    ],
    ids=["complaints", "audit", "outbox"],
)
def test_plain_inserts_send_what_sqlalchemy_would(dialect: Any, statement: Any, rows: list[dict[str, Any]]) -> None:
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    assert driver._plan(compiled, rows[0].keys()) is not None  # the straight path is taken
    assert driver._processed(compiled, rows) == by_sqlalchemy(compiled, rows)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_a_statement_with_values_of_its_own_goes_through_sqlalchemy(dialect: Any) -> None:
    statement = (
        update(Complaint.__table__)
        .where(Complaint.__table__.c.id == bindparam("complaint"))
        .values(status="resolved", updated_at=bindparam("at"))
    )
    rows = [{"complaint": 7, "at": NOW}]
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    assert driver._plan(compiled, rows[0].keys()) is None
    assert driver._processed(compiled, rows) == by_sqlalchemy(compiled, rows)


@pytest.mark.parametrize(
    "value",
    [
        {"status": "new", "tags": ["late", "billing"], "owner_id": None, "rule_id": 3},
        {"text": "Café ☕ “quoted”", "nested": {"a": [1, 2.5, True]}},
        {1: "a number as key"},
        {"big": 2**70},
        [],
    ],
)
def test_json_columns_read_back_as_written(value: Any) -> None:
    assert json.loads(driver.json_text(value)) == json.loads(json.dumps(value))
