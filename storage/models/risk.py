"""IT risk assessments, the checklist versions they were run with, and the review cards IT decides on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, TeamScoped, utcnow


class RiskChecklistVersion(Base):
    """A checklist exactly as an assessment was run with it, keyed by the digest of its content.

    Shared by every workspace of the installation (the checklist comes from the operator's file, not
    from a workspace), and never changed: an assessment keeps its questions whatever the file becomes.
    """

    __tablename__ = "risk_checklists"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskAssessment(TeamScoped, Base):
    """One run of the checklist for a project (RISK-n), from the first question to IT's decision.

    `status`: in_progress → pending → approved | changes_requested | rejected. A revision is a new
    assessment whose `previous_id` is the one it revises. `step` counts every move of the
    conversation; buttons carry it, so a button drawn before the latest move is recognised as stale.
    """

    __tablename__ = "risk_assessments"
    __table_args__ = (
        Index("ix_risk_assessments_team_status", "team_id", "status"),
        Index("ix_risk_assessments_team_hero", "team_id", "hero_id"),
        Index("ix_risk_assessments_team_project", "team_id", "project_id"),
        # At most one open check per project, even when two team members start one at the same moment.
        Index(
            "uq_risk_assessments_open_project",
            "project_id",
            unique=True,
            sqlite_where=text("status IN ('in_progress', 'pending')"),
            postgresql_where=text("status IN ('in_progress', 'pending')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    hero_id: Mapped[str] = mapped_column(String(32))
    checklist_digest: Mapped[str] = mapped_column(ForeignKey("risk_checklists.digest"))
    status: Mapped[str] = mapped_column(String(24), default="in_progress")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cursor: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: at the summary
    editing: Mapped[bool] = mapped_column(Boolean, default=False)
    step: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    dm_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    prompt_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the message with live buttons
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("risk_assessments.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class RiskReviewCard(TeamScoped, Base):
    """A review card posted for IT (in the review channel, or one per reviewer by DM), updated on decision."""

    __tablename__ = "risk_review_cards"
    __table_args__ = (UniqueConstraint("assessment_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risk_assessments.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
