"""The database side of crisis alerts: counting a tag's complaints, holding one open alert per tag.

Counts are SQL aggregates over complaint_tags (team_id, tag, created_at), which is indexed for this.
One open alert per tag and workspace is held by the unique key (team_id, open_key): the second instance
to raise it gets an IntegrityError and joins the alert the first one raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Complaint, ComplaintTag, CrisisAlert
from storage.repositories.audit import AuditRepository

EXAMPLES = 3
NETWORKS_SHOWN = 8
ENTITY = "crisis_alert"


@dataclass(frozen=True)
class Example:
    complaint_id: int
    network: str
    author: str
    text: str
    url: str | None


@dataclass(frozen=True)
class AlertSummary:
    """What the alert message shows; read from the database just before it is posted or updated."""

    alert_id: int
    tag: str
    count: int
    since: datetime
    last_complaint_at: datetime
    networks: list[tuple[str, int]]
    examples: list[Example]
    closed_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def _tagged(team_id: str, tag: str, since: datetime) -> list[ColumnElement[bool]]:
    return [ComplaintTag.team_id == team_id, ComplaintTag.tag == tag, ComplaintTag.created_at >= since]


async def count_since(session: AsyncSession, team_id: str, tag: str, since: datetime) -> int:
    total = await session.scalar(select(func.count()).select_from(ComplaintTag).where(*_tagged(team_id, tag, since)))
    return int(total or 0)


async def open_alert(session: AsyncSession, team_id: str, tag: str) -> CrisisAlert | None:
    """The tag's open alert, locked until the caller commits: two instances counting complaints for it take
    turns, so the count stored last is never an older one."""
    return await session.scalar(
        select(CrisisAlert)
        .where(CrisisAlert.team_id == team_id, CrisisAlert.open_key == tag)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def close_alert(session: AsyncSession, alert: CrisisAlert, now: datetime) -> bool:
    """Close an alert whose window passed quietly; False when another instance closed it first."""
    result = await session.execute(
        update(CrisisAlert)
        .where(CrisisAlert.id == alert.id, CrisisAlert.open_key.is_not(None))
        .values(open_key=None, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    closed = result.rowcount == 1  # type: ignore[attr-defined]
    if closed:
        AuditRepository(session).record(
            team_id=alert.team_id,
            entity_type=ENTITY,
            entity_id=alert.id,
            action="closed",
            actor_id="herobot",
            after={"tag": alert.tag, "count": alert.count},
        )
    return closed


async def raise_alert(
    session: AsyncSession, team_id: str, tag: str, count: int, now: datetime
) -> tuple[CrisisAlert, bool]:
    """Insert the open alert for `tag`; (alert, True) when this call raised it, (the existing one, False) otherwise."""
    alert = CrisisAlert(team_id=team_id, tag=tag, open_key=tag, count=count, opened_at=now, last_complaint_at=now)
    try:
        async with session.begin_nested():
            session.add(alert)
            await session.flush()
    except IntegrityError:
        existing = await open_alert(session, team_id, tag)
        if existing is None:  # raised and closed in between: extremely unlikely; the next complaint tries again
            raise
        return existing, False
    AuditRepository(session).record(
        team_id=team_id,
        entity_type=ENTITY,
        entity_id=alert.id,
        action="raised",
        actor_id="herobot",
        after={"tag": tag, "count": count},
    )
    return alert, True


async def set_message(session: AsyncSession, alert_id: int, channel: str, ts: str) -> None:
    await session.execute(update(CrisisAlert).where(CrisisAlert.id == alert_id).values(channel=channel, ts=ts))


async def withdraw(session: AsyncSession, alert_id: int) -> None:
    """The alert could not be posted: remove it, so the next complaint with the tag raises it again."""
    await session.execute(delete(CrisisAlert).where(CrisisAlert.id == alert_id, CrisisAlert.ts.is_(None)))


async def get_alert(session: AsyncSession, team_id: str, alert_id: int) -> CrisisAlert | None:
    return await session.scalar(
        select(CrisisAlert)
        .where(CrisisAlert.team_id == team_id, CrisisAlert.id == alert_id)
        .execution_options(populate_existing=True)
    )


async def acknowledge(
    session: AsyncSession, team_id: str, alert_id: int, user_id: str, now: datetime
) -> tuple[CrisisAlert | None, bool]:
    """Record the first acknowledgement; (alert, True) when this one counted, (alert, False) if someone was first."""
    result = await session.execute(
        update(CrisisAlert)
        .where(CrisisAlert.team_id == team_id, CrisisAlert.id == alert_id, CrisisAlert.acknowledged_by.is_(None))
        .values(acknowledged_by=user_id, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    alert = await get_alert(session, team_id, alert_id)
    counted = result.rowcount == 1  # type: ignore[attr-defined]
    if counted and alert is not None:
        AuditRepository(session).record(
            team_id=team_id,
            entity_type=ENTITY,
            entity_id=alert_id,
            action="acknowledged",
            actor_id=user_id,
            before={"acknowledged_by": None},
            after={"acknowledged_by": user_id},
        )
    return alert, counted


def alert_since(alert: CrisisAlert, window: timedelta) -> datetime:
    """An alert counts from one window before it was raised: the complaints that raised it, and all after."""
    return alert.opened_at - window


async def summary(session: AsyncSession, alert: CrisisAlert, window: timedelta) -> AlertSummary:
    since = alert_since(alert, window)
    where = _tagged(alert.team_id, alert.tag, since)
    if alert.closed_at is not None:
        where.append(ComplaintTag.created_at <= alert.last_complaint_at)
    count = int(await session.scalar(select(func.count()).select_from(ComplaintTag).where(*where)) or 0)
    joined = select(Complaint.network, func.count()).join(ComplaintTag, ComplaintTag.complaint_id == Complaint.id)
    networks = (
        await session.execute(
            joined.where(*where)
            .group_by(Complaint.network)
            .order_by(func.count().desc(), Complaint.network)
            .limit(NETWORKS_SHOWN)
        )
    ).all()
    rows = (
        await session.scalars(
            select(Complaint)
            .join(ComplaintTag, ComplaintTag.complaint_id == Complaint.id)
            .where(*where)
            .order_by(ComplaintTag.created_at.desc(), Complaint.id.desc())
            .limit(EXAMPLES)
        )
    ).all()
    return AlertSummary(
        alert_id=alert.id,
        tag=alert.tag,
        count=count,
        since=since,
        last_complaint_at=alert.last_complaint_at,
        networks=[(str(network), int(n)) for network, n in networks],
        examples=[Example(c.id, c.network, c.author, c.text, c.url) for c in rows],
        closed_at=alert.closed_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
    )
