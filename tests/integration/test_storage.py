"""The storage guarantees the listeners rely on, on each real database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import random
from collections.abc import Awaitable, Callable
from itertools import count, pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from storage import statistics
from storage.db import Database
from storage.models import AuditEvent, Complaint, ComplaintChange, ProcessedEvent
from storage.repositories.audit import AuditRepository
from storage.repositories.complaints import ComplaintRepository, insert_complaints, known_complaints
from storage.repositories.events import ProcessedEventRepository
from tests.conftest import _prepare_postgres, postgres_url
from tests.integration import rollup_helpers as rollups


async def test_an_event_is_claimed_once(database: Database) -> None:
    async with database.unit_of_work() as session:
        assert await ProcessedEventRepository(session).claim("Ev1", "T1") is True
    async with database.unit_of_work() as session:
        assert await ProcessedEventRepository(session).claim("Ev1", "T1") is False


async def test_concurrent_retries_of_one_event_claim_it_once(database: Database) -> None:
    async def claim() -> bool:
        async with database.unit_of_work() as session:
            claimed = await ProcessedEventRepository(session).claim("Ev-race", "T1")
            await asyncio.sleep(0.01)  # hold the transaction open while the other retry arrives
            return claimed

    results = await asyncio.gather(*(claim() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_a_claim_rolled_back_with_its_work_lets_the_retry_in(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            await ProcessedEventRepository(session).claim("Ev2", "T1")
            AuditRepository(session).record(team_id="T1", entity_type="x", entity_id=1, action="half", actor_id="U1")
            raise RuntimeError("the listener failed half-way")
    async with database.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert await ProcessedEventRepository(session).claim("Ev2", "T1") is True
        assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


async def test_the_schema_is_at_head(database: Database) -> None:
    assert await database.is_ready()


async def test_a_second_migration_of_one_new_sqlite_file_waits_for_the_first(tmp_path: Path) -> None:
    """Two processes starting on one new SQLite file: the one that finds the lock taken waits, then finds
    the schema current, instead of creating the same tables and failing."""
    path = tmp_path / "new.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    other_process = os.open(f"{path}.migrate-lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other_process, fcntl.LOCK_EX)  # another process is migrating
    try:
        migrating = asyncio.ensure_future(database.migrate())
        await asyncio.sleep(0.3)
        assert not migrating.done() and not await database.is_ready()
    finally:
        os.close(other_process)  # it finishes
    await asyncio.wait_for(migrating, 30)
    assert await database.is_ready()
    await database.migrate()  # and again, with nobody holding the lock: nothing to do
    await database.dispose()


async def test_many_writers_at_once_all_land(database: Database) -> None:
    """SQLite takes one writer at a time: writers queue in the app, none fails as `database is locked`."""
    writing: list[int] = []
    most_at_once = 0

    async def write(number: int) -> None:
        nonlocal most_at_once
        async with database.unit_of_work() as session:
            AuditRepository(session).record(
                team_id="T1", entity_type="load", entity_id=number, action="written", actor_id="U1"
            )
            await session.flush()
            writing.append(number)
            most_at_once = max(most_at_once, len(writing))
            await asyncio.sleep(0.005)  # a writer that holds its transaction a moment
            writing.remove(number)

    await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(20))), 10)
    async with database.unit_of_work() as session:
        stored = await session.scalar(select(func.count()).where(AuditEvent.entity_type == "load"))
    assert stored == 20
    if database.is_sqlite:
        assert most_at_once == 1


async def test_a_writer_that_fails_gives_its_turn_to_the_next(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            AuditRepository(session).record(team_id="T1", entity_type="x", entity_id=1, action="half", actor_id="U1")
            await session.flush()
            raise RuntimeError("the listener failed after writing")

    async def next_writer() -> None:
        async with database.unit_of_work() as session:
            AuditRepository(session).record(team_id="T1", entity_type="x", entity_id=2, action="whole", actor_id="U1")

    await asyncio.wait_for(next_writer(), 5)
    async with database.unit_of_work() as session:
        actions = (await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "x"))).all()
    assert list(actions) == ["whole"]


def _audit_row(number: int, action: str = "wrote") -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "team_id": "T1",
        "entity_type": "x",
        "entity_id": number,
        "action": action,
        "actor_id": "U1",
        "before": None,
        "after": {"n": number},
        "created_at": datetime.now(UTC),
    }


async def _through_a_unit_of_work(database: Database) -> None:
    async with database.unit_of_work() as session:
        AuditRepository(session).record(team_id="T1", entity_type="x", entity_id=1, action="waited", actor_id="U1")


async def _through_a_write(database: Database) -> None:
    from storage.repositories.audit import insert_events

    await database.write(insert_events, [_audit_row(1, "waited")])


@pytest.mark.parametrize("write", [_through_a_unit_of_work, _through_a_write], ids=["unit_of_work", "write"])
async def test_a_lock_held_by_another_process_is_waited_for_without_stopping_the_loop(
    tmp_path: Path, write: Callable[[Database], Awaitable[None]]
) -> None:
    """The request path's SQLite connections run on the event loop. When another process (a second
    instance, `herobot purge`) holds the write lock, a write — through a unit of work, or a
    `Database.write` whose work is tried again — waits for it asynchronously: the loop goes on
    answering, and the write lands once, when the lock is free."""
    import sqlite3

    path = tmp_path / "shared.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
    try:
        writing = asyncio.ensure_future(write(database))
        for _ in range(20):  # the loop keeps turning while the write waits
            await asyncio.sleep(0.005)
        assert not writing.done()
        async with database.unit_of_work() as session:  # and a read is answered meanwhile
            assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    finally:
        other_process.execute("COMMIT")
        other_process.close()
    await asyncio.wait_for(writing, 30)
    async with database.unit_of_work() as session:
        assert list((await session.scalars(select(AuditEvent.action))).all()) == ["waited"]
    await database.dispose()


async def test_the_wal_is_checkpointed_off_the_loop_once_it_has_grown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's SQLite connections never checkpoint inside a request's commit; once the WAL has grown
    past CHECKPOINT_WAL_BYTES a checkpoint runs on a connection thread instead."""
    from sqlalchemy import event, text

    from storage import db as storage_db

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    await database.migrate()
    checkpoints: list[str] = []
    event.listen(
        database.background_engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_rest: checkpoints.append(statement) if "wal_checkpoint" in statement else None,
    )
    async with database.engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA wal_autocheckpoint")) == 0

    async def write(number: int) -> None:
        async with database.unit_of_work() as session:
            AuditRepository(session).record(
                team_id="T1", entity_type="x", entity_id=number, action="wrote", actor_id="U1"
            )
        if database._checkpointing is not None:
            await database._checkpointing

    for number in range(3):  # a few small writes: far below the size that calls for a checkpoint
        await write(number)
    assert checkpoints == []
    monkeypatch.setattr(storage_db, "CHECKPOINT_WAL_BYTES", 1)  # now any unsaved log is too much
    await write(3)
    assert checkpoints == ["PRAGMA wal_checkpoint(PASSIVE)"]
    await database.dispose()


async def test_a_write_that_raises_stores_nothing_and_the_next_one_lands(tmp_path: Path) -> None:
    from storage.repositories.audit import insert_events

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await database.migrate()

    def half_then_fail(connection: Any) -> None:
        insert_events(connection, [_audit_row(1, "half")])
        raise RuntimeError("after the first row")

    with pytest.raises(RuntimeError):
        await database.write(half_then_fail)
    await database.write(insert_events, [_audit_row(2, "whole")])
    async with database.unit_of_work() as session:
        assert list((await session.scalars(select(AuditEvent.action))).all()) == ["whole"]
    await database.dispose()


async def test_writes_that_arrive_together_share_one_commit_and_a_failing_one_takes_back_only_its_rows(
    tmp_path: Path,
) -> None:
    """Under load the ack path's writes are queued and committed a group at a time; each runs in a
    savepoint, so one that raises leaves the others' rows stored and answers its own caller alone."""
    from sqlalchemy import event

    from storage.repositories.audit import insert_events

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'group.db'}")
    await database.migrate()
    commits: list[int] = []
    assert database._writer is not None
    event.listen(database._writer, "commit", lambda _connection: commits.append(1))

    def logged(connection: Any, number: int) -> int:
        insert_events(connection, [_audit_row(number)])
        return number

    def half_then_fail(connection: Any) -> None:
        insert_events(connection, [_audit_row(99, "half")])
        raise ValueError("the item is invalid")

    answers = await asyncio.gather(
        *(database.write(logged, number) for number in range(5)),
        database.write(half_then_fail),
        *(database.write(logged, number) for number in range(5, 10)),
        return_exceptions=True,
    )
    assert answers[:5] == [0, 1, 2, 3, 4] and answers[6:] == [5, 6, 7, 8, 9]
    assert isinstance(answers[5], ValueError)
    assert len(commits) == 1
    async with database.unit_of_work() as session:
        stored = (await session.scalars(select(AuditEvent.entity_id).order_by(AuditEvent.entity_id))).all()
    assert list(stored) == list(range(10))
    await database.dispose()


async def test_while_the_log_cannot_start_over_a_checkpoint_follows_its_growth_not_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While something keeps the log from starting over (a reader's snapshot, writers that never pause),
    it stays past CHECKPOINT_WAL_BYTES: a checkpoint starts each time it has grown by that much again,
    not after every write."""
    import sqlite3

    from storage import db as storage_db
    from storage.repositories.audit import insert_events

    monkeypatch.setattr(storage_db, "CHECKPOINT_WAL_BYTES", 64 * 1024)
    path = tmp_path / "pinned.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM audit_events").fetchall()  # an old snapshot: the log cannot start over
    started: list[int] = []
    real = database._checkpoint

    async def counted() -> None:
        started.append(wal.stat().st_size)
        await real()

    monkeypatch.setattr(database, "_checkpoint", counted)
    wal = tmp_path / "pinned.db-wal"
    try:
        for number in range(300):
            await database.write(insert_events, [_audit_row(number)])
            if database._checkpointing is not None:
                await database._checkpointing
        size = wal.stat().st_size
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert size > 3 * 64 * 1024  # the log grew past the mark several times
    assert 2 <= len(started) <= size // (64 * 1024)
    assert all(later - earlier >= 64 * 1024 for earlier, later in pairwise(started))
    await database.dispose()


async def test_reads_work_on_an_in_memory_database_too() -> None:
    """A URL the loop's connections cannot open (in memory, URI options) keeps the thread engine for all."""
    from storage.models import Project
    from storage.repositories.projects import project_lines

    database = Database("sqlite+aiosqlite://")  # in memory
    await database.migrate()
    assert database.engine is database.background_engine
    async with database.unit_of_work() as session:
        session.add(Project(team_id="T1", title="Refund tweets", network="twitter", owner_id="U1"))
    lines, total = await database.read(project_lines, "T1", limit=10)
    assert [(line.title, line.owner_id) for line in lines] == [("Refund tweets", "U1")] and total == 1
    await database.dispose()


@pytest.mark.postgresql
async def test_postgresql_statistics_keep_up_with_a_table_filling_faster_than_autovacuum_looks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new install taking in its backlog: the table is analysed once its rows at least double since its
    statistics, not at every look (see `storage.statistics`)."""
    monkeypatch.setattr(statistics, "LOOK_EVERY", 40)
    database = await _prepare_postgres(postgres_url())
    rng, serial = random.Random(3), count(1)

    async def add(rows: int) -> tuple[float, bool]:
        values = [rollups.complaint_values(rng, rollups.TEAMS[0], next(serial)) for _ in range(rows)]
        async with database.engine.begin() as connection:
            await connection.execute(insert(Complaint.__table__), values)
        database.grew("complaints", rows)
        await database.settle()
        async with database.engine.connect() as connection:
            analysed = (
                await connection.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'complaints'"))
            ).scalar_one()
            has_team = (
                await connection.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = 'complaints' AND attname = 'team_id')"
                    )
                )
            ).scalar_one()
        return analysed, has_team

    try:
        assert await add(30) == (-1, False)  # fewer than a look's worth: not looked at yet
        assert await add(30) == (60, True)  # never analysed: analysed at the first look
        assert (await add(40))[0] == 60  # 40 added since: the table has not doubled
        assert (await add(20))[0] == 60  # fewer than a look's worth since the last look: not looked at
        assert (await add(20))[0] == 140  # 80 added since it was analysed: doubled, analysed again
    finally:
        await database.dispose()


async def test_a_batch_larger_than_one_insert_statement_gives_each_complaint_its_own_id(database: Database) -> None:
    """SQLite sends a batch as statements of `ROWS_PER_INSERT` rows: the IDs handed back are each row's own,
    in order, and the rollups' queue holds every row once (its trigger fires per row, not per statement)."""
    rng = random.Random(8)
    rows = [rollups.complaint_values(rng, rollups.TEAMS[0], serial) for serial in range(1, 251)]
    ids = await database.write(insert_complaints, rows)
    async with database.unit_of_work() as session:
        stored = dict((await session.execute(select(Complaint.id, Complaint.url_key))).all())
        queued = await session.scalar(select(func.count()).select_from(ComplaintChange))
    assert len(ids) == len(set(ids)) == 250
    assert [stored[complaint_id] for complaint_id in ids] == [row["url_key"] for row in rows]
    assert queued == 250


async def test_complaints_are_found_by_any_of_many_slack_messages(database: Database) -> None:
    """More Slack messages than one look-up statement takes (SQLite allows 500 SELECTs in a UNION): each
    known one is found once, by the unit of work's look-up and by the write's."""
    rng = random.Random(4)
    rows = [rollups.complaint_values(rng, rollups.TEAMS[0], serial) for serial in (1, 2)]
    for row, ts in zip(rows, ("1700000000.000150", "1700000000.000550"), strict=True):
        row.update(slack_channel="C1", slack_ts=ts)
    ids = await database.write(insert_complaints, rows)
    messages = [("C1", f"1700000000.{n:06d}") for n in range(600)]
    async with database.unit_of_work() as session:
        found = await ComplaintRepository(session).find_known(rollups.TEAMS[0], slack_messages=messages)
        elsewhere = await ComplaintRepository(session).find_known(rollups.TEAMS[1], slack_messages=messages)
    in_write = await database.write(known_complaints, rollups.TEAMS[0], url_keys=["none"], slack_messages=messages)
    assert [complaint.id for complaint in found] == ids
    assert [complaint.id for complaint in in_write] == ids
    assert elsewhere == []
