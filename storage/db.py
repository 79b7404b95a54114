"""The database: one async engine, a session factory, and the unit of work every boundary opens.

A listener, a scheduled job or an HTTP handler opens exactly one `unit_of_work()`; services and
repositories flush but never commit, so a change is stored whole or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_
from sqlalchemy.util.concurrency import in_greenlet

from storage import schema, sqlite_loop
from storage.driver import json_text
from storage.statistics import Statistics

T = TypeVar("T")

log = logging.getLogger("herobot.storage")

# How long a writer waits for its turn, or for a lock another process holds, before it fails.
SQLITE_WRITE_WAIT_SECONDS = sqlite_loop.BUSY_WAIT_SECONDS
# The WAL's size that calls for a checkpoint: SQLite's own default (1,000 pages of 4 KiB).
CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class _WriteTurn:
    """A unit of work's place among SQLite writers: taken at its first write, given back after its commit."""

    held = False


@dataclass
class _QueuedWrite:
    """A `Database.write` waiting for its group's commit."""

    work: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    done: asyncio.Future[Any]


_write_turn: ContextVar[_WriteTurn | None] = ContextVar("herobot_sqlite_write_turn", default=None)


class Database:
    """On SQLite, two engines on the one file: `engine`, whose connections run on the event loop's thread
    (`storage.sqlite_loop`: the request path, short indexed statements), and `background_engine`
    (aiosqlite, a thread per connection) for the long work a request must not wait behind — digests,
    retention, exports, metrics. On PostgreSQL both are the one asyncpg engine."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._writers: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._reader: Engine | None = None
        self._reading: Connection | None = None
        self._writer: Engine | None = None
        self._writing: Connection | None = None
        self._queued: list[_QueuedWrite] = []
        self._committer: asyncio.Task[None] | None = None
        self._wal_path: str | None = None
        self._checkpointing: asyncio.Future[None] | None = None
        self._wal_checkpointed = 0  # the WAL's size when the last checkpoint started
        self._statistics: Statistics | None = None
        if not self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                json_serializer=json_text,
            )
            self.background_engine = self.engine
            if self.engine.dialect.name == "postgresql":
                self._statistics = Statistics(self.engine)
        else:
            self.background_engine = create_async_engine(
                url, echo=echo, connect_args={"timeout": SQLITE_WRITE_WAIT_SECONDS}, json_serializer=json_text
            )
            path = _sqlite_file(url)
            self.engine = (
                create_async_engine(
                    url, echo=echo, async_creator=sqlite_loop.connector(path), json_serializer=json_text
                )
                if path
                else self.background_engine
            )
            for engine in {self.engine, self.background_engine}:
                on_loop = engine is not self.background_engine
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas(on_loop=on_loop))
                event.listen(engine.sync_engine, "before_cursor_execute", self._wait_for_write_turn)
            if path:
                self._wal_path = f"{path}-wal"
                self._reader = create_engine(
                    f"sqlite:///{path}",
                    echo=echo,
                    connect_args={"timeout": 0, "check_same_thread": False},
                    json_serializer=json_text,
                )
                event.listen(self._reader, "connect", _sqlite_reader_pragmas)
                self._writer = create_engine(
                    f"sqlite:///{path}",
                    echo=echo,
                    connect_args={"timeout": 0, "check_same_thread": False},
                    json_serializer=json_text,
                )
                event.listen(self._writer, "connect", _sqlite_pragmas(on_loop=True))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.background_sessions = (
            self.sessions
            if self.background_engine is self.engine
            else async_sessionmaker(self.background_engine, expire_on_commit=False, autoflush=False)
        )

    @asynccontextmanager
    async def unit_of_work(self, *, background: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends normally, rolled back on any error.

        `background=True` for work that reads or writes many rows (a digest, a purge, an export): on
        SQLite it runs on a connection thread, so requests go on being answered meanwhile.
        """
        sessions = self.background_sessions if background else self.sessions
        if not self.is_sqlite:
            async with sessions() as session, session.begin():
                yield session
            return
        turn = _WriteTurn()
        token = _write_turn.set(turn)
        try:
            async with sessions() as session:
                try:
                    async with session.begin():
                        yield session
                finally:
                    # The turn is given back as soon as the commit (or rollback) is done, before the session
                    # returns its connection to the pool.
                    self._give_back(turn)
        finally:
            _write_turn.reset(token)
            self._give_back(turn)

    async def read(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A short read outside any unit of work: `query(connection, *args, **kwargs)` on a Core connection.

        For the reads on the ack path (a list, a look-up by index). On a SQLite file it runs there and
        then, on the loop, with a read-only connection of its own: no session, no transaction to commit,
        no hand-over to a thread — a few rows by index take tens of microseconds. Elsewhere it runs
        through the async engine (`run_sync`), so the same function serves PostgreSQL.
        """
        if self._reader is None:
            async with self.engine.connect() as connection:
                return await connection.run_sync(query, *args, **kwargs)
        answer: T = await sqlite_loop.retrying_busy(partial(self._read_now, query, *args, **kwargs))
        return answer

    def _read_now(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """On the loop, one read at a time: one connection kept open serves them all (no pool check-out)."""
        assert self._reader is not None
        connection = self._reading = _kept(self._reader, self._reading)
        try:
            return query(connection, *args, **kwargs)
        except BaseException:
            self._reading = None
            connection.close()
            raise
        finally:
            if not connection.closed:
                connection.rollback()  # no snapshot is kept between reads: checkpoints never wait for one

    async def write(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A short write outside any session: `work(connection, *args, **kwargs)` on a Core connection, in a
        transaction, committed when it returns and rolled back when it raises.

        For the writes on the ack path (a new complaint with its tags and audit row). On a SQLite file it
        runs on the loop, on a connection of its own, in the write turn, and the writes that arrive
        together share one commit (`_commit_queued`): each runs inside a savepoint of its own, so one that
        raises takes back only its own rows. `BEGIN IMMEDIATE` takes SQLite's lock first, so every read in
        `work` is current; while another process holds the lock the whole of `work` is tried again after a
        pause (so it must only touch the database). Elsewhere it runs through a unit of work's connection
        (`run_sync`), so the same function serves PostgreSQL.
        """
        if self._writer is None:
            async with self.unit_of_work() as session:
                connection = await session.connection()
                return await connection.run_sync(work, *args, **kwargs)
        loop = asyncio.get_running_loop()
        job = _QueuedWrite(work, args, kwargs, loop.create_future())
        self._queued.append(job)
        if self._committer is None:
            self._committer = loop.create_task(self._commit_queued())
        answer: T = await job.done
        return answer

    async def _commit_queued(self) -> None:
        """Run the queued writes, in the order they came, a group at a time: everything queued by the time
        the write turn is ours goes into one transaction and one commit. Under load, requests that reach
        their write in the same turn of the loop share the commit — SQLite's costliest step, writing the
        changed pages to the log — instead of each paying it; a lone write runs at once."""
        group: list[_QueuedWrite] = []
        try:
            while self._queued:
                await _take(self._writer_lock())
                try:
                    group, self._queued = [job for job in self._queued if not job.done.done()], []
                    if group:
                        outcomes = await sqlite_loop.retrying_busy(partial(self._write_group, group))
                        for job, (result, error) in zip(group, outcomes, strict=True):
                            if job.done.done():  # its caller gave up waiting (cancelled)
                                continue
                            if error is not None:
                                job.done.set_exception(error)
                            else:
                                job.done.set_result(result)
                finally:
                    self._writer_lock().release()
                    self._after_write()
        except BaseException as error:  # the commit itself failed (or waited too long): every write of it
            for job in group + self._queued:
                if not job.done.done():
                    job.done.set_exception(error)
            self._queued = []
            if not isinstance(error, Exception):
                raise
        finally:
            self._committer = None

    def _write_group(self, group: list[_QueuedWrite]) -> list[tuple[Any, BaseException | None]]:
        assert self._writer is not None
        connection = self._writing = _kept(self._writer, self._writing)
        driver = connection.connection.driver_connection
        assert driver is not None
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with connection.begin():
                driver.execute("BEGIN IMMEDIATE")
                for job in group:
                    driver.execute("SAVEPOINT queued_write")
                    try:
                        outcomes.append((job.work(connection, *job.args, **job.kwargs), None))
                    except Exception as error:
                        if sqlite_loop.is_busy(error):
                            raise  # the whole group is tried again
                        driver.execute("ROLLBACK TO queued_write")
                        outcomes.append((None, error))
                    driver.execute("RELEASE queued_write")
        except BaseException:
            if connection.invalidated:
                self._writing = None
                connection.close()
            raise
        return outcomes

    def _give_back(self, turn: _WriteTurn) -> None:
        if turn.held:
            turn.held = False
            self._writer_lock().release()
            self._after_write()

    def _after_write(self) -> None:
        """Checkpoint the WAL on a connection thread each time it has grown by CHECKPOINT_WAL_BYTES. The loop's
        connections never checkpoint (SQLite would otherwise copy the log into the file and sync it inside
        some request's commit). The log starts over (truncated) once a checkpoint has copied all of it
        before the next write; under a steady stream of writes that waits for a pause, and meanwhile each
        checkpoint copies what came since the last, instead of one starting after every write."""
        if self._wal_path is None or self._checkpointing is not None:
            return
        try:
            size = os.stat(self._wal_path).st_size
        except OSError:
            return
        if size < self._wal_checkpointed:  # the log started over
            self._wal_checkpointed = 0
        if size - self._wal_checkpointed >= CHECKPOINT_WAL_BYTES:
            self._wal_checkpointed = size
            self._checkpointing = asyncio.ensure_future(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            async with self.background_engine.connect() as connection:
                # PASSIVE: copies what no reader still needs, waits for nobody, never blocks a writer.
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as error:  # the next one will catch up; SQLite's log stays consistent either way
            log.warning("SQLite WAL checkpoint failed: %s", error)
        finally:
            self._checkpointing = None

    async def settle(self) -> None:
        """SQLite: wait for a checkpoint under way, then copy the whole WAL into the file (after a bulk load,
        before timing reads). PostgreSQL: wait for a look at the statistics under way."""
        if not self.is_sqlite:
            if self._statistics is not None:
                await self._statistics.settle()
            return
        if self._checkpointing is not None:
            await self._checkpointing
        async with self.background_engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _writer_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._writers is None or self._writers[0] is not loop:
            self._writers = (loop, asyncio.Lock())
        return self._writers[1]

    def _wait_for_write_turn(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """SQLite takes one writer at a time. Writers queue here, in order, instead of in SQLite's busy
        handler, which polls with sleeps of up to 100 ms and lets a late writer overtake an early one."""
        turn = _write_turn.get()
        if turn is None or turn.held or not in_greenlet() or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        await_(_take(self._writer_lock()))
        turn.held = True

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to run from several instances at once: see
        `storage.schema`). A start runs `storage.repositories.folding.migrate_and_fold`, which then folds
        what a migration queued."""
        path = self.engine.url.database if self.is_sqlite else None
        async with schema.sqlite_migration_lock(path), self.background_engine.begin() as connection:
            await connection.run_sync(schema.upgrade_to_head)

    async def is_ready(self) -> bool:
        """True when the database answers and its schema is at the newest revision."""
        try:
            async with self.engine.connect() as connection:
                current = await connection.run_sync(schema.current_heads)
        except Exception:
            return False
        return current == schema.script_heads()

    def grew(self, table: str, rows: int) -> None:
        """`rows` were added to `table`: on PostgreSQL, its statistics keep up with a fast-growing table
        (`storage.statistics`)."""
        if self._statistics is not None:
            self._statistics.grew(table, rows)

    async def dispose(self) -> None:
        statistics, self._statistics = self._statistics, None  # no look starts once stopping
        if statistics is not None:
            await statistics.settle()
        if self._committer is not None:
            await self._committer
        if self._checkpointing is not None:
            await self._checkpointing
        for sync_engine, kept in ((self._reader, self._reading), (self._writer, self._writing)):
            if kept is not None:
                kept.close()
            if sync_engine is not None:
                sync_engine.dispose()
        self._reading = self._writing = None
        for engine in {self.engine, self.background_engine}:
            await engine.dispose()


def _kept(engine: Engine, connection: Connection | None) -> Connection:
    """The connection kept open for the loop's reads (or writes), or a new one when it was lost."""
    if connection is None or connection.closed or connection.invalidated:
        return engine.connect()
    return connection


async def _take(lock: asyncio.Lock) -> None:
    async with asyncio.timeout(SQLITE_WRITE_WAIT_SECONDS):
        await lock.acquire()


def _sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL the loop connections can open, or None (in memory, or URI options)."""
    parsed = make_url(url)
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:") or parsed.query:
        return None
    return path


def _sqlite_pragmas(*, on_loop: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while one writer commits. The busy timeout makes a writer wait for a lock
        # another process holds: inside SQLite on a connection thread; on the loop's connections it is
        # zero and `sqlite_loop` waits without blocking the loop.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={0 if on_loop else int(SQLITE_WRITE_WAIT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if on_loop:  # `Database._after_write` checkpoints off the loop instead
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        # Back to empty after a checkpoint, so the log's size tells how much is not yet in the file.
        cursor.execute("PRAGMA journal_size_limit=0")
        cursor.close()

    return on_connect


def _sqlite_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The file is in WAL mode already (set by the writers' connections): readers never wait for a writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
