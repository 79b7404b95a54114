"""complaints, audit_events: drop the team_id indexes that longer indexes beginning with team_id cover

Every insert into `complaints` updated twelve indexes and every audit row four; a search by team_id alone is
served as well by any index that begins with it (`ix_complaints_team_status`, `ix_audit_events_entity`).

Revision ID: 0009_covered_indexes
Revises: 0008_complaint_rollups
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0009_covered_indexes"
down_revision = "0008_complaint_rollups"
branch_labels = None
depends_on = None

DROPPED = {"ix_complaints_team_id": "complaints", "ix_audit_events_team_id": "audit_events"}


def upgrade() -> None:
    for index, table in DROPPED.items():
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for index, table in DROPPED.items():
        op.create_index(index, table, ["team_id"], unique=False)
