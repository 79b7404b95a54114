"""The council digest's complaint figures, read from the rollups, equal the same figures counted over the
complaints — after any mix of writes, over any period, with the queued changes folded or not.

Random writes go through every path a complaint is written by: the ORM (commands, buttons), Core bulk
inserts (the ingestion API, imports), SQLite's one-trip insert (`/complaint add`), ORM and Core updates
(status changes, first responses, closes, reopenings, reassignments, new severities, networks),
retention's purge, deletes and tag changes. Then figures are compared over random periods: whole hours,
periods cut at any minute, local days of councils in India (+5:30) and Nepal (+5:45), a period inside one
hour, an empty one.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.councils.cadence import Period
from bot.councils.digest import chart_days
from storage.db import Database
from storage.models import Complaint, ComplaintChange, ComplaintTag, ComplaintTagChange
from storage.repositories import folding
from storage.repositories.complaints import ComplaintRepository, insert_complaints, insert_tags
from storage.repositories.digest import DigestRepository
from storage.repositories.folding import RollupFolder, fold_pending
from storage.repositories.retention import RetentionRepository
from tests.conftest import _prepare_postgres, postgres_url
from tests.integration import rollup_helpers as oracle
from tests.integration.rollup_helpers import SEVERITY_HOURS, STATUSES, TAGS, TEAMS, WINDOW, WINDOW_START

ZONES = ("Asia/Kolkata", "Asia/Kathmandu", "Europe/Berlin", "UTC")
COMPLAINTS_TABLE = Complaint.__table__


class RandomWrites:
    """Writes like the bot's, chosen at random; keeps the IDs it created so later writes find them."""

    def __init__(self, database: Database, rng: random.Random) -> None:
        self.database = database
        self.rng = rng
        self.serial = count(1)
        self.ids: list[int] = []

    def new(self) -> dict[str, object]:
        return oracle.complaint_values(self.rng, self.rng.choice(TEAMS), next(self.serial))

    def tags_for(self, complaint_id: int, values: dict[str, object]) -> list[dict[str, object]]:
        chosen = self.rng.sample(TAGS, self.rng.randrange(0, 3))
        return [
            {"complaint_id": complaint_id, "tag": tag, "team_id": values["team_id"], "created_at": values["created_at"]}
            for tag in chosen
        ]

    async def some(self, steps: int) -> None:
        writes = [
            (self.orm_insert, 3),
            (self.core_bulk_insert, 2),
            (self.write_path_insert, 4),
            (self.status_change, 5),
            (self.first_response, 4),
            (self.close_or_reopen, 3),
            (self.reassign, 2),
            (self.new_severity, 2),
            (self.new_network, 1),
            (self.core_update_many, 1),
            (self.move_in_time, 1),
            (self.retention_purge, 1),
            (self.tag_change, 3),
            (self.orm_delete, 1),
            (self.core_delete_many, 1),
        ]
        functions, weights = zip(*writes, strict=True)
        for _ in range(steps):
            write = self.rng.choices(functions, weights)[0]
            async with self.database.unit_of_work() as session:
                await write(session)

    def pick(self, how_many: int = 1) -> list[int]:
        return self.rng.sample(self.ids, min(how_many, len(self.ids)))

    # ---- inserts ---------------------------------------------------------------------------------
    async def orm_insert(self, session: AsyncSession) -> None:
        values = self.new()
        complaint = Complaint(**values)
        session.add(complaint)
        await session.flush()
        session.add_all(ComplaintTag(**row) for row in self.tags_for(complaint.id, values))
        self.ids.append(complaint.id)

    async def core_bulk_insert(self, session: AsyncSession) -> None:
        """As an import brings them: some answered and closed already."""
        rows = [self.new() for _ in range(self.rng.randrange(1, 25))]
        statement = insert(COMPLAINTS_TABLE).returning(COMPLAINTS_TABLE.c.id, sort_by_parameter_order=True)
        ids = list((await session.scalars(statement, rows)).all())
        tags = [
            tag for complaint_id, values in zip(ids, rows, strict=True) for tag in self.tags_for(complaint_id, values)
        ]
        await (await session.connection()).run_sync(insert_tags, tags)
        self.ids += ids

    async def write_path_insert(self, _session: AsyncSession) -> None:
        """Every capture path (a command, the ingestion API): one `Database.write` of Core inserts, the
        complaints and then their tags; new complaints, not answered yet (one, or a batch)."""
        rows = []
        for _ in range(self.rng.randrange(1, 20)):
            values = self.new()
            values.update(first_response_at=None, closed_at=None, status=self.rng.choice(("new", "assigned")))
            rows.append(values)

        def store(connection: Connection) -> list[int]:
            ids = insert_complaints(connection, rows)
            insert_tags(
                connection,
                [
                    tag
                    for complaint_id, values in zip(ids, rows, strict=True)
                    for tag in self.tags_for(complaint_id, values)
                ],
            )
            return ids

        self.ids += await self.database.write(store)

    # ---- updates ---------------------------------------------------------------------------------
    async def _one(self, session: AsyncSession) -> Complaint | None:
        [chosen] = self.pick() or [None]
        return None if chosen is None else await session.get(Complaint, chosen)

    async def status_change(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is not None:
            complaint.status = self.rng.choice(STATUSES)

    async def first_response(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is not None:
            complaint.first_response_at = complaint.created_at + oracle.random_response_delay(self.rng)
            if complaint.status in ("new", "assigned"):
                complaint.status = "responded"

    async def close_or_reopen(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is None:
            return
        if complaint.closed_at is None:
            complaint.status = self.rng.choice(("resolved", "dismissed"))
            complaint.closed_at = complaint.created_at + timedelta(minutes=self.rng.randrange(0, 4000))
        else:
            complaint.status, complaint.closed_at = "assigned", None

    async def reassign(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is not None:
            complaint.owner_id = f"U{self.rng.randrange(100)}"
            complaint.owner_dm_ts = f"{self.rng.randrange(10**9)}.0001"

    async def new_severity(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is not None:
            complaint.severity = self.rng.choice(tuple(SEVERITY_HOURS))
            complaint.due_at = complaint.created_at + timedelta(hours=SEVERITY_HOURS[complaint.severity])

    async def new_network(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is not None:
            complaint.network = self.rng.choice(oracle.NETWORKS)

    async def core_update_many(self, session: AsyncSession) -> None:
        """One statement changing many rows, some of them to what they already were."""
        ids = self.pick(self.rng.randrange(1, 15))
        status = self.rng.choice(STATUSES)
        await session.execute(
            update(Complaint)
            .where(Complaint.id.in_(ids))
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
        session.expunge_all()

    async def move_in_time(self, session: AsyncSession) -> None:
        """No command does this; the rollups follow it all the same."""
        ids = self.pick()
        if ids:
            await session.execute(
                update(Complaint)
                .where(Complaint.id == ids[0])
                .values(created_at=oracle.random_time(self.rng))
                .execution_options(synchronize_session=False)
            )
            session.expunge_all()

    async def retention_purge(self, session: AsyncSession) -> None:
        ids = self.pick(10)
        await RetentionRepository(session).purge(ids, WINDOW_START + WINDOW)

    # ---- tags and deletes --------------------------------------------------------------------------
    async def tag_change(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is None:
            return
        if self.rng.random() < 0.5:
            await ComplaintRepository(session).replace_tags(complaint, self.rng.sample(TAGS, self.rng.randrange(0, 4)))
        else:
            await session.execute(delete(ComplaintTag).where(ComplaintTag.complaint_id == complaint.id))

    async def orm_delete(self, session: AsyncSession) -> None:
        complaint = await self._one(session)
        if complaint is not None:
            await session.delete(complaint)
            self.ids.remove(complaint.id)

    async def core_delete_many(self, session: AsyncSession) -> None:
        ids = self.pick(self.rng.randrange(1, 6))
        await session.execute(delete(Complaint).where(Complaint.id.in_(ids)))
        self.ids = [known for known in self.ids if known not in ids]


def random_periods(rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Whole hours, edges at any minute or microsecond, local days in odd zones, one hour's inside, empty."""
    span = WINDOW + timedelta(days=4)  # responses and closes run past the window
    periods = []
    for _ in range(6):
        start = oracle.WINDOW_START + timedelta(hours=rng.randrange(int(span / timedelta(hours=1))))
        periods.append((start, start + timedelta(hours=rng.randrange(1, 24 * 7))))
    for _ in range(8):
        start = oracle.random_time(rng) - timedelta(days=1)
        periods.append((start, start + timedelta(seconds=rng.randrange(60, 8 * 86400))))
    for name in ("Asia/Kolkata", "Asia/Kathmandu"):
        day = (oracle.WINDOW_START + timedelta(days=rng.randrange(6))).astimezone(ZoneInfo(name))
        local_midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
        periods.append((local_midnight, local_midnight + timedelta(days=rng.choice((1, 3, 7)))))
    inside = oracle.WINDOW_START + timedelta(hours=30, minutes=7)
    periods += [(inside, inside + timedelta(minutes=41)), (inside, inside)]
    periods.append((oracle.WINDOW_START - timedelta(days=1), oracle.WINDOW_START + span))
    return periods


async def queued(database: Database) -> int:
    async with database.unit_of_work() as session:
        changes = await session.scalar(select(func.count()).select_from(ComplaintChange))
        tags = await session.scalar(select(func.count()).select_from(ComplaintTagChange))
    return int(changes or 0) + int(tags or 0)


async def assert_rollups_whole(database: Database) -> None:
    """Once every change is folded, each rollup row is what the complaints add up to."""
    await fold_pending(database)
    assert await queued(database) == 0
    expected = oracle.expected_rollups(await oracle.stored(database))
    assert not oracle.differences(await oracle.rollup_rows(database), expected)


async def assert_figures_match(database: Database, rng: random.Random) -> None:
    data = await oracle.stored(database)
    async with database.unit_of_work(background=True) as session:
        for team in TEAMS:
            figures = DigestRepository(session, team)
            for start, end in random_periods(rng):
                where = f"{team} [{start.isoformat()}, {end.isoformat()})"
                assert await figures.complaints_opened(start, end) == oracle.opened(data, team, start, end), where
                assert await figures.complaints_resolved(start, end) == oracle.resolved(data, team, start, end), where
                assert await figures.complaints_due(start, end) == oracle.due(data, team, start, end), where
                assert await figures.top_tags(start, end) == oracle.top_tags(data, team, start, end), where
                assert await figures.top_networks(start, end) == oracle.top_networks(data, team, start, end), where
                times = oracle.response_times(data, team, start, end)
                oracle.assert_median_close(await figures.median_first_response_seconds(start, end), times)
            for zone in ZONES:
                end = oracle.random_time(rng) + timedelta(days=rng.randrange(0, 3))
                _, bounds = chart_days(Period(end - timedelta(days=rng.choice((1, 7, 30))), end), ZoneInfo(zone))
                chart = {key: n for key, n in (await figures.complaints_by_bucket(bounds)).items() if n}
                assert chart == oracle.by_bucket(data, team, bounds), f"{team} chart in {zone} to {end}"


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rollup_figures_equal_the_figures_counted_over_the_complaints(database: Database, seed: int) -> None:
    rng = random.Random(seed)
    writes = RandomWrites(database, rng)
    await writes.some(60)
    assert await queued(database) > 0
    await assert_figures_match(database, rng)  # nothing folded: all from the queue and the complaints
    await assert_rollups_whole(database)
    await assert_figures_match(database, rng)
    await writes.some(60)
    async with database.unit_of_work(background=True) as session:  # one small batch folded, the rest queued
        assert await RollupFolder(session).fold(folding.COMPLAINT_CHANGES, limit=rng.randrange(1, 20)) > 0
        await RollupFolder(session).fold(folding.TAG_CHANGES, limit=rng.randrange(1, 5))
    await assert_figures_match(database, rng)
    await writes.some(30)
    await assert_rollups_whole(database)
    await assert_figures_match(database, rng)


async def test_an_update_that_changes_nothing_counted_queues_nothing(database: Database) -> None:
    """Retention blanking personal data, a reminder's claim, a new owner card, columns set to what they were."""
    rng = random.Random(9)
    writes = RandomWrites(database, rng)
    await writes.some(30)
    await fold_pending(database)
    async with database.unit_of_work() as session:
        ids = list((await session.scalars(select(Complaint.id))).all())
        await RetentionRepository(session).purge(ids, WINDOW_START)
        await session.execute(update(Complaint).values(owner_dm_ts="1.2", reminded_at=WINDOW_START))
        await session.execute(update(Complaint).values(status=Complaint.status, due_at=Complaint.due_at))
    assert ids
    assert await queued(database) == 0


@pytest.fixture
async def postgresql() -> AsyncIterator[Database]:
    """PostgreSQL only: SQLite has one writer at a time whatever the schema."""
    database = await _prepare_postgres(postgres_url())
    yield database
    await database.dispose()


@pytest.mark.postgresql
async def test_writers_of_the_same_hour_do_not_wait_for_each_other(postgresql: Database) -> None:
    """Two open transactions log complaints in the same hour, of the same status and network: the second
    commits while the first is still open (a shared counter would make it wait for the first's commit)."""
    rng = random.Random(5)
    values = [oracle.complaint_values(rng, TEAMS[0], serial) for serial in (1, 2)]
    for row in values:
        row.update(created_at=WINDOW_START, status="new", network="forum", first_response_at=None, closed_at=None)
    async with postgresql.unit_of_work() as first:
        await first.execute(insert(COMPLAINTS_TABLE), [values[0]])
        async with asyncio.timeout(5), postgresql.unit_of_work() as second:
            await second.execute(insert(COMPLAINTS_TABLE), [values[1]])
    await fold_pending(postgresql)
    async with postgresql.unit_of_work() as session:
        assert await DigestRepository(session, TEAMS[0]).complaints_opened(WINDOW_START, WINDOW_START + WINDOW) == 2
