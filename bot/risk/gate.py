"""The launch gate other domains ask about: is a project's latest risk assessment approved?"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.risk import RiskRepository


async def latest_assessment_approved(session: AsyncSession, team_id: str, project_id: int) -> bool:
    """Only the newest assessment counts: a revision under way or awaiting review closes the gate again."""
    return await RiskRepository(session).latest_status(team_id, project_id) == "approved"
