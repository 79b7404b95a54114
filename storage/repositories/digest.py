"""The figures of a council digest, each one SQL aggregate over one workspace and one period [start, end).

Every query filters on the workspace and a timestamp range that an index leads with (see
`storage.models.councils.DIGEST_INDEXES`); rows are counted, grouped and ordered in the database, never
loaded into Python. The median works on SQLite and PostgreSQL alike: count, then read the middle row(s)
with ORDER BY … LIMIT/OFFSET (PostgreSQL uses percentile_cont).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, extract, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Complaint, ComplaintTag, CrisisAlert, Project, ProjectNote, RiskAssessment

OPEN_PROJECT_STAGES = ("proposed", "active")
DECISIONS = ("approved", "changes_requested", "rejected")


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _bucket_of(column: Any, bounds: Sequence[datetime], first: int, last: int) -> Any:
    """Which [bounds[i], bounds[i+1]) holds `column`, for i in first..last: a balanced CASE, so each row
    costs log2(days) comparisons instead of one per day."""
    if first == last:
        return literal(first)
    middle = (first + last) // 2
    return case(
        (column < bounds[middle + 1], _bucket_of(column, bounds, first, middle)),
        else_=_bucket_of(column, bounds, middle + 1, last),
    )


class DigestRepository:
    def __init__(self, session: AsyncSession, team_id: str) -> None:
        self.session = session
        self.team_id = team_id

    async def _count(self, model: Any, *conditions: ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(model).where(model.team_id == self.team_id, *conditions)
        return int(await self.session.scalar(statement) or 0)

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # ---- HERO projects --------------------------------------------------------------------------
    async def projects_started(self, start: datetime, end: datetime) -> int:
        return await self._count(Project, _within(Project.created_at, start, end))

    async def projects_launched(self, start: datetime, end: datetime) -> int:
        return await self._count(Project, _within(Project.launched_at, start, end))

    async def projects_stalled(self, at: datetime, quiet: timedelta) -> int:
        """Open projects older than `quiet` with no timeline entry in the `quiet` before `at`."""
        since = at - quiet
        recent_note = exists().where(
            ProjectNote.project_id == Project.id, ProjectNote.created_at >= since, ProjectNote.created_at < at
        )
        return await self._count(
            Project, Project.stage.in_(OPEN_PROJECT_STAGES), Project.created_at < since, ~recent_note
        )

    # ---- complaints -----------------------------------------------------------------------------
    async def complaints_opened(self, start: datetime, end: datetime) -> int:
        return await self._count(Complaint, _within(Complaint.created_at, start, end))

    async def complaints_resolved(self, start: datetime, end: datetime) -> int:
        return await self._count(Complaint, _within(Complaint.closed_at, start, end), Complaint.status == "resolved")

    async def complaints_due(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Of the complaints whose first-response target fell in the period: how many, and how many met it
        (answered, or closed, by then). Dismissed complaints are left out."""
        met = or_(Complaint.first_response_at <= Complaint.due_at, Complaint.closed_at <= Complaint.due_at)
        statement = select(func.count(), func.coalesce(func.sum(case((met, 1), else_=0)), 0)).where(
            Complaint.team_id == self.team_id,
            _within(Complaint.due_at, start, end),
            Complaint.status != "dismissed",
        )
        total, within = (await self.session.execute(statement)).one()
        return int(total or 0), int(within or 0)

    async def median_first_response_seconds(self, start: datetime, end: datetime) -> float | None:
        """Median time from logging to the first response, over the complaints first answered in the period."""
        where = (Complaint.team_id == self.team_id, _within(Complaint.first_response_at, start, end))
        if self._dialect == "postgresql":
            epoch = extract("epoch", Complaint.first_response_at - Complaint.created_at)
            statement = select(func.percentile_cont(0.5).within_group(epoch)).where(*where)
            value = await self.session.scalar(statement)
            return None if value is None else float(value)
        answered = await self._count(Complaint, *where[1:])
        if answered == 0:
            return None
        seconds = (func.julianday(Complaint.first_response_at) - func.julianday(Complaint.created_at)) * 86400.0
        middle = (
            select(seconds.label("seconds"))
            .where(*where)
            .order_by(seconds)
            .limit(2 - answered % 2)
            .offset((answered - 1) // 2)
            .subquery()
        )
        value = await self.session.scalar(select(func.avg(middle.c.seconds)))
        return None if value is None else float(value)

    async def top_tags(self, start: datetime, end: datetime, limit: int = 5) -> list[tuple[str, int]]:
        in_period = select(ComplaintTag.tag).where(
            ComplaintTag.team_id == self.team_id, _within(ComplaintTag.created_at, start, end)
        )
        if self._dialect == "sqlite":
            # Without statistics SQLite would group along the (team, tag, created) index and read every tag
            # ever logged; a LIMIT keeps the period's rows in a subquery, read from the (team, created) index.
            in_period = in_period.limit(-1)
        rows = in_period.subquery()
        counted = func.count().label("n")
        statement = select(rows.c.tag, counted).group_by(rows.c.tag).order_by(counted.desc(), rows.c.tag).limit(limit)
        return [(tag, int(n)) for tag, n in (await self.session.execute(statement)).all()]

    async def top_networks(self, start: datetime, end: datetime, limit: int = 5) -> list[tuple[str, int]]:
        counted = func.count().label("n")
        statement = (
            select(Complaint.network, counted)
            .where(Complaint.team_id == self.team_id, _within(Complaint.created_at, start, end))
            .group_by(Complaint.network)
            .order_by(counted.desc(), Complaint.network)
            .limit(limit)
        )
        return [(network, int(n)) for network, n in (await self.session.execute(statement)).all()]

    async def crisis_alerts(self, start: datetime, end: datetime, limit: int = 5) -> tuple[int, list[str]]:
        where = (CrisisAlert.team_id == self.team_id, _within(CrisisAlert.opened_at, start, end))
        total = await self._count(CrisisAlert, *where[1:])
        tags = await self.session.scalars(
            select(CrisisAlert.tag).where(*where).order_by(CrisisAlert.opened_at).limit(limit)
        )
        return total, list(tags.all())

    async def complaints_by_bucket(self, bounds: Sequence[datetime]) -> dict[tuple[int, str], int]:
        """Complaints logged in each [bounds[i], bounds[i+1]) by their status now, in one grouped query."""
        if len(bounds) < 2:
            return {}
        bucket = _bucket_of(Complaint.created_at, bounds, 0, len(bounds) - 2).label("bucket")
        statement = (
            select(bucket, Complaint.status, func.count())
            .where(Complaint.team_id == self.team_id, _within(Complaint.created_at, bounds[0], bounds[-1]))
            .group_by(literal_column("bucket"), Complaint.status)
        )
        return {(int(index), status): int(n) for index, status, n in (await self.session.execute(statement)).all()}

    # ---- IT risk reviews ------------------------------------------------------------------------
    async def reviews_pending(self, at: datetime) -> int:
        """Submitted before `at` and not decided by then."""
        undecided = or_(RiskAssessment.decided_at.is_(None), RiskAssessment.decided_at >= at)
        return await self._count(RiskAssessment, RiskAssessment.submitted_at < at, undecided)

    async def oldest_pending(self, limit: int = 5) -> list[tuple[int, int, datetime]]:
        """The reviews waiting now, oldest first: (assessment id, project id, submitted at)."""
        statement = (
            select(RiskAssessment.id, RiskAssessment.project_id, RiskAssessment.submitted_at)
            .where(RiskAssessment.team_id == self.team_id, RiskAssessment.status == "pending")
            .order_by(RiskAssessment.submitted_at)
            .limit(limit)
        )
        return [(int(a), int(p), s) for a, p, s in (await self.session.execute(statement)).all() if s is not None]

    async def reviews_decided(self, start: datetime, end: datetime) -> dict[str, int]:
        statement = (
            select(RiskAssessment.status, func.count())
            .where(
                RiskAssessment.team_id == self.team_id,
                _within(RiskAssessment.decided_at, start, end),
                RiskAssessment.status.in_(DECISIONS),
            )
            .group_by(RiskAssessment.status)
        )
        return {status: int(n) for status, n in (await self.session.execute(statement)).all()}

    async def reviews_submitted(self, start: datetime, end: datetime) -> int:
        return await self._count(RiskAssessment, _within(RiskAssessment.submitted_at, start, end))
