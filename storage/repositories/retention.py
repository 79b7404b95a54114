"""Queries of the retention purge: which closed complaints are due, and removing their personal data.

What is personal: the complaint's text, its author's handle, the post's URL (and `url_key`, derived
from it), the network's ID of the post (`external_id`, which leads back to the post and its author),
the bodies of its notes (which quote or answer the customer), and those same values wherever the
audit trail copied them. Figures stay: status, severity, network, region, tags, owner, times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Complaint, ComplaintNote
from storage.repositories.complaints import CLOSED_STATUSES

# What replaces a purged value in the audit trail: the key stays, so the trail keeps its shape.
PURGED = "[purged]"
# Keys of an audit row's before/after that may hold a complaint's personal data.
PERSONAL_AUDIT_KEYS = frozenset({"text", "author", "url", "url_key", "external_id", "body", "note"})


def scrubbed(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An audit state with every personal value replaced by the marker (None and "" stay as they are)."""
    if state is None:
        return None
    return {
        key: PURGED if key in PERSONAL_AUDIT_KEYS and value not in (None, "", PURGED) else value
        for key, value in state.items()
    }


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def due_query(closed_before: datetime) -> Select[int, str, datetime | None]:
        """Closed complaints not purged yet whose closing is older than `closed_before`, oldest id first."""
        return (
            select(Complaint.id, Complaint.team_id, Complaint.closed_at)
            .where(
                Complaint.status.in_(CLOSED_STATUSES),
                Complaint.closed_at.is_not(None),
                Complaint.closed_at < closed_before,
                Complaint.purged_at.is_(None),
            )
            .order_by(Complaint.id)
        )

    async def claim(self, closed_before: datetime, limit: int) -> list[int]:
        """Lock up to `limit` due complaints; another instance purging at the same time skips them."""
        rows = await self.session.scalars(
            self.due_query(closed_before).with_only_columns(Complaint.id).limit(limit).with_for_update(skip_locked=True)
        )
        return list(rows)

    async def purge(self, ids: Sequence[int], now: datetime) -> dict[str, list[int]]:
        """Remove the personal data of these complaints (those still unpurged); their ids by workspace."""
        rows = await self.session.execute(
            update(Complaint)
            .where(Complaint.id.in_(ids), Complaint.purged_at.is_(None))
            .values(text="", author="", url=None, url_key=None, external_id=None, purged_at=now)
            .returning(Complaint.id, Complaint.team_id)
            .execution_options(synchronize_session=False)
        )
        by_team: dict[str, list[int]] = defaultdict(list)
        for complaint_id, team_id in rows:
            by_team[team_id].append(complaint_id)
        return dict(by_team)

    async def scrub_notes(self, team_id: str, ids: Iterable[int]) -> None:
        await self.session.execute(
            update(ComplaintNote)
            .where(ComplaintNote.team_id == team_id, ComplaintNote.complaint_id.in_(list(ids)))
            .values(body="")
            .execution_options(synchronize_session=False)
        )

    async def scrub_audit(self, team_id: str, ids: Iterable[int]) -> int:
        """Replace the personal values in these complaints' audit rows with the marker; how many rows changed."""
        events = await self.session.execute(
            select(AuditEvent.id, AuditEvent.before, AuditEvent.after).where(
                AuditEvent.team_id == team_id,
                AuditEvent.entity_type == "complaint",
                AuditEvent.entity_id.in_(list(ids)),
            )
        )
        changed = 0
        for event_id, before, after in events.all():
            values: dict[str, Any] = {}
            if (clean := scrubbed(before)) != before:
                values["before"] = clean
            if (clean := scrubbed(after)) != after:
                values["after"] = clean
            if not values:
                continue
            await self.session.execute(
                update(AuditEvent)
                .where(AuditEvent.id == event_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            changed += 1
        return changed
