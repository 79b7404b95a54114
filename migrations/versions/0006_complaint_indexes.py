"""complaints: drop the three indexes that the digest's indexes (0005) begin with

(team_id, created_at), (team_id, due_at) and (team_id, closed_at) are each the first columns of a digest
index — (team_id, created_at, status, network), (team_id, due_at, first_response_at, closed_at, status),
(team_id, closed_at, status) — which serves every query they served, in the same order. Each new or
changed complaint no longer updates them.

Revision ID: 0006_complaint_indexes
Revises: 0005_councils
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006_complaint_indexes"
down_revision = "0005_councils"
branch_labels = None
depends_on = None

COVERED: list[tuple[str, list[str]]] = [
    ("ix_complaints_team_created", ["team_id", "created_at"]),
    ("ix_complaints_team_due", ["team_id", "due_at"]),
    ("ix_complaints_team_closed", ["team_id", "closed_at"]),
]


def upgrade() -> None:
    for name, _columns in COVERED:
        op.drop_index(name, table_name="complaints")


def downgrade() -> None:
    for name, columns in COVERED:
        op.create_index(name, "complaints", columns, unique=False)
