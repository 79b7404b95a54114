from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent, utcnow


class ProcessedEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, event_id: str, team_id: str) -> bool:
        """Record the event as handled; False when it already was (a retry of a handled event).

        Claimed in the same transaction as the event's effects: if handling fails, the claim is
        rolled back with them and Slack's retry gets a fresh chance.
        """
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(ProcessedEvent)
            .values(event_id=event_id, team_id=team_id, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        result = await self.session.execute(statement)
        assert isinstance(result, CursorResult)  # an INSERT answers with a cursor result
        return bool(result.rowcount)

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
        assert isinstance(result, CursorResult)  # so is a DELETE
        return int(result.rowcount or 0)
