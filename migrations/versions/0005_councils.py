"""councils: councils, the runs of their digests, and the indexes the digest's figures read

Revision ID: 0005_councils
Revises: 0004_complaints
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_councils"
down_revision = "0004_complaints"
branch_labels = None
depends_on = None

DIGEST_INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_complaints_digest_created", "complaints", ["team_id", "created_at", "status", "network"]),
    ("ix_complaints_digest_closed", "complaints", ["team_id", "closed_at", "status"]),
    ("ix_complaints_digest_due", "complaints", ["team_id", "due_at", "first_response_at", "closed_at", "status"]),
    ("ix_complaints_digest_first_response", "complaints", ["team_id", "first_response_at", "created_at"]),
    ("ix_complaint_tags_digest_created", "complaint_tags", ["team_id", "created_at", "tag"]),
    ("ix_crisis_alerts_digest_opened", "crisis_alerts", ["team_id", "opened_at"]),
    ("ix_projects_digest_created", "projects", ["team_id", "created_at"]),
    ("ix_projects_digest_launched", "projects", ["team_id", "launched_at"]),
    ("ix_project_notes_digest_project", "project_notes", ["project_id", "created_at"]),
    ("ix_risk_assessments_digest_submitted", "risk_assessments", ["team_id", "submitted_at"]),
    ("ix_risk_assessments_digest_decided", "risk_assessments", ["team_id", "decided_at", "status"]),
]


def upgrade() -> None:
    op.create_table(
        "councils",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(length=120), nullable=True),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("sections", sa.String(length=64), nullable=False),
        sa.Column("skip_quiet", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_councils")),
        sa.UniqueConstraint("team_id", "name_key", name=op.f("uq_councils_team_id_name_key")),
    )
    op.create_index(op.f("ix_councils_team_id"), "councils", ["team_id"], unique=False)
    op.create_table(
        "council_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["councils.id"], name=op.f("fk_council_runs_council_id_councils"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_runs")),
        sa.UniqueConstraint("council_id", "period_start", name=op.f("uq_council_runs_council_id_period_start")),
    )
    op.create_index("ix_council_runs_council_status", "council_runs", ["council_id", "status"], unique=False)
    op.create_index(op.f("ix_council_runs_team_id"), "council_runs", ["team_id"], unique=False)
    for name, table, columns in DIGEST_INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(DIGEST_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index(op.f("ix_council_runs_team_id"), table_name="council_runs")
    op.drop_index("ix_council_runs_council_status", table_name="council_runs")
    op.drop_table("council_runs")
    op.drop_index(op.f("ix_councils_team_id"), table_name="councils")
    op.drop_table("councils")
