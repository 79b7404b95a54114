"""Queries of the outbox: enqueue notices with the complaints, claim them before sending, settle them after.

A claim is one statement on both databases: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)
AND <still free> RETURNING …`. On PostgreSQL the inner SELECT skips rows another instance is claiming
at that moment; SQLite has no row locks (SQLAlchemy leaves `FOR UPDATE` out) but runs one writer at a
time, so the condition on the lease, checked again by the UPDATE, settles who got each row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.driver import among, insert_with_ids
from storage.models import OutboxNotice

_OUTBOX = OutboxNotice.metadata.tables["outbox"]
# Long IN-lists are split: a burst can have a thousand complaints waiting.
CHUNK = 500


@dataclass(frozen=True)
class Claimed:
    """A notice this process holds the lease of."""

    id: int
    team_id: str
    complaint_id: int
    kind: str
    recipient: str | None
    attempts: int


def _free(now: datetime) -> Any:
    return or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until <= now)


def _chunks(values: Collection[int]) -> list[list[int]]:
    ordered = sorted(values)
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def insert_notices(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Every notice of a logged batch, in the write that stores the complaints; their IDs, in order."""
    return insert_with_ids(connection, _OUTBOX, rows)


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    async def claim(
        self,
        now: datetime,
        lease_until: datetime,
        *,
        complaint_ids: Collection[int] | None = None,
        ready_by: datetime | None = None,
        limit: int = CHUNK,
    ) -> list[Claimed]:
        """Take the lease of free notices that are due: those of `complaint_ids`, or any made available by
        `ready_by`. Only the rows this statement updated are returned: nobody else holds them until
        `lease_until`."""
        if complaint_ids is not None:
            claimed: list[Claimed] = []
            for chunk in _chunks(complaint_ids):
                due = [among(_OUTBOX.c.complaint_id, "ids", self._dialect), _OUTBOX.c.available_at <= now]
                claimed += await self._claim(due, now, lease_until, len(chunk), {"ids": chunk})
            return claimed
        assert ready_by is not None
        return await self._claim([_OUTBOX.c.available_at <= ready_by], now, lease_until, limit)

    async def _claim(
        self, due: list[Any], now: datetime, lease_until: datetime, limit: int, params: dict[str, Any] | None = None
    ) -> list[Claimed]:
        chosen = (
            select(_OUTBOX.c.id)
            .where(*due, _free(now))
            .order_by(_OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(chosen.scalar_subquery()), _free(now))
            .values(claimed_until=lease_until)
            .returning(
                _OUTBOX.c.id,
                _OUTBOX.c.team_id,
                _OUTBOX.c.complaint_id,
                _OUTBOX.c.kind,
                _OUTBOX.c.recipient,
                _OUTBOX.c.attempts,
            )
        )
        rows = (await self.session.execute(statement, params)).all()
        return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)

    async def remove(self, ids: Collection[int]) -> None:
        """Sent, or given up on."""
        await self._each_chunk(delete(_OUTBOX).where(self._listed()), ids)

    async def retry_later(self, ids: Collection[int], available_at: datetime) -> None:
        """A failed attempt: counted, the lease given back, the next attempt not before `available_at`."""
        changed = {"attempts": _OUTBOX.c.attempts + 1, "available_at": available_at, "claimed_until": None}
        await self._each_chunk(update(_OUTBOX).where(self._listed()).values(changed), ids)

    async def release(self, ids: Collection[int]) -> None:
        """Give the lease back unsent (stopping): the next drainer to look takes them at once."""
        await self._each_chunk(update(_OUTBOX).where(self._listed()).values(claimed_until=None), ids)

    def _listed(self) -> Any:
        """The notices whose IDs are bound as `ids` (see `_each_chunk`)."""
        return among(_OUTBOX.c.id, "ids", self._dialect)

    async def _each_chunk(self, statement: Any, ids: Collection[int]) -> None:
        for chunk in _chunks(ids):
            await self.session.execute(statement, {"ids": chunk})

    async def waiting(self) -> list[OutboxNotice]:
        """Every notice not sent yet, oldest first (for operators and tests)."""
        return list((await self.session.scalars(select(OutboxNotice).order_by(OutboxNotice.id))).all())
