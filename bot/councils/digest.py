"""The figures of a council's digest for one period, each beside the same figure for the period before.

Plain data out (no Block Kit): `views.digest_message` renders it, `chart.render_chart` draws its chart.
Every number comes from one SQL aggregate (storage.repositories.digest).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.councils.cadence import Period
from storage.models import Council
from storage.repositories.councils import CouncilRepository
from storage.repositories.digest import DigestRepository

SECTIONS = ("projects", "complaints", "risk")
SECTION_LABELS = {"projects": "HERO projects", "complaints": "Social complaints", "risk": "IT risk reviews"}
STALLED_AFTER = timedelta(days=14)
CHART_MIN_DAYS = 7
CHART_MAX_DAYS = 62
STATUSES = ("new", "assigned", "responded", "resolved", "dismissed")


@dataclass(frozen=True)
class Figure:
    """A figure this period and the period before; None when it can't be computed (nothing to take a median of)."""

    now: float | None
    before: float | None

    @property
    def change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return self.now - self.before


@dataclass(frozen=True)
class ProjectLine:
    project_id: int
    title: str
    stage: str


@dataclass(frozen=True)
class ProjectFigures:
    started: Figure
    launched: Figure
    stalled: Figure
    council_projects: list[ProjectLine] = field(default_factory=list)
    council_project_total: int = 0

    @property
    def happened(self) -> bool:
        return bool(self.started.now or self.launched.now)

    @property
    def empty(self) -> bool:
        return not (self.happened or self.stalled.now or self.council_project_total)


@dataclass(frozen=True)
class ComplaintFigures:
    opened: Figure
    resolved: Figure
    overdue: Figure
    median_first_response: Figure  # seconds
    within_sla: Figure  # a share, 0–1
    crisis_alerts: Figure
    top_tags: list[tuple[str, int]] = field(default_factory=list)
    top_networks: list[tuple[str, int]] = field(default_factory=list)
    crisis_tags: list[str] = field(default_factory=list)

    @property
    def happened(self) -> bool:
        return bool(self.opened.now or self.resolved.now or self.crisis_alerts.now or self.overdue.now)

    @property
    def empty(self) -> bool:
        return not (self.happened or self.median_first_response.now is not None)


@dataclass(frozen=True)
class PendingReview:
    assessment_id: int
    project_id: int
    waiting: timedelta


@dataclass(frozen=True)
class RiskFigures:
    pending: Figure
    decided: Figure
    submitted: Figure
    decided_by: dict[str, int] = field(default_factory=dict)
    oldest: list[PendingReview] = field(default_factory=list)

    @property
    def happened(self) -> bool:
        return bool(self.decided.now or self.submitted.now)

    @property
    def empty(self) -> bool:
        return not (self.happened or self.pending.now)


@dataclass(frozen=True)
class ChartData:
    """Complaints logged per local day, by their status now."""

    days: list[date]
    counts: dict[str, list[int]]

    @property
    def total(self) -> int:
        return sum(sum(values) for values in self.counts.values())


@dataclass(frozen=True)
class Digest:
    council_id: int
    council_name: str
    zone_name: str
    period: Period
    previous: Period
    projects: ProjectFigures | None
    complaints: ComplaintFigures | None
    risk: RiskFigures | None
    chart: ChartData | None
    so_far: bool = False
    late: bool = False

    @property
    def happened(self) -> bool:
        """Anything happened in the period (figures standing still, e.g. a review still pending, don't count)."""
        return any(part is not None and part.happened for part in (self.projects, self.complaints, self.risk))


def wanted_sections(council: Council) -> tuple[str, ...]:
    chosen = {part.strip() for part in (council.sections or "").split(",")}
    return tuple(section for section in SECTIONS if section in chosen)


async def compose_digest(
    session: AsyncSession,
    council: Council,
    period: Period,
    previous: Period,
    *,
    now: datetime,
    so_far: bool = False,
    late: bool = False,
) -> Digest:
    figures = DigestRepository(session, council.team_id)
    sections = wanted_sections(council)
    projects = await _projects(session, figures, council, period, previous) if "projects" in sections else None
    complaints = await _complaints(figures, period, previous) if "complaints" in sections else None
    risk = await _risk(figures, period, previous, now) if "risk" in sections else None
    chart = None
    if complaints is not None:
        chart = await _chart(figures, period, ZoneInfo(council.timezone))
    return Digest(
        council_id=council.id,
        council_name=council.name,
        zone_name=council.timezone,
        period=period,
        previous=previous,
        projects=projects,
        complaints=complaints,
        risk=risk,
        chart=chart if chart is not None and chart.total else None,
        so_far=so_far,
        late=late,
    )


Count = Callable[[datetime, datetime], Awaitable[int]]


async def _both(count: Count, period: Period, previous: Period) -> Figure:
    return Figure(await count(period.start, period.end), await count(previous.start, previous.end))


async def _projects(
    session: AsyncSession, figures: DigestRepository, council: Council, period: Period, previous: Period
) -> ProjectFigures:
    listed, total = await CouncilRepository(session).projects_of(council.team_id, council.id)
    return ProjectFigures(
        started=await _both(figures.projects_started, period, previous),
        launched=await _both(figures.projects_launched, period, previous),
        stalled=Figure(
            float(await figures.projects_stalled(period.end, STALLED_AFTER)),
            float(await figures.projects_stalled(previous.end, STALLED_AFTER)),
        ),
        council_projects=[ProjectLine(p.id, p.title, p.stage) for p in listed],
        council_project_total=total,
    )


async def _complaints(figures: DigestRepository, period: Period, previous: Period) -> ComplaintFigures:
    due_now, met_now = await figures.complaints_due(period.start, period.end)
    due_before, met_before = await figures.complaints_due(previous.start, previous.end)
    alerts_now, crisis_tags = await figures.crisis_alerts(period.start, period.end)
    alerts_before, _ = await figures.crisis_alerts(previous.start, previous.end)
    return ComplaintFigures(
        opened=await _both(figures.complaints_opened, period, previous),
        resolved=await _both(figures.complaints_resolved, period, previous),
        overdue=Figure(due_now - met_now, due_before - met_before),
        median_first_response=Figure(
            await figures.median_first_response_seconds(period.start, period.end),
            await figures.median_first_response_seconds(previous.start, previous.end),
        ),
        within_sla=Figure(met_now / due_now if due_now else None, met_before / due_before if due_before else None),
        crisis_alerts=Figure(alerts_now, alerts_before),
        top_tags=await figures.top_tags(period.start, period.end),
        top_networks=await figures.top_networks(period.start, period.end),
        crisis_tags=crisis_tags,
    )


async def _risk(figures: DigestRepository, period: Period, previous: Period, now: datetime) -> RiskFigures:
    decided_by = await figures.reviews_decided(period.start, period.end)
    decided_before = await figures.reviews_decided(previous.start, previous.end)
    oldest = [PendingReview(a, p, now - submitted) for a, p, submitted in await figures.oldest_pending()]
    return RiskFigures(
        pending=Figure(await figures.reviews_pending(period.end), await figures.reviews_pending(previous.end)),
        decided=Figure(sum(decided_by.values()), sum(decided_before.values())),
        submitted=await _both(figures.reviews_submitted, period, previous),
        decided_by=decided_by,
        oldest=oldest,
    )


def chart_days(period: Period, zone: ZoneInfo) -> tuple[list[date], list[datetime]]:
    """The local days the chart shows (at least a week, at most two months, ending with the period) and
    their bounds in UTC; the last day ends with the period."""
    last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
    first = min(period.start.astimezone(zone).date(), last - timedelta(days=CHART_MIN_DAYS - 1))
    first = max(first, last - timedelta(days=CHART_MAX_DAYS - 1))
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    bounds = [datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(period.end.tzinfo) for day in days]
    return days, [*bounds, period.end]


async def _chart(figures: DigestRepository, period: Period, zone: ZoneInfo) -> ChartData:
    days, bounds = chart_days(period, zone)
    counted = await figures.complaints_by_bucket(bounds)
    statuses = [s for s in STATUSES if any(counted.get((i, s)) for i in range(len(days)))]
    statuses += sorted({s for _, s in counted} - set(statuses))
    return ChartData(days, {status: [counted.get((i, status), 0) for i in range(len(days))] for status in statuses})
