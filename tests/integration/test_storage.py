"""The storage guarantees the listeners rely on, on each real database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import AuditEvent, ProcessedEvent
from storage.repositories.audit import AuditRepository
from storage.repositories.events import ProcessedEventRepository


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
