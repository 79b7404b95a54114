"""Queries of the complaints domain. Every one filters by workspace (team_id)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import write_in_one_trip
from storage.models import AuditEvent, Complaint, ComplaintNote, ComplaintTag

OPEN_STATUSES = ("new", "assigned", "responded")
CLOSED_STATUSES = ("resolved", "dismissed")


# What a new complaint is inserted with: every row of a bulk insert carries the same keys.
_INSERTED = (
    "team_id", "network", "url", "url_key", "external_id", "slack_channel", "slack_ts", "author", "text",
    "region", "severity", "status", "source", "created_by", "posted_at", "created_at", "updated_at", "due_at",
    "owner_id", "routed_channel", "rule_id",
)  # fmt: skip


_INSERT_ONE = insert(Complaint).returning(Complaint.id)
_INSERT_TAG = insert(ComplaintTag)
_INSERT_EVENT = insert(AuditEvent)
# Batches go through Core on the tables: the ORM's bulk path costs more per row than the INSERT itself.
_COMPLAINTS, _TAGS = Complaint.metadata.tables["complaints"], ComplaintTag.metadata.tables["complaint_tags"]
_INSERT_MANY_BY_KEY = insert(_COMPLAINTS).returning(_COMPLAINTS.c.id, _COMPLAINTS.c.url_key)
_INSERT_MANY_IN_ORDER = insert(_COMPLAINTS).returning(_COMPLAINTS.c.id, sort_by_parameter_order=True)
# RETURNING makes SQLAlchemy send the rows as multi-row INSERTs (pages of 1,000): on PostgreSQL the statement
# triggers that queue changes for the digest's rollups (migration 0007) then run once per page, not per tag.
_INSERT_TAGS = insert(_TAGS).returning(_TAGS.c.complaint_id)


@functools.cache
def _known_statement(by_url: bool, by_external: bool) -> Select[Complaint]:
    matches: list[ColumnElement[bool]] = []
    if by_url:
        matches.append(Complaint.url_key.in_(bindparam("url_keys", expanding=True)))
    if by_external:
        matches.append(Complaint.external_id.in_(bindparam("external_ids", expanding=True)))
    return select(Complaint).where(Complaint.team_id == bindparam("team_id"), or_(*matches))


class ComplaintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_many(self, complaints: Sequence[Complaint]) -> None:
        """Insert new complaints in one bulk statement and give each its ID.

        The objects stay outside the session (transient, with their ID set): a batch of a thousand
        costs one INSERT … RETURNING instead of a thousand tracked objects and flushes.
        """
        rows = [{name: getattr(complaint, name) for name in _INSERTED} for complaint in complaints]
        by_key = {complaint.url_key: complaint for complaint in complaints if complaint.url_key}
        if len(complaints) > 1 and len(by_key) == len(complaints):
            # Matched by URL digest, which every row has: asking for RETURNING in parameter order would
            # make SQLite insert row by row.
            result = await self.session.execute(_INSERT_MANY_BY_KEY, rows)
            for new_id, key in result.all():
                by_key[str(key)].id = new_id
            return
        ordered = await self.session.execute(_INSERT_MANY_IN_ORDER, rows)
        for complaint, new_id in zip(complaints, ordered.scalars().all(), strict=True):
            complaint.id = new_id

    async def insert_one(
        self, complaint: Complaint, tags: Sequence[dict[str, object]], trail: Sequence[dict[str, object]]
    ) -> int:
        """SQLite: one new complaint, its tags and its audit rows in one trip (`NEW_ID` stands for its ID)."""
        row = {name: getattr(complaint, name) for name in _INSERTED}
        written = await write_in_one_trip(
            self.session,
            [(_INSERT_ONE, [row]), (_INSERT_TAG, list(tags)), (_INSERT_EVENT, list(trail))],
        )
        return int(written[0][0][0])

    async def insert_tags(self, rows: Sequence[dict[str, object]]) -> None:
        if rows:
            await self.session.execute(_INSERT_TAGS, list(rows))

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
        keys, externals, messages = sorted(set(url_keys)), sorted(set(external_ids)), sorted(set(slack_messages))
        if not (keys or externals or messages):
            return []
        if messages:
            statement = select(Complaint).where(
                Complaint.team_id == team_id,
                or_(
                    *([Complaint.url_key.in_(keys)] if keys else []),
                    *([Complaint.external_id.in_(externals)] if externals else []),
                    tuple_(Complaint.slack_channel, Complaint.slack_ts).in_(messages),
                ),
            )
            return (await self.session.scalars(statement)).all()
        # By URL digest and/or external ID (every typed command, most ingested batches): one statement per
        # shape, built once with expanding parameters, so only its values change from call to call.
        params: dict[str, object] = {"team_id": team_id}
        if keys:
            params["url_keys"] = keys
        if externals:
            params["external_ids"] = externals
        rows = await self.session.scalars(_known_statement(bool(keys), bool(externals)), params)
        return rows.all()

    async def tags_of(self, complaint_ids: Sequence[int]) -> dict[int, list[str]]:
        if not complaint_ids:
            return {}
        rows = await self.session.execute(
            select(ComplaintTag.complaint_id, ComplaintTag.tag)
            .where(ComplaintTag.complaint_id.in_(list(complaint_ids)))
            .order_by(ComplaintTag.complaint_id, ComplaintTag.tag)
        )
        found: dict[int, list[str]] = {complaint_id: [] for complaint_id in complaint_ids}
        for complaint_id, tag in rows.all():
            found[complaint_id].append(tag)
        return found

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
