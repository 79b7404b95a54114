"""Folding the queued changes (`complaint_changes`, `complaint_tag_changes`) into the rollups.

What each rollup counts is said once, here (`ROLLUPS`). A fold takes up to `limit` of the oldest changes
of a queue, adds them to every rollup of that queue — one grouped UPSERT per rollup, keys in order — and
deletes them, in one transaction: a reader sees each change either queued or counted, never both, never
neither. `fold_pending` folds until the queues are empty, a batch per unit of work, so SQLite's write lock
is never held for long.

On PostgreSQL one statement does it (the DELETE … RETURNING feeding the UPSERTs), and a transaction-level
advisory lock keeps it to one fold at a time across instances (two would lock rollup rows in an
unpredictable order). On SQLite the batch is the changes up to the id it reads first: ids only grow (the
queues are AUTOINCREMENT tables), so a change queued meanwhile comes after it and waits for the next fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, case, delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.db import Database
from storage.models import (
    ComplaintChange,
    ComplaintDueHour,
    ComplaintNetworkHour,
    ComplaintResolvedHour,
    ComplaintResponseDay,
    ComplaintResponseHour,
    ComplaintStatusHour,
    ComplaintTagChange,
    ComplaintTagHour,
)
from storage.repositories.rollups import response_bucket_sql, response_milliseconds

# Changes per fold. On SQLite a fold holds the only write lock: 5,000 take about 80 ms on the 2-core bench
# machine (20,000: 270 ms). On PostgreSQL writers never wait for a fold.
FOLD_BATCH = {"sqlite": 5_000, "postgresql": 20_000}
_FOLD_LOCK = 724012  # pg_advisory_xact_lock key of the fold (724011 is the migrations')

COMPLAINT_CHANGES: Table = ComplaintChange.__table__  # type: ignore[assignment]
TAG_CHANGES: Table = ComplaintTagChange.__table__  # type: ignore[assignment]

Columns = Callable[[str, Any], dict[str, Any]]  # (dialect, a relation with the queue's columns) → name → SQL


@dataclass(frozen=True)
class Rollup:
    model: Any
    queue: Table
    unit: str  # "hour" or "day": the rollup's time column
    time: str  # the queue's column whose hour (or day) keys the rollup
    keys: Columns  # besides team_id and the time
    adds: Columns  # what one change adds to each counter (times its delta)
    counts_if: Callable[[Any], ColumnElement[bool] | None] = lambda c: None


def _responses(dialect: str, c: Any) -> Any:
    return response_milliseconds(dialect, c.first_response_at, c.created_at)


def _met(c: Any) -> Any:
    return case((or_(c.first_response_at <= c.due_at, c.closed_at <= c.due_at), 1), else_=0)


ROLLUPS = (
    Rollup(
        ComplaintStatusHour, COMPLAINT_CHANGES, "hour", "created_at",
        keys=lambda d, c: {"status": c.status}, adds=lambda d, c: {"complaints": 1},
    ),
    Rollup(
        ComplaintNetworkHour, COMPLAINT_CHANGES, "hour", "created_at",
        keys=lambda d, c: {"network": c.network}, adds=lambda d, c: {"complaints": 1},
    ),
    Rollup(
        ComplaintResolvedHour, COMPLAINT_CHANGES, "hour", "closed_at",
        keys=lambda d, c: {}, adds=lambda d, c: {"complaints": 1},
        counts_if=lambda c: (c.status == "resolved") & c.closed_at.is_not(None),
    ),
    Rollup(
        ComplaintDueHour, COMPLAINT_CHANGES, "hour", "due_at",
        keys=lambda d, c: {}, adds=lambda d, c: {"due": 1, "met": _met(c)},
        counts_if=lambda c: c.status != "dismissed",
    ),
    *(
        Rollup(
            model, COMPLAINT_CHANGES, unit, "first_response_at",
            keys=lambda d, c: {"bucket": response_bucket_sql(_responses(d, c))},
            adds=lambda d, c: {"responses": 1, "milliseconds": _responses(d, c)},
            counts_if=lambda c: c.first_response_at.is_not(None),
        )
        for model, unit in ((ComplaintResponseHour, "hour"), (ComplaintResponseDay, "day"))
    ),
    Rollup(
        ComplaintTagHour, TAG_CHANGES, "hour", "created_at",
        keys=lambda d, c: {"tag": c.tag}, adds=lambda d, c: {"tags": 1},
    ),
)  # fmt: skip


def truncated(dialect: str, unit: str, column: Any) -> Any:
    """The UTC hour (or day) `column` falls in, as the rollups' time columns store it."""
    if dialect == "postgresql":
        return func.timezone("UTC", func.date_trunc(unit, func.timezone("UTC", column)))
    pattern = "%Y-%m-%d %H:00:00.000000" if unit == "hour" else "%Y-%m-%d 00:00:00.000000"
    return func.strftime(pattern, column)  # SQLAlchemy's storage format for DATETIME on SQLite


def _upsert(rollup: Rollup, dialect: str, changes: Any, *within: ColumnElement[bool]) -> Any:
    """INSERT … SELECT the changes' sums per key ON CONFLICT add them: keys in order, so rows lock in order."""
    c = changes.c
    keys, adds = rollup.keys(dialect, c), rollup.adds(dialect, c)
    grouped = [c.team_id, truncated(dialect, rollup.unit, c[rollup.time]), *keys.values()]
    positions: list[Any] = [literal_column(str(i + 1)) for i in range(len(grouped))]
    counted = rollup.counts_if(c)
    conditions = [*within, *([counted] if counted is not None else [])]
    sums = select(*grouped, *(func.sum(c.delta * add) for add in adds.values()))
    sums = sums.where(*conditions).group_by(*positions).order_by(*positions)
    table = rollup.model.__table__
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    statement = insert.from_select(["team_id", rollup.unit, *keys, *adds], sums)
    return statement.on_conflict_do_update(
        index_elements=["team_id", rollup.unit, *keys],
        set_={name: table.c[name] + statement.excluded[name] for name in adds},
    )


class RollupFolder:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def fold(self, queue: Table, limit: int) -> int:
        """Fold up to `limit` of the oldest changes of `queue`; how many were folded."""
        rollups = [rollup for rollup in ROLLUPS if rollup.queue is queue]
        if self.session.get_bind().dialect.name == "postgresql":
            return await self._fold_postgresql(queue, rollups, limit)
        return await self._fold_sqlite(queue, rollups, limit)

    async def _fold_postgresql(self, queue: Table, rollups: list[Rollup], limit: int) -> int:
        if not await self.session.scalar(select(func.pg_try_advisory_xact_lock(_FOLD_LOCK))):
            return 0  # another instance is folding
        oldest = select(queue.c.id).order_by(queue.c.id).limit(limit).with_for_update(skip_locked=True)
        moved = delete(queue).where(queue.c.id.in_(oldest)).returning(*queue.c).cte("moved")
        folds = [_upsert(rollup, "postgresql", moved).cte(f"fold_{i}") for i, rollup in enumerate(rollups)]
        return int(await self.session.scalar(select(func.count()).select_from(moved).add_cte(*folds)) or 0)

    async def _fold_sqlite(self, queue: Table, rollups: list[Rollup], limit: int) -> int:
        oldest = select(queue.c.id).order_by(queue.c.id).limit(limit).subquery()
        last, count = (
            await self.session.execute(select(func.max(oldest.c.id), func.count()).select_from(oldest))
        ).one()
        if not count:
            return 0
        for rollup in rollups:
            await self.session.execute(_upsert(rollup, "sqlite", queue, queue.c.id <= last))
        await self.session.execute(delete(queue).where(queue.c.id <= last))
        return int(count)


async def fold_pending(database: Database, limit: int | None = None) -> int:
    """Fold every queued change, `limit` at a time, each batch its own unit of work; how many were folded."""
    limit = limit or FOLD_BATCH["sqlite" if database.is_sqlite else "postgresql"]
    folded = 0
    for queue in (COMPLAINT_CHANGES, TAG_CHANGES):
        while True:
            async with database.unit_of_work(background=True) as session:
                done = await RollupFolder(session).fold(queue, limit)
            folded += done
            if done < limit:
                break
    return folded


async def migrate_and_fold(database: Database) -> None:
    """What a start does: bring the schema to the newest revision, then fold the changes queued for the
    digest's rollups (a migration may queue many: 0008 queued every complaint)."""
    await database.migrate()
    await fold_pending(database)
