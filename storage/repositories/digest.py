"""The figures of a council digest, each one SQL aggregate over one workspace and one period [start, end).

The complaints' figures add up the rollups (`storage.models.rollups`) and the changes queued for them for
the whole UTC hours (or days) of the period, and the complaints themselves for the partial hours at its
edges (`storage.repositories.rollups`): their cost follows the length of the period, not the number of
complaints, and the counts are exactly the counts over the complaints. The other figures read their
tables; every query filters on the workspace and a timestamp range that an index leads with (see
`storage.models.councils.DIGEST_INDEXES`). Rows are counted, grouped and ordered in the database, never
loaded into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import (
    Complaint,
    ComplaintChange,
    ComplaintDueHour,
    ComplaintNetworkHour,
    ComplaintResolvedHour,
    ComplaintResponseDay,
    ComplaintResponseHour,
    ComplaintStatusHour,
    ComplaintTag,
    ComplaintTagChange,
    ComplaintTagHour,
    CrisisAlert,
    Project,
    ProjectNote,
    RiskAssessment,
)
from storage.repositories.rollups import (
    DAY,
    HOUR,
    Records,
    RollupReader,
    median_of,
    response_bucket_sql,
    response_milliseconds,
)

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
        self.rollups = RollupReader(session, team_id)

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
    # Whole UTC hours (or days) from the rollups and the changes not folded yet, the partial hours at the
    # edges from the complaints: `rows(table, weight)` says what a complaint (or a queued change) adds.
    async def complaints_opened(self, start: datetime, end: datetime) -> int:
        rollup = self.rollups.rollup(ComplaintStatusHour.hour, sums=[ComplaintStatusHour.complaints])
        records = Records(Complaint, ComplaintChange, lambda t, weight: (t.created_at, [weight], []))
        (opened,) = await self.rollups.totals([start, end], {HOUR: rollup}, records)
        return opened

    async def complaints_resolved(self, start: datetime, end: datetime) -> int:
        rollup = self.rollups.rollup(ComplaintResolvedHour.hour, sums=[ComplaintResolvedHour.complaints])
        records = Records(
            Complaint, ComplaintChange, lambda t, weight: (t.closed_at, [weight], [t.status == "resolved"])
        )
        (resolved,) = await self.rollups.totals([start, end], {HOUR: rollup}, records)
        return resolved

    async def complaints_due(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Of the complaints whose first-response target fell in the period: how many, and how many met it
        (answered, or closed, by then). Dismissed complaints are left out."""

        def rows(t: Any, weight: Any) -> tuple[Any, list[Any], list[ColumnElement[bool]]]:
            met = or_(t.first_response_at <= t.due_at, t.closed_at <= t.due_at)
            return t.due_at, [weight, case((met, weight), else_=0)], [t.status != "dismissed"]

        rollup = self.rollups.rollup(ComplaintDueHour.hour, sums=[ComplaintDueHour.due, ComplaintDueHour.met])
        due, within = await self.rollups.totals([start, end], {HOUR: rollup}, Records(Complaint, ComplaintChange, rows))
        return due, within

    async def median_first_response_seconds(self, start: datetime, end: datetime) -> float | None:
        """Median time from logging to the first response, over the complaints first answered in the period.

        Read from the histogram of response times (`storage.models.rollups`): the mean of the bucket that
        holds the middle rank (the two middle ranks' means averaged, for an even count). Exact when that
        bucket holds one distinct time; otherwise within the bucket's width — a minute below 2 hours, 0.1
        hour below 2 days, 0.1 day beyond, the precision the digest shows the figure with.
        """

        def rows(t: Any, weight: Any) -> tuple[Any, list[Any], list[ColumnElement[bool]]]:
            milliseconds = response_milliseconds(self._dialect, t.first_response_at, t.created_at)
            return t.first_response_at, [response_bucket_sql(milliseconds), weight, weight * milliseconds], []

        by_hour, by_day = ComplaintResponseHour, ComplaintResponseDay
        found = await self.rollups.grouped(
            [start, end],
            {
                DAY: self.rollups.rollup(by_day.day, by_day.bucket, sums=[by_day.responses, by_day.milliseconds]),
                HOUR: self.rollups.rollup(by_hour.hour, by_hour.bucket, sums=[by_hour.responses, by_hour.milliseconds]),
            },
            Records(Complaint, ComplaintChange, rows),
            keys=1,
            in_key_order=True,
        )
        return median_of([(int(count), int(total)) for _, count, total in found])

    async def top_tags(self, start: datetime, end: datetime, limit: int = 5) -> list[tuple[str, int]]:
        rollup = self.rollups.rollup(ComplaintTagHour.hour, ComplaintTagHour.tag, sums=[ComplaintTagHour.tags])
        records = Records(ComplaintTag, ComplaintTagChange, lambda t, weight: (t.created_at, [t.tag, weight], []))
        found = await self.rollups.grouped([start, end], {HOUR: rollup}, records, keys=1, limit=limit)
        return [(tag, int(n)) for tag, n in found]

    async def top_networks(self, start: datetime, end: datetime, limit: int = 5) -> list[tuple[str, int]]:
        by_network = ComplaintNetworkHour
        rollup = self.rollups.rollup(by_network.hour, by_network.network, sums=[by_network.complaints])
        records = Records(Complaint, ComplaintChange, lambda t, weight: (t.created_at, [t.network, weight], []))
        found = await self.rollups.grouped([start, end], {HOUR: rollup}, records, keys=1, limit=limit)
        return [(network, int(n)) for network, n in found]

    async def complaints_by_bucket(self, bounds: Sequence[datetime]) -> dict[tuple[int, str], int]:
        """Complaints logged in each [bounds[i], bounds[i+1]) by their status now, in one grouped query.

        The hours a bound falls inside (days that begin at :30 UTC, for a council in India) are counted
        from the complaints."""
        if len(bounds) < 2:
            return {}
        last = len(bounds) - 2
        rollup = self.rollups.rollup(
            ComplaintStatusHour.hour,
            _bucket_of(ComplaintStatusHour.hour, bounds, 0, last),
            ComplaintStatusHour.status,
            sums=[ComplaintStatusHour.complaints],
        )
        records = Records(
            Complaint,
            ComplaintChange,
            lambda t, weight: (t.created_at, [_bucket_of(t.created_at, bounds, 0, last), t.status, weight], []),
        )
        found = await self.rollups.grouped(bounds, {HOUR: rollup}, records, keys=2)
        return {(int(index), status): int(n) for index, status, n in found}

    async def crisis_alerts(self, start: datetime, end: datetime, limit: int = 5) -> tuple[int, list[str]]:
        where = (CrisisAlert.team_id == self.team_id, _within(CrisisAlert.opened_at, start, end))
        total = await self._count(CrisisAlert, *where[1:])
        tags = await self.session.scalars(
            select(CrisisAlert.tag).where(*where).order_by(CrisisAlert.opened_at).limit(limit)
        )
        return total, list(tags.all())

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
