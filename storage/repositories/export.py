"""The queries of `herobot export`: one row per record, lists (members, tags) folded in by the database.

Each query is read through a server-side cursor (`session.stream` with `yield_per`), so a table of any
size is exported without holding it in memory. Every query may be narrowed to one workspace and to
records created since a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    AuditEvent,
    Complaint,
    ComplaintTag,
    Project,
    ProjectMember,
    RiskAssessment,
    RiskChecklistVersion,
)

# Joins a record's list (members, tags) in one column; a character no user ID or tag contains.
LIST_SEPARATOR = "\x1f"

if TYPE_CHECKING:  # SQLAlchemy 2.1's variadic generics; only for the type checker
    from typing import TypeAlias

    AnySelect: TypeAlias = Select[*tuple[Any, ...]]
    AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def _narrowed(
    query: AnySelect,
    created_at: InstrumentedAttribute[Any],
    team_id: InstrumentedAttribute[Any],
    since: datetime | None,
    team: str | None,
) -> AnySelect:
    if since is not None:
        query = query.where(created_at >= since)
    if team is not None:
        query = query.where(team_id == team)
    return query


def projects(since: datetime | None = None, team: str | None = None) -> AnySelect:
    members = (
        select(func.aggregate_strings(ProjectMember.user_id, LIST_SEPARATOR))
        .where(ProjectMember.project_id == Project.id)
        .scalar_subquery()
    )
    query = select(Project, members.label("members")).order_by(Project.id)
    return _narrowed(query, Project.created_at, Project.team_id, since, team)


def complaints(since: datetime | None = None, team: str | None = None) -> AnySelect:
    tags = (
        select(func.aggregate_strings(ComplaintTag.tag, LIST_SEPARATOR))
        .where(ComplaintTag.complaint_id == Complaint.id)
        .scalar_subquery()
    )
    query = select(Complaint, tags.label("tags")).order_by(Complaint.id)
    return _narrowed(query, Complaint.created_at, Complaint.team_id, since, team)


def reviews(since: datetime | None = None, team: str | None = None) -> AnySelect:
    query = (
        select(RiskAssessment, RiskChecklistVersion.title, RiskChecklistVersion.version)
        .outerjoin(RiskChecklistVersion, RiskChecklistVersion.digest == RiskAssessment.checklist_digest)
        .order_by(RiskAssessment.id)
    )
    return _narrowed(query, RiskAssessment.created_at, RiskAssessment.team_id, since, team)


def audit(since: datetime | None = None, team: str | None = None) -> AnySelect:
    query = select(AuditEvent).order_by(AuditEvent.id)
    return _narrowed(query, AuditEvent.created_at, AuditEvent.team_id, since, team)


async def stream(session: AsyncSession, query: AnySelect, batch_size: int) -> AsyncIterator[AnyRow]:
    """The query's rows as the database sends them, `batch_size` at a time (a server-side cursor)."""
    result = await session.stream(query.execution_options(yield_per=batch_size))
    async for row in result:
        yield row
