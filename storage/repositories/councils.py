"""Councils and the runs of their digests: lookups, and the claim every run makes before it posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Council, CouncilRun, Project


class CouncilRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, council: Council) -> None:
        self.session.add(council)

    async def get(self, team_id: str, council_id: int, *, for_update: bool = False) -> Council | None:
        statement = select(Council).where(Council.team_id == team_id, Council.id == council_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def by_id(self, council_id: int) -> Council | None:
        """For the scheduler, which acts for every workspace; the council row names its own."""
        return await self.session.get(Council, council_id)

    async def by_name(self, team_id: str, name_key: str, *, for_update: bool = False) -> Council | None:
        statement = select(Council).where(Council.team_id == team_id, Council.name_key == name_key)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def list(self, team_id: str, limit: int = 100) -> Sequence[Council]:
        statement = select(Council).where(Council.team_id == team_id).order_by(Council.name_key).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def count(self, team_id: str) -> int:
        statement = select(func.count()).select_from(Council).where(Council.team_id == team_id)
        return int(await self.session.scalar(statement) or 0)

    async def all_workspaces(self) -> Sequence[Council]:
        """Every council of every workspace: the schedule is rebuilt from them."""
        return (await self.session.scalars(select(Council).order_by(Council.id))).all()

    async def delete(self, council: Council) -> None:
        await self.session.execute(
            update(Project)
            .where(Project.team_id == council.team_id, Project.council_id == council.id)
            .values(council_id=None)
        )
        await self.session.execute(delete(CouncilRun).where(CouncilRun.council_id == council.id))
        await self.session.delete(council)

    async def projects_of(self, team_id: str, council_id: int, limit: int = 10) -> tuple[Sequence[Project], int]:
        where = (Project.team_id == team_id, Project.council_id == council_id)
        rows = await self.session.scalars(
            select(Project).where(*where).order_by(Project.last_activity_at.desc()).limit(limit)
        )
        total = await self.session.scalar(select(func.count()).select_from(Project).where(*where))
        return rows.all(), int(total or 0)

    # ---- runs ---------------------------------------------------------------------------------
    async def claim(
        self, council: Council, period_start: datetime, period_end: datetime, *, now: datetime, late: bool
    ) -> int | None:
        """Insert the run of this council and period; its id, or None when another run claimed it first."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(CouncilRun)
            .values(
                team_id=council.team_id,
                council_id=council.id,
                period_start=period_start,
                period_end=period_end,
                status="running",
                late=late,
                attempts=1,
                channel_id=council.channel_id,
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=["council_id", "period_start"])
            .returning(CouncilRun.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def retake(self, run_id: int, *, now: datetime, stale_before: datetime, max_attempts: int) -> bool:
        """Claim again a run that failed, or whose claimant vanished before finishing (compare-and-set)."""
        result = await self.session.execute(
            update(CouncilRun)
            .where(
                CouncilRun.id == run_id,
                CouncilRun.attempts < max_attempts,
                (CouncilRun.status == "failed")
                | ((CouncilRun.status == "running") & (CouncilRun.claimed_at < stale_before)),
            )
            .values(status="running", claimed_at=now, attempts=CouncilRun.attempts + 1, late=True)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def run_for(self, council_id: int, period_start: datetime) -> CouncilRun | None:
        statement = select(CouncilRun).where(
            CouncilRun.council_id == council_id, CouncilRun.period_start == period_start
        )
        return (await self.session.scalars(statement)).first()

    async def get_run(self, run_id: int) -> CouncilRun | None:
        return await self.session.get(CouncilRun, run_id)

    async def latest_retryable_before(self, council_id: int, before: datetime) -> CouncilRun | None:
        """The newest earlier run that did not get posted (failed, or left running): the next run retries it."""
        statement = (
            select(CouncilRun)
            .where(
                CouncilRun.council_id == council_id,
                CouncilRun.period_start < before,
                CouncilRun.status.in_(("failed", "running")),
            )
            .order_by(CouncilRun.period_start.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).first()

    async def finish(
        self,
        run_id: int,
        status: str,
        *,
        now: datetime,
        ts: str | None = None,
        channel_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        values: dict[str, object] = {"status": status, "finished_at": now, "reason": reason}
        if ts is not None:
            values.update(ts=ts, channel_id=channel_id)
        await self.session.execute(
            update(CouncilRun)
            .where(CouncilRun.id == run_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def recent_runs(self, council_id: int, limit: int = 10) -> Sequence[CouncilRun]:
        statement = (
            select(CouncilRun)
            .where(CouncilRun.council_id == council_id)
            .order_by(CouncilRun.period_start.desc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def count_runs_by_status_in_all_workspaces(self) -> dict[str, int]:
        rows = await self.session.execute(select(CouncilRun.status, func.count()).group_by(CouncilRun.status))
        return {status: int(n) for status, n in rows.all()}

    async def count_by_state_in_all_workspaces(self) -> dict[str, int]:
        rows = await self.session.execute(select(Council.paused, func.count()).group_by(Council.paused))
        return {("paused" if paused else "active"): int(n) for paused, n in rows.all()}
