"""The schema's revisions (Alembic, `migrations/`): bringing a database to the newest, telling whether it
is there, and keeping two processes from migrating one database at once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: there, two processes must not migrate one SQLite file at once
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import text

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# PostgreSQL's advisory lock for migrating: two instances starting together must not both run one migration.
_MIGRATION_LOCK = 724011


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Any) -> None:
    """Every revision not applied yet, in the connection's transaction (`run_sync`)."""
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
    command.upgrade(alembic_config(connection), "heads")


def current_heads(connection: Any) -> set[str]:
    """The revisions the database is at (`run_sync`)."""
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


def script_heads() -> set[str]:
    """The newest revisions in `migrations/`."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


@asynccontextmanager
async def sqlite_migration_lock(path: str | None) -> AsyncIterator[None]:
    """SQLite has no advisory lock, and its DDL commits statement by statement: two processes migrating
    one new file at once both create the tables, and one fails. A lock on a file beside the database
    (`<file>.migrate-lock`, left in place: removing it would let a waiting process lock a file nobody
    else sees) makes the second wait, then find the schema current. None or an in-memory database: no
    lock."""
    if fcntl is None or not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    lock = await asyncio.to_thread(os.open, f"{path}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # closing releases the lock
