"""HERO projects, their team members and their timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, TeamScoped, utcnow


class Project(TeamScoped, Base):
    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_team_stage", "team_id", "stage"),
        Index("ix_projects_team_owner", "team_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text, default="")
    network: Mapped[str] = mapped_column(String(32), index=True)
    audience: Mapped[str] = mapped_column(String(200), default="")
    success_measure: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(16), default="proposed")
    council_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[ProjectMember]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ProjectMember.user_id"
    )


class ProjectMember(Base):
    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ProjectNote(TeamScoped, Base):
    """One entry of a project's timeline: a progress note, a stage change, its creation."""

    __tablename__ = "project_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    from_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
