"""risk: assessments, the checklist versions they were run with, review cards

Revision ID: 0003_risk
Revises: 0002_oauth
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_risk"
down_revision = "0002_oauth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_checklists",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_risk_checklists")),
    )
    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("hero_id", sa.String(length=32), nullable=False),
        sa.Column("checklist_digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("editing", sa.Boolean(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("dm_channel", sa.String(length=32), nullable=True),
        sa.Column("prompt_ts", sa.String(length=32), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_digest"],
            ["risk_checklists.digest"],
            name=op.f("fk_risk_assessments_checklist_digest_risk_checklists"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["risk_assessments.id"],
            name=op.f("fk_risk_assessments_previous_id_risk_assessments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_risk_assessments_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
    )
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assessments_decided_at"), ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_assessments_submitted_at"), ["submitted_at"], unique=False)
        batch_op.create_index("ix_risk_assessments_team_hero", ["team_id", "hero_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_assessments_team_id"), ["team_id"], unique=False)
        batch_op.create_index("ix_risk_assessments_team_project", ["team_id", "project_id"], unique=False)
        batch_op.create_index("ix_risk_assessments_team_status", ["team_id", "status"], unique=False)
        batch_op.create_index(
            "uq_risk_assessments_open_project",
            ["project_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('in_progress', 'pending')"),
            postgresql_where=sa.text("status IN ('in_progress', 'pending')"),
        )

    op.create_table(
        "risk_review_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["risk_assessments.id"],
            name=op.f("fk_risk_review_cards_assessment_id_risk_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_review_cards")),
        sa.UniqueConstraint("assessment_id", "channel_id", name=op.f("uq_risk_review_cards_assessment_id_channel_id")),
    )
    with op.batch_alter_table("risk_review_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_review_cards_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_review_cards_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_review_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_review_cards_team_id"))
        batch_op.drop_index(batch_op.f("ix_risk_review_cards_assessment_id"))

    op.drop_table("risk_review_cards")
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.drop_index("uq_risk_assessments_open_project")
        batch_op.drop_index("ix_risk_assessments_team_status")
        batch_op.drop_index("ix_risk_assessments_team_project")
        batch_op.drop_index(batch_op.f("ix_risk_assessments_team_id"))
        batch_op.drop_index("ix_risk_assessments_team_hero")
        batch_op.drop_index(batch_op.f("ix_risk_assessments_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_risk_assessments_decided_at"))

    op.drop_table("risk_assessments")
    op.drop_table("risk_checklists")
