"""Queries of the complaints domain. Every one filters by workspace (team_id)."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Connection, Select, and_, bindparam, func, insert, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.driver import among, execute_rows, insert_with_ids, select_rows
from storage.models import AuditEvent, Complaint, ComplaintNote, ComplaintTag
from storage.models.base import detached_rows

OPEN_STATUSES = ("new", "assigned", "responded")
CLOSED_STATUSES = ("resolved", "dismissed")


# What a new complaint is inserted with: every row of a bulk insert carries the same keys.
INSERTED_COLUMNS = (
    "team_id", "network", "url", "url_key", "external_id", "slack_channel", "slack_ts", "author", "text",
    "region", "severity", "status", "source", "created_by", "posted_at", "created_at", "updated_at", "due_at",
    "owner_id", "routed_channel", "rule_id",
)  # fmt: skip


# Core on the tables: building ORM objects and flushing them costs more per row than the INSERT itself.
_COMPLAINTS, _TAGS = Complaint.metadata.tables["complaints"], ComplaintTag.metadata.tables["complaint_tags"]
_INSERT_TAG = insert(_TAGS)


@functools.cache
def _tags_of(dialect: str) -> Select[Any]:
    """The tags of the complaints bound as `ids`."""
    return (
        select(_TAGS.c.complaint_id, _TAGS.c.tag)
        .where(among(_TAGS.c.complaint_id, "ids", dialect))
        .order_by(_TAGS.c.complaint_id, _TAGS.c.tag)
    )


@functools.cache
def _by_id(dialect: str) -> Select[Any]:
    """The workspace's (`team_id`) complaints with the IDs bound as `ids`, in ID order."""
    return (
        select(Complaint)
        .where(Complaint.team_id == bindparam("team_id"), among(Complaint.id, "ids", dialect))
        .order_by(Complaint.id)
    )


@functools.lru_cache(maxsize=64)
def _known_ids_statement(url_keys: int, external_ids: int, slack_messages: int, dialect: str = "sqlite") -> Any:
    """IDs of the complaints logged with any of so many URL digests, external IDs and Slack messages: one
    SELECT per kind of key, joined by UNION, one bound parameter per value (compiled once per count of
    each; `select_rows` runs it straight on the SQLite driver).

    One SELECT per kind, not one WHERE with `url_key IN (…) OR external_id IN (…)`: given that OR, SQLite's
    planner (and PostgreSQL's before it has statistics) took `team_id = …` as the condition to search by
    and read every complaint of the workspace through an index leading with team_id, comparing each with
    every key. Each SELECT alone is answered by probing its unique index once per key.

    On PostgreSQL the URL digests and the external IDs are bound as two arrays (`among`, `url_keys` and
    `external_ids`; the counts are then only 0 or 1): one statement whatever the batch, planned once, where
    a hundred parameters of each had PostgreSQL plan the statement anew at each execution (1.5 ms for a
    batch of 100, longer than running it)."""
    team = Complaint.team_id == bindparam("team_id")
    parts: list[Select[Any]] = []
    if dialect == "postgresql":
        if url_keys:
            parts.append(select(Complaint.id).where(team, among(Complaint.url_key, "url_keys", dialect)))
        if external_ids:
            parts.append(select(Complaint.id).where(team, among(Complaint.external_id, "external_ids", dialect)))
    elif url_keys or external_ids:
        keys: list[BindParameter[Any]] = [bindparam(f"url_{i}") for i in range(url_keys)]
        externals: list[BindParameter[Any]] = [bindparam(f"external_{i}") for i in range(external_ids)]
        if keys:
            parts.append(select(Complaint.id).where(team, Complaint.url_key.in_(keys)))
        if externals:
            parts.append(select(Complaint.id).where(team, Complaint.external_id.in_(externals)))
    for i in range(slack_messages):
        at = (Complaint.slack_channel == bindparam(f"channel_{i}"), Complaint.slack_ts == bindparam(f"ts_{i}"))
        parts.append(select(Complaint.id).where(team, *at))
    return parts[0] if len(parts) == 1 else union(*parts)


# Slack messages looked up in one statement: each has a SELECT of its own, and SQLite allows 500 in a UNION.
MESSAGES_PER_STATEMENT = 100


def _known_ids_queries(
    team_id: str,
    url_keys: Iterable[str],
    external_ids: Iterable[str],
    slack_messages: Iterable[tuple[str, str]],
    dialect: str = "sqlite",
) -> list[tuple[Any, dict[str, object]]]:
    """`_known_ids_statement`s for these keys and their parameters (none: no keys); more than one only
    past `MESSAGES_PER_STATEMENT` Slack messages."""
    keys, externals, messages = sorted(set(url_keys)), sorted(set(external_ids)), sorted(set(slack_messages))
    if not (keys or externals or messages):
        return []
    queries: list[tuple[Any, dict[str, object]]] = []
    for start in range(0, max(len(messages), 1), MESSAGES_PER_STATEMENT):
        chunk = messages[start : start + MESSAGES_PER_STATEMENT]
        by_key, by_external = (keys, externals) if start == 0 else ([], [])
        params: dict[str, object] = {"team_id": team_id}
        if dialect == "postgresql":
            params.update(url_keys=by_key, external_ids=by_external)
            counts = (min(len(by_key), 1), min(len(by_external), 1))
        else:
            params.update({f"url_{i}": key for i, key in enumerate(by_key)})
            params.update({f"external_{i}": external for i, external in enumerate(by_external)})
            counts = (len(by_key), len(by_external))
        for i, (channel, ts) in enumerate(chunk):
            params.update({f"channel_{i}": channel, f"ts_{i}": ts})
        queries.append((_known_ids_statement(*counts, len(chunk), dialect), params))
    return queries


def known_complaints(
    connection: Connection,
    team_id: str,
    *,
    url_keys: Iterable[str] = (),
    external_ids: Iterable[str] = (),
    slack_messages: Iterable[tuple[str, str]] = (),
) -> list[Complaint]:
    """Complaints already logged with any of these URL digests, external IDs or Slack messages, as
    objects outside any session (a `Database.write`). Most new complaints are not known: their look-up
    is one read of IDs along the unique indexes; whole rows are read only for the ones found."""
    queries = _known_ids_queries(team_id, url_keys, external_ids, slack_messages, connection.dialect.name)
    ids = sorted({row[0] for query in queries for row in select_rows(connection, *query)})
    if not ids:
        return []
    return detached_rows(
        Complaint, connection.execute(_by_id(connection.dialect.name), {"team_id": team_id, "ids": ids})
    )


def insert_complaints(connection: Connection, rows: Sequence[dict[str, object]]) -> list[int]:
    """New complaints (each row with the same keys, `INSERTED_COLUMNS`); their IDs in the order of `rows`."""
    return insert_with_ids(connection, _COMPLAINTS, rows)


def insert_tags(connection: Connection, rows: Sequence[dict[str, object]]) -> None:
    execute_rows(connection, _INSERT_TAG, rows)


def complaints_by_id(connection: Connection, team_id: str, complaint_ids: Collection[int]) -> list[Complaint]:
    """The workspace's complaints with these IDs, in ID order, as objects outside any session (a
    `Database.read`: the outbox's notices read hundreds at a time, where loading ORM objects cost ~10 %
    of ingesting them)."""
    if not complaint_ids:
        return []
    found = connection.execute(_by_id(connection.dialect.name), {"team_id": team_id, "ids": sorted(complaint_ids)})
    return detached_rows(Complaint, found)


def _tags_by_complaint(complaint_ids: Sequence[int], rows: Iterable[Any]) -> dict[int, list[str]]:
    """`_tags_of`'s rows as each complaint's tags, in order (an empty list for a complaint without any)."""
    found: dict[int, list[str]] = {complaint_id: [] for complaint_id in complaint_ids}
    for complaint_id, tag in rows:
        found[complaint_id].append(tag)
    return found


def tags_by_complaint(connection: Connection, complaint_ids: Sequence[int]) -> dict[int, list[str]]:
    if not complaint_ids:
        return {}
    rows = connection.execute(_tags_of(connection.dialect.name), {"ids": list(complaint_ids)})
    return _tags_by_complaint(complaint_ids, rows.all())


class ComplaintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: str, complaint_id: int, *, for_update: bool = False) -> Complaint | None:
        statement = select(Complaint).where(Complaint.team_id == team_id, Complaint.id == complaint_id)
        if for_update:
            # The row as it is once the lock is ours: an object this session loaded before the lock (the
            # listener's first read) would otherwise keep the values another instance has since changed.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).first()

    async def find_known(
        self,
        team_id: str,
        *,
        url_keys: Iterable[str] = (),
        external_ids: Iterable[str] = (),
        slack_messages: Iterable[tuple[str, str]] = (),
    ) -> Sequence[Complaint]:
        """Complaints already logged with any of these URL digests, external IDs or Slack messages."""
        ids: set[int] = set()
        for statement, params in _known_ids_queries(team_id, url_keys, external_ids, slack_messages):
            ids.update((await self.session.scalars(statement, params)).all())
        if not ids:
            return []
        found = _by_id(self.session.get_bind().dialect.name)
        return (await self.session.scalars(found, {"team_id": team_id, "ids": sorted(ids)})).all()

    async def tags_of(self, complaint_ids: Sequence[int]) -> dict[int, list[str]]:
        if not complaint_ids:
            return {}
        rows = await self.session.execute(_tags_of(self.session.get_bind().dialect.name), {"ids": list(complaint_ids)})
        return _tags_by_complaint(complaint_ids, rows.all())

    async def replace_tags(self, complaint: Complaint, tags: Sequence[str]) -> None:
        existing = await self.session.scalars(select(ComplaintTag).where(ComplaintTag.complaint_id == complaint.id))
        for row in existing.all():
            await self.session.delete(row)
        await self.session.flush()
        self.session.add_all(
            ComplaintTag(complaint_id=complaint.id, tag=tag, team_id=complaint.team_id, created_at=complaint.created_at)
            for tag in tags
        )

    def add_note(self, note: ComplaintNote) -> None:
        self.session.add(note)

    async def notes(self, team_id: str, complaint_id: int, limit: int = 50) -> Sequence[ComplaintNote]:
        rows = await self.session.scalars(
            select(ComplaintNote)
            .where(ComplaintNote.team_id == team_id, ComplaintNote.complaint_id == complaint_id)
            .order_by(ComplaintNote.created_at.desc(), ComplaintNote.id.desc())
            .limit(limit)
        )
        return list(reversed(rows.all()))

    async def audit_trail(self, team_id: str, complaint_id: int, limit: int = 50) -> Sequence[AuditEvent]:
        rows = await self.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.team_id == team_id,
                AuditEvent.entity_type == "complaint",
                AuditEvent.entity_id == complaint_id,
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
        return list(reversed(rows.all()))

    async def page(
        self,
        team_id: str,
        *,
        statuses: Sequence[str] | None = None,
        owner_id: str | None = None,
        overdue_at: datetime | None = None,
        tag: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> tuple[Sequence[Complaint], int]:
        """Newest first, with the total for paging."""
        conditions: list[ColumnElement[bool]] = [Complaint.team_id == team_id]
        if statuses:
            conditions.append(Complaint.status.in_(list(statuses)))
        if owner_id:
            conditions.append(Complaint.owner_id == owner_id)
        if overdue_at is not None:
            conditions.append(and_(Complaint.due_at < overdue_at, Complaint.first_response_at.is_(None)))
        if tag:
            tagged = select(ComplaintTag.complaint_id).where(ComplaintTag.team_id == team_id, ComplaintTag.tag == tag)
            conditions.append(Complaint.id.in_(tagged))
        total = await self.session.scalar(select(func.count()).select_from(Complaint).where(*conditions))
        rows = await self.session.scalars(
            select(Complaint)
            .where(*conditions)
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)

    async def owned_open(self, team_id: str, owner_id: str, limit: int) -> tuple[Sequence[Complaint], int]:
        """A person's open complaints, the most urgent (earliest due) first."""
        conditions = [
            Complaint.team_id == team_id,
            Complaint.owner_id == owner_id,
            Complaint.status.in_(OPEN_STATUSES),
        ]
        total = await self.session.scalar(select(func.count()).select_from(Complaint).where(*conditions))
        rows = await self.session.scalars(
            select(Complaint).where(*conditions).order_by(Complaint.due_at, Complaint.id).limit(limit)
        )
        return rows.all(), int(total or 0)

    async def count_by_status_in_all_workspaces(self) -> dict[str, int]:
        """For /metrics only: an operator's figure across workspaces, never shown to a user."""
        rows = await self.session.execute(select(Complaint.status, func.count()).group_by(Complaint.status))
        return {str(status): int(count) for status, count in rows.all()}

    async def count_overdue_in_all_workspaces(self, now: datetime) -> int:
        total = await self.session.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(
                Complaint.status.in_(OPEN_STATUSES),
                Complaint.first_response_at.is_(None),
                Complaint.due_at < now,
            )
        )
        return int(total or 0)
