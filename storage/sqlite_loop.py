"""SQLite on the event loop's own thread: the connections of the request path.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a thread of its own and hands the
result back to the event loop: four or more round trips per statement, each a wake-up of the loop and
a wait for its turn behind the other requests in flight. A short indexed read in SQLite itself takes
tens of microseconds, far less than one such round trip; measured on the ack path, the round trips
were most of a request's cost (`bench/RESULTS.md`). These connections run the sqlite3 calls directly,
on the loop, behind the same interface (the subset of aiosqlite that SQLAlchemy's `sqlite+aiosqlite`
dialect uses), so sessions, repositories and the dialect are unchanged.

Two things make that safe:

- **Writers never wait inside SQLite.** Within the process, writers queue on the database's write turn
  (`storage.db`) before their first write, so a statement never meets a lock held by a unit of work
  of the same process. Another process (a second instance on the same file, `herobot purge`) can hold
  the lock: the connection's busy timeout is zero, and a statement SQLite answers "busy" is tried again
  after an asynchronous pause — the loop goes on serving — for up to `BUSY_WAIT_SECONDS`, as long as
  SQLite's own busy timeout waited before.
- **Long work stays off the loop.** Digests, retention, exports and metrics over large tables run on
  the database's background engine (aiosqlite, a thread per connection): `Database.unit_of_work(
  background=True)`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from sqlalchemy import exc

# How long a statement waits for a lock another process holds (`storage.db` waits as long for a turn).
BUSY_WAIT_SECONDS = 30.0
_FIRST_PAUSE, _LONGEST_PAUSE = 0.001, 0.05


_BUSY_ERRORS = (sqlite3.OperationalError, exc.OperationalError)


def is_busy(error: Exception) -> bool:
    error = getattr(error, "orig", None) or error  # SQLAlchemy's wrapper of sqlite3's error
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or (
        "database is locked" in str(error)
    )


async def retrying_busy(call: Callable[[], Any]) -> Any:
    """Run `call`; while SQLite answers busy (another process holds the lock), pause and try again."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return call()
        except _BUSY_ERRORS as error:
            if not is_busy(error):
                raise
            if deadline is None:
                deadline = time.monotonic() + BUSY_WAIT_SECONDS
            elif time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


class LoopCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> LoopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> LoopCursor:
        await retrying_busy(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> LoopCursor:
        rows = list(parameters)  # a retry needs them again
        await retrying_busy(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        while rows := self._cursor.fetchmany(self._cursor.arraysize):
            for row in rows:
                yield row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Now:
    """aiosqlite's request queue, as SQLAlchemy's dialect uses it (to set the isolation level): run at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the awaiting caller, as aiosqlite's thread does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class LoopConnection:
    """An aiosqlite-shaped connection whose calls run on the calling (event loop) thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _Now()

    @property
    def _connection(self) -> sqlite3.Connection | None:  # SQLAlchemy checks it before commit and rollback
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    def cursor(self) -> LoopCursor:
        return LoopCursor(self._open().cursor())

    async def commit(self) -> None:
        await retrying_busy(self._open().commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def _execute(self, function: Callable[[], Any]) -> Any:
        """Run a function of the sqlite3 connection (aiosqlite runs it on its thread; here, now)."""
        return await retrying_busy(function)

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level


def connector(path: str, *, uri: bool = False) -> Callable[[], Any]:
    """The `async_creator` of the request-path engine: a loop connection to the SQLite file at `path`."""

    async def connect() -> LoopConnection:
        # No busy timeout: a lock held by another process is waited for in `retrying_busy`, off the loop.
        return LoopConnection(sqlite3.connect(path, timeout=0, uri=uri, check_same_thread=False))

    return connect
