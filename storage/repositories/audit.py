from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.driver import execute_rows
from storage.models import AuditEvent

# Core on the table: the ORM's bulk path costs more per row than the INSERT itself.
_INSERT_EVENT = insert(AuditEvent.metadata.tables[AuditEvent.__tablename__])


def insert_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Audit rows (each with `AuditRepository.record`'s fields and `created_at`) in a `Database.write`."""
    execute_rows(connection, _INSERT_EVENT, rows)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self,
        *,
        team_id: str,
        entity_type: str,
        entity_id: int | None,
        action: str,
        actor_id: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            team_id=team_id,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor_id=actor_id,
            before=before,
            after=after,
        )
        self.session.add(event)
        return event

    async def for_entity(self, team_id: str, entity_type: str, entity_id: int) -> Sequence[AuditEvent]:
        rows = await self.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.team_id == team_id,
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id == entity_id,
            )
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
        return rows.all()
