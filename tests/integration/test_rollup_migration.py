"""Migration 0008 queues the complaints already stored, a start (`migrate_and_fold`) folds them into the rollups, and the
downgrade removes it all."""

from __future__ import annotations

import random
from typing import Any

from alembic import command
from sqlalchemy import func, insert, inspect, select, text

from storage.db import Database
from storage.models import Complaint, ComplaintTag
from storage.repositories.folding import fold_pending, migrate_and_fold
from storage.schema import alembic_config
from tests.integration import rollup_helpers as oracle

BEFORE_ROLLUPS = "0007_outbox"
ROLLUP_TABLES = {
    "complaint_changes",
    "complaint_tag_changes",
    "complaint_status_hours",
    "complaint_network_hours",
    "complaint_resolved_hours",
    "complaint_due_hours",
    "complaint_response_hours",
    "complaint_response_days",
    "complaint_tag_hours",
}


async def _alembic(database: Database, action: str, revision: str) -> None:
    async with database.background_engine.begin() as connection:
        await connection.run_sync(lambda sync: getattr(command, action)(alembic_config(sync), revision))


def _rollup_objects(connection: Any) -> set[str]:
    """The rollups' and queues' tables, and the triggers and trigger functions on the complaints' tables."""
    found = {name for name in inspect(connection).get_table_names() if name in ROLLUP_TABLES}
    if connection.dialect.name == "sqlite":
        triggers = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        return found | set(triggers)
    triggers = connection.execute(
        text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN ('complaints'::regclass, 'complaint_tags'::regclass)"
        )
    ).scalars()
    functions = connection.execute(
        text("SELECT proname FROM pg_proc WHERE proname LIKE 'complaint%rollups%'")
    ).scalars()
    return found | set(triggers) | set(functions)


async def _objects(database: Database) -> set[str]:
    async with database.background_engine.connect() as connection:
        return await connection.run_sync(_rollup_objects)


async def _store_complaints(database: Database, rng: random.Random, first: int, how_many: int) -> None:
    """Rows as the bot stored them before the rollups: some answered, closed, tagged."""
    rows = [oracle.complaint_values(rng, rng.choice(oracle.TEAMS), serial) for serial in range(first, first + how_many)]
    async with database.unit_of_work() as session:
        ids = (
            await session.scalars(insert(Complaint).returning(Complaint.id, sort_by_parameter_order=True), rows)
        ).all()
        tags = [
            {"complaint_id": complaint_id, "tag": tag, "team_id": row["team_id"], "created_at": row["created_at"]}
            for complaint_id, row in zip(ids, rows, strict=True)
            for tag in rng.sample(oracle.TAGS, rng.randrange(0, 3))
        ]
        await session.execute(insert(ComplaintTag), tags)


async def _tags(database: Database) -> int:
    async with database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(ComplaintTag)) or 0)


async def _assert_rollups_match(database: Database) -> None:
    data = await oracle.stored(database)
    assert data.complaints and data.tags
    assert not oracle.differences(await oracle.rollup_rows(database), oracle.expected_rollups(data))


async def test_the_upgrade_fills_the_rollups_and_the_downgrade_removes_them(database: Database) -> None:
    rng = random.Random(4)
    at_head = await _objects(database)
    assert at_head >= ROLLUP_TABLES and len(at_head) > len(ROLLUP_TABLES)
    await _alembic(database, "downgrade", BEFORE_ROLLUPS)
    try:
        assert await _objects(database) == set()
        await _store_complaints(database, rng, 1, 300)

        await _alembic(database, "upgrade", "heads")
        assert await _objects(database) == at_head
        assert await fold_pending(database, limit=70) == 300 + await _tags(database)  # several batches
        await _assert_rollups_match(database)
        # The triggers and the fold carry on from the back-filled counts.
        async with database.unit_of_work() as session:
            complaint = (await session.scalars(select(Complaint).where(Complaint.status == "new").limit(1))).one()
            complaint.status = "resolved"
            complaint.closed_at = complaint.created_at
        await _store_complaints(database, rng, 1000, 20)
        await fold_pending(database)
        await _assert_rollups_match(database)

        await _alembic(database, "downgrade", BEFORE_ROLLUPS)
        assert await _objects(database) == set()
        await _store_complaints(database, rng, 2000, 20)  # the complaints stay writable without them
    finally:
        await migrate_and_fold(database)  # what a start does: upgrade, then fold
    await _assert_rollups_match(database)
