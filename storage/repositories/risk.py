from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RiskAssessment, RiskChecklistVersion, RiskReviewCard

OPEN_STATUSES = ("in_progress", "pending")


class RiskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _update(self, statement: Any) -> CursorResult[Any]:
        """An UPDATE's result, whose rowcount says whether the compare-and-set matched."""
        return cast(CursorResult[Any], await self.session.execute(statement))

    # ---- checklist versions ----------------------------------------------------------------------
    async def keep_checklist(self, digest: str, title: str, version: str, content: dict[str, Any]) -> None:
        """Store a checklist version once; several instances starting assessments at once are fine."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(RiskChecklistVersion)
            .values(digest=digest, title=title, version=version, content=content)
            .on_conflict_do_nothing(index_elements=["digest"])
        )

    async def checklist_content(self, digest: str) -> dict[str, Any] | None:
        found = await self.session.get(RiskChecklistVersion, digest)
        return found.content if found is not None else None

    # ---- assessments -----------------------------------------------------------------------------
    def add(self, assessment: RiskAssessment) -> None:
        self.session.add(assessment)

    async def get(self, team_id: str, assessment_id: int, *, fresh: bool = False) -> RiskAssessment | None:
        statement = select(RiskAssessment).where(RiskAssessment.team_id == team_id, RiskAssessment.id == assessment_id)
        if fresh:
            statement = statement.execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).first()

    async def claim_step(self, team_id: str, assessment_id: int, step: int) -> bool:
        """Move an in-progress conversation past `step`; False when it has already moved (a stale button).

        A conditional UPDATE, so two clicks on one button (or one from two devices) can't both act.
        """
        result = await self._update(
            update(RiskAssessment)
            .where(
                RiskAssessment.team_id == team_id,
                RiskAssessment.id == assessment_id,
                RiskAssessment.step == step,
                RiskAssessment.status == "in_progress",
            )
            .values(step=RiskAssessment.step + 1)
        )
        return bool(result.rowcount)

    async def decide(
        self, team_id: str, assessment_id: int, *, status: str, by: str, at: datetime, comment: str | None
    ) -> bool:
        """Record a decision only while the assessment is still pending: the first reviewer wins."""
        result = await self._update(
            update(RiskAssessment)
            .where(
                RiskAssessment.team_id == team_id,
                RiskAssessment.id == assessment_id,
                RiskAssessment.status == "pending",
            )
            .values(status=status, decided_by=by, decided_at=at, decision_comment=comment, updated_at=at)
        )
        return bool(result.rowcount)

    async def latest_for_project(self, team_id: str, project_id: int) -> RiskAssessment | None:
        return (
            await self.session.scalars(
                select(RiskAssessment)
                .where(RiskAssessment.team_id == team_id, RiskAssessment.project_id == project_id)
                .order_by(RiskAssessment.id.desc())
                .limit(1)
            )
        ).first()

    async def latest_status(self, team_id: str, project_id: int) -> str | None:
        return await self.session.scalar(
            select(RiskAssessment.status)
            .where(RiskAssessment.team_id == team_id, RiskAssessment.project_id == project_id)
            .order_by(RiskAssessment.id.desc())
            .limit(1)
        )

    async def latest_by_project(self, team_id: str, project_ids: Sequence[int]) -> dict[int, RiskAssessment]:
        if not project_ids:
            return {}
        newest = (
            select(func.max(RiskAssessment.id))
            .where(RiskAssessment.team_id == team_id, RiskAssessment.project_id.in_(list(project_ids)))
            .group_by(RiskAssessment.project_id)
        )
        rows = await self.session.scalars(select(RiskAssessment).where(RiskAssessment.id.in_(newest)))
        return {row.project_id: row for row in rows.all()}

    async def in_progress_of(self, team_id: str, hero_id: str) -> Sequence[RiskAssessment]:
        """A person's conversations under way, the most recently touched first."""
        rows = await self.session.scalars(
            select(RiskAssessment)
            .where(
                RiskAssessment.team_id == team_id,
                RiskAssessment.hero_id == hero_id,
                RiskAssessment.status == "in_progress",
            )
            .order_by(RiskAssessment.updated_at.desc(), RiskAssessment.id.desc())
        )
        return rows.all()

    async def list(
        self,
        team_id: str,
        *,
        statuses: Sequence[str] | None = None,
        hero_id: str | None = None,
        oldest_first: bool = False,
        limit: int = 20,
    ) -> tuple[Sequence[RiskAssessment], int]:
        conditions: list[Any] = [RiskAssessment.team_id == team_id]
        if statuses:
            conditions.append(RiskAssessment.status.in_(list(statuses)))
        if hero_id:
            conditions.append(RiskAssessment.hero_id == hero_id)
        total = await self.session.scalar(select(func.count()).select_from(RiskAssessment).where(*conditions))
        order = (
            (RiskAssessment.submitted_at.asc(), RiskAssessment.id.asc())
            if oldest_first
            else (RiskAssessment.id.desc(),)
        )
        rows = await self.session.scalars(select(RiskAssessment).where(*conditions).order_by(*order).limit(limit))
        return rows.all(), int(total or 0)

    # ---- review cards ----------------------------------------------------------------------------
    def add_card(self, card: RiskReviewCard) -> None:
        self.session.add(card)

    async def cards(self, team_id: str, assessment_id: int) -> Sequence[RiskReviewCard]:
        rows = await self.session.scalars(
            select(RiskReviewCard)
            .where(RiskReviewCard.team_id == team_id, RiskReviewCard.assessment_id == assessment_id)
            .order_by(RiskReviewCard.id)
        )
        return rows.all()
