"""complaints: complaints, their tags and notes, routing rules, round-robin cursors, crisis alerts

Revision ID: 0004_complaints
Revises: 0003_risk
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_complaints"
down_revision = "0003_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("url_key", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("slack_channel", sa.String(length=32), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("routed_channel", sa.String(length=32), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("owner_dm_channel", sa.String(length=32), nullable=True),
        sa.Column("owner_dm_ts", sa.String(length=32), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("team_id", "external_id", name=op.f("uq_complaints_team_id_external_id")),
        sa.UniqueConstraint(
            "team_id", "slack_channel", "slack_ts", name=op.f("uq_complaints_team_id_slack_channel_slack_ts")
        ),
        sa.UniqueConstraint("team_id", "url_key", name=op.f("uq_complaints_team_id_url_key")),
    )
    op.create_index(op.f("ix_complaints_project_id"), "complaints", ["project_id"], unique=False)
    op.create_index("ix_complaints_team_closed", "complaints", ["team_id", "closed_at"], unique=False)
    op.create_index("ix_complaints_team_created", "complaints", ["team_id", "created_at"], unique=False)
    op.create_index("ix_complaints_team_due", "complaints", ["team_id", "due_at"], unique=False)
    op.create_index(op.f("ix_complaints_team_id"), "complaints", ["team_id"], unique=False)
    op.create_index("ix_complaints_team_owner_status", "complaints", ["team_id", "owner_id", "status"], unique=False)
    op.create_index("ix_complaints_team_status", "complaints", ["team_id", "status"], unique=False)
    op.create_table(
        "crisis_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("open_key", sa.String(length=64), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_complaint_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=32), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_alerts")),
        sa.UniqueConstraint("team_id", "open_key", name=op.f("uq_crisis_alerts_team_id_open_key")),
    )
    op.create_index(op.f("ix_crisis_alerts_opened_at"), "crisis_alerts", ["opened_at"], unique=False)
    op.create_index(op.f("ix_crisis_alerts_team_id"), "crisis_alerts", ["team_id"], unique=False)
    op.create_index("ix_crisis_alerts_team_tag", "crisis_alerts", ["team_id", "tag"], unique=False)
    op.create_table(
        "round_robin_cursors",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_user_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "group_id", name=op.f("pk_round_robin_cursors")),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("pattern", sa.String(length=500), nullable=True),
        sa.Column("pattern_is_regex", sa.Boolean(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=True),
        sa.Column("network", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index(op.f("ix_routing_rules_team_id"), "routing_rules", ["team_id"], unique=False)
    op.create_index("ix_routing_rules_team_position", "routing_rules", ["team_id", "position"], unique=False)
    op.create_table(
        "complaint_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_notes_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_notes")),
    )
    op.create_index(op.f("ix_complaint_notes_complaint_id"), "complaint_notes", ["complaint_id"], unique=False)
    op.create_index(op.f("ix_complaint_notes_team_id"), "complaint_notes", ["team_id"], unique=False)
    op.create_table(
        "complaint_tags",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_tags_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", "tag", name=op.f("pk_complaint_tags")),
    )
    op.create_index(
        "ix_complaint_tags_team_tag_created", "complaint_tags", ["team_id", "tag", "created_at"], unique=False
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index("ix_complaint_tags_team_tag_created", table_name="complaint_tags")
    op.drop_table("complaint_tags")
    op.drop_index(op.f("ix_complaint_notes_team_id"), table_name="complaint_notes")
    op.drop_index(op.f("ix_complaint_notes_complaint_id"), table_name="complaint_notes")
    op.drop_table("complaint_notes")
    op.drop_index("ix_routing_rules_team_position", table_name="routing_rules")
    op.drop_index(op.f("ix_routing_rules_team_id"), table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_table("round_robin_cursors")
    op.drop_index("ix_crisis_alerts_team_tag", table_name="crisis_alerts")
    op.drop_index(op.f("ix_crisis_alerts_team_id"), table_name="crisis_alerts")
    op.drop_index(op.f("ix_crisis_alerts_opened_at"), table_name="crisis_alerts")
    op.drop_table("crisis_alerts")
    op.drop_index("ix_complaints_team_status", table_name="complaints")
    op.drop_index("ix_complaints_team_owner_status", table_name="complaints")
    op.drop_index(op.f("ix_complaints_team_id"), table_name="complaints")
    op.drop_index("ix_complaints_team_due", table_name="complaints")
    op.drop_index("ix_complaints_team_created", table_name="complaints")
    op.drop_index("ix_complaints_team_closed", table_name="complaints")
    op.drop_index(op.f("ix_complaints_project_id"), table_name="complaints")
    op.drop_table("complaints")
    # ### end Alembic commands ###
