"""Councils (who gets which digest, where and when) and the runs of their digests.

A run is claimed before anything is posted: `(council_id, period_start)` is unique, so of two
instances (or a restart) firing for the same period, one inserts the row and posts, the other finds it
and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, TeamScoped, utcnow
from storage.models.complaints import Complaint, ComplaintTag, CrisisAlert
from storage.models.projects import Project, ProjectNote
from storage.models.risk import RiskAssessment


class Council(TeamScoped, Base):
    """`frequency`: daily | weekly (`weekday`, 0 = Monday) | monthly (`day_of_month`) | cron (`cron`),
    at `at_time` (HH:MM, local) in `timezone`. `sections`: comma-separated (projects, complaints, risk).

    `active_since` is when the current schedule took effect (creation, a new cadence, a resume): a
    period that ended before it is never caught up.
    """

    __tablename__ = "councils"
    __table_args__ = (UniqueConstraint("team_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # The name folded for lookups: `/council show cx council` finds “CX Council”, and two can't share it.
    name_key: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(16))
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cron: Mapped[str | None] = mapped_column(String(120), nullable=True)
    at_time: Mapped[str] = mapped_column(String(5), default="09:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sections: Mapped[str] = mapped_column(String(64), default="projects,complaints,risk")
    skip_quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    active_since: Mapped[datetime] = mapped_column(default=utcnow)


class CouncilRun(TeamScoped, Base):
    """`status`: running (claimed) → posted | skipped (a quiet period) | failed (`reason`), and a failed
    run back to running when a later run retries it. `late`: posted after the bot was down at its time."""

    __tablename__ = "council_runs"
    __table_args__ = (
        UniqueConstraint("council_id", "period_start"),
        Index("ix_council_runs_council_status", "council_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="running")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


# The digest's figures are SQL aggregates over a period; each has an index whose leading columns are the
# workspace and the period's timestamp, and which carries the columns the aggregate reads (no table lookups).
DIGEST_INDEXES = (
    Index("ix_complaints_digest_created", Complaint.team_id, Complaint.created_at, Complaint.status, Complaint.network),
    Index("ix_complaints_digest_closed", Complaint.team_id, Complaint.closed_at, Complaint.status),
    Index(
        "ix_complaints_digest_due",
        Complaint.team_id,
        Complaint.due_at,
        Complaint.first_response_at,
        Complaint.closed_at,
        Complaint.status,
    ),
    Index("ix_complaints_digest_first_response", Complaint.team_id, Complaint.first_response_at, Complaint.created_at),
    Index("ix_complaint_tags_digest_created", ComplaintTag.team_id, ComplaintTag.created_at, ComplaintTag.tag),
    Index("ix_crisis_alerts_digest_opened", CrisisAlert.team_id, CrisisAlert.opened_at),
    Index("ix_projects_digest_created", Project.team_id, Project.created_at),
    Index("ix_projects_digest_launched", Project.team_id, Project.launched_at),
    Index("ix_project_notes_digest_project", ProjectNote.project_id, ProjectNote.created_at),
    Index("ix_risk_assessments_digest_submitted", RiskAssessment.team_id, RiskAssessment.submitted_at),
    Index(
        "ix_risk_assessments_digest_decided", RiskAssessment.team_id, RiskAssessment.decided_at, RiskAssessment.status
    ),
)
