"""`herobot export {projects,complaints,reviews,audit}`: records for CRMs and BI tools, streamed.

Rows are read through a server-side cursor and written as they arrive, so memory stays flat whatever
the table's size. Both formats carry the same columns, in the same order, under stable names:

- CSV (RFC 4180, a header row): empty cell for no value, lists (members, tags) joined with `;`,
  the audit's before/after as JSON text.
- JSON: JSON Lines (one object per line, https://jsonlines.org), which BI loaders read as a stream;
  null for no value, lists as arrays, the audit's before/after as objects.

Times are ISO 8601 in UTC (`2025-03-01T09:30:00Z`); records are named as people see them (HERO-12,
COMP-34, RISK-5); every row has its workspace's `team_id`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from bot.ids import Kind, format_id
from storage.db import Database
from storage.repositories import export as queries

if TYPE_CHECKING:
    from storage.repositories.export import AnyRow, AnySelect

FORMATS = ("csv", "json")
BATCH_SIZE = 1000
CSV_LIST_SEPARATOR = ";"
ENTITY_KINDS = {"project": Kind.PROJECT, "complaint": Kind.COMPLAINT, "risk_assessment": Kind.RISK}


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(text: str) -> datetime:
    """`2025-03-01` (midnight UTC) or an ISO 8601 time (`2025-03-01T09:30`, `…Z`, `…+02:00`; naive is UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since takes a date like 2025-03-01 or an ISO 8601 time like 2025-03-01T09:30:00Z, not {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ref(kind: Kind, number: int | None) -> str | None:
    return None if number is None else format_id(kind, number)


def _listed(joined: str | None) -> list[str]:
    return sorted(joined.split(queries.LIST_SEPARATOR)) if joined else []


def _project(row: AnyRow) -> dict[str, Any]:
    project, members = row
    return {
        "id": format_id(Kind.PROJECT, project.id),
        "team_id": project.team_id,
        "title": project.title,
        "problem": project.problem,
        "network": project.network,
        "audience": project.audience,
        "success_measure": project.success_measure,
        "stage": project.stage,
        "owner_id": project.owner_id,
        "members": _listed(members),
        "council_id": project.council_id,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
        "launched_at": iso(project.launched_at),
        "last_activity_at": iso(project.last_activity_at),
    }


def _complaint(row: AnyRow) -> dict[str, Any]:
    complaint, tags = row
    return {
        "id": format_id(Kind.COMPLAINT, complaint.id),
        "team_id": complaint.team_id,
        "status": complaint.status,
        "severity": complaint.severity,
        "network": complaint.network,
        "region": complaint.region,
        "tags": _listed(tags),
        "source": complaint.source,
        "owner_id": complaint.owner_id,
        "routed_channel": complaint.routed_channel,
        "project_id": _ref(Kind.PROJECT, complaint.project_id),
        "author": complaint.author,
        "text": complaint.text,
        "url": complaint.url,
        "external_id": complaint.external_id,
        "created_by": complaint.created_by,
        "posted_at": iso(complaint.posted_at),
        "created_at": iso(complaint.created_at),
        "updated_at": iso(complaint.updated_at),
        "due_at": iso(complaint.due_at),
        "first_response_at": iso(complaint.first_response_at),
        "closed_at": iso(complaint.closed_at),
        "purged_at": iso(complaint.purged_at),
    }


def _review(row: AnyRow) -> dict[str, Any]:
    review, checklist_title, checklist_version = row
    return {
        "id": format_id(Kind.RISK, review.id),
        "team_id": review.team_id,
        "project_id": _ref(Kind.PROJECT, review.project_id),
        "hero_id": review.hero_id,
        "status": review.status,
        "level": review.level,
        "score": review.score,
        "checklist": checklist_title,
        "checklist_version": checklist_version,
        "previous_id": _ref(Kind.RISK, review.previous_id),
        "created_at": iso(review.created_at),
        "submitted_at": iso(review.submitted_at),
        "decided_by": review.decided_by,
        "decided_at": iso(review.decided_at),
        "decision_comment": review.decision_comment,
    }


def _audit(row: AnyRow) -> dict[str, Any]:
    (event,) = row
    kind = ENTITY_KINDS.get(event.entity_type)
    entity_id = event.entity_id if kind is None or event.entity_id is None else format_id(kind, event.entity_id)
    return {
        "id": event.id,
        "team_id": event.team_id,
        "created_at": iso(event.created_at),
        "entity_type": event.entity_type,
        "entity_id": entity_id,
        "action": event.action,
        "actor_id": event.actor_id,
        "before": event.before,
        "after": event.after,
    }


@dataclass(frozen=True)
class Table:
    query: Callable[[datetime | None, str | None], AnySelect]
    row: Callable[[AnyRow], dict[str, Any]]
    columns: tuple[str, ...]


def _table(
    query: Callable[[datetime | None, str | None], AnySelect], row: Callable[[AnyRow], dict[str, Any]], columns: str
) -> Table:
    return Table(query, row, tuple(columns.split()))


TABLES: dict[str, Table] = {
    "projects": _table(
        queries.projects,
        _project,
        "id team_id title problem network audience success_measure stage owner_id members council_id "
        "created_at updated_at launched_at last_activity_at",
    ),
    "complaints": _table(
        queries.complaints,
        _complaint,
        "id team_id status severity network region tags source owner_id routed_channel project_id author text "
        "url external_id created_by posted_at created_at updated_at due_at first_response_at closed_at purged_at",
    ),
    "reviews": _table(
        queries.reviews,
        _review,
        "id team_id project_id hero_id status level score checklist checklist_version previous_id created_at "
        "submitted_at decided_by decided_at decision_comment",
    ),
    "audit": _table(queries.audit, _audit, "id team_id created_at entity_type entity_id action actor_id before after"),
}


async def records(
    database: Database,
    kind: str,
    *,
    since: datetime | None = None,
    team: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """One dict per record, oldest first, yielded as the database sends them."""
    table = TABLES[kind]
    async with database.unit_of_work(background=True) as session:
        async for row in queries.stream(session, table.query(since, team), batch_size):
            yield table.row(row)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return CSV_LIST_SEPARATOR.join(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


async def write(rows: AsyncIterator[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: TextIO) -> int:
    """Write each row as it arrives; how many were written."""
    written = 0
    if fmt == "csv":
        writer = csv.writer(out)
        # The first row is read before the header is written: a database that fails fails before any output.
        first = await anext(rows, None)
        writer.writerow(columns)
        if first is None:
            return 0
        writer.writerow([_csv_cell(first[column]) for column in columns])
        written += 1
        async for row in rows:
            writer.writerow([_csv_cell(row[column]) for column in columns])
            written += 1
    else:
        async for row in rows:
            out.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False, default=str) + "\n")
            written += 1
    return written


async def export(
    database: Database,
    kind: str,
    fmt: str,
    out: TextIO,
    *,
    since: datetime | None = None,
    team: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    rows = records(database, kind, since=since, team=team, batch_size=batch_size)
    return await write(rows, TABLES[kind].columns, fmt, out)
