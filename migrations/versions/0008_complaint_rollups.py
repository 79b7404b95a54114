"""complaints: rollups for the council digest, the changes they have yet to count, the triggers that queue them

A monthly digest counted every complaint of the month, twice (this period and the one before): its cost
grew with the number of complaints. The rollups (`storage.models.rollups`) hold the same counts per
workspace and UTC hour (response times also per day), so a digest reads a bounded number of rows per hour
or day whatever the volume.

Triggers queue every change to what the rollups count in `complaint_changes` / `complaint_tag_changes`, so
every writer does (commands, buttons, the ingestion API's Core bulk inserts, follow-ups, retention,
deletes and cascades); the application folds the queue into the rollups (`storage.repositories.folding`).
Appending locks no existing row: writers of the same hour never queue for a shared counter.
- SQLite: row triggers; the update trigger fires only when the SET clause names a counted column
  (`UPDATE OF`) and one of them really changed (`WHEN`).
- PostgreSQL: statement-level insert and delete triggers with transition tables, so a bulk insert of a
  thousand complaints is one INSERT … SELECT into the queue. Updates use a row trigger, because only row
  triggers can name columns (`UPDATE OF`, forbidden with transition tables) and test them (`WHEN`): an
  update of other columns (retention blanking personal data, a reminder's claim, the owner's card) does
  not fire it.

The existing complaints and tags are queued as changes (+1 each); a start folds them right after (`migrate_and_fold`),
so the rollups are whole once the start has folded them. On PostgreSQL the two tables are locked first: no write
slips between the triggers and the queueing.

Revision ID: 0008_complaint_rollups
Revises: 0007_outbox
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_complaint_rollups"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None

# Each source table, its queue, and the columns the rollups count (copied into the queue as they were or are).
QUEUES = {
    "complaints": (
        "complaint_changes",
        ("team_id", "status", "network", "created_at", "due_at", "first_response_at", "closed_at"),
    ),
    "complaint_tags": ("complaint_tag_changes", ("team_id", "tag", "created_at")),
}
ROLLUP_TABLES = (
    "complaint_status_hours",
    "complaint_network_hours",
    "complaint_resolved_hours",
    "complaint_due_hours",
    "complaint_response_hours",
    "complaint_response_days",
    "complaint_tag_hours",
)


def _append(queue: str, columns: tuple[str, ...], rows: list[tuple[str, int]]) -> str:
    """INSERT into the queue the counted columns of `row` (NEW or OLD) with its sign, for each (row, sign)."""
    values = ", ".join("(" + ", ".join([*(f"{row}.{c}" for c in columns), str(sign)]) + ")" for row, sign in rows)
    return f"INSERT INTO {queue} ({', '.join(columns)}, delta) VALUES {values};"


def _changed(columns: tuple[str, ...], dialect: str) -> str:
    old, new = ", ".join(f"OLD.{c}" for c in columns), ", ".join(f"NEW.{c}" for c in columns)
    return f"({old}) IS NOT ({new})" if dialect == "sqlite" else f"ROW({old}) IS DISTINCT FROM ROW({new})"


def sqlite_triggers() -> list[str]:
    statements = []
    for source, (queue, columns) in QUEUES.items():
        statements += [
            f"CREATE TRIGGER {source}_queue_insert AFTER INSERT ON {source}\n"
            f"BEGIN\n  {_append(queue, columns, [('NEW', 1)])}\nEND",
            f"CREATE TRIGGER {source}_queue_delete AFTER DELETE ON {source}\n"
            f"BEGIN\n  {_append(queue, columns, [('OLD', -1)])}\nEND",
            f"CREATE TRIGGER {source}_queue_update AFTER UPDATE OF {', '.join(columns)} ON {source}\n"
            f"WHEN {_changed(columns, 'sqlite')}\n"
            f"BEGIN\n  {_append(queue, columns, [('OLD', -1), ('NEW', 1)])}\nEND",
        ]
    return statements


def postgresql_triggers() -> list[str]:
    statements = []
    for source, (queue, columns) in QUEUES.items():
        listed = ", ".join(columns)
        statements += [
            # Insert and delete: the statement's rows, under one name whichever way they went.
            f"CREATE FUNCTION {source}_queue_rows() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  INSERT INTO {queue} ({listed}, delta)\n"
            f"  SELECT {listed}, CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END FROM changed_rows;\n"
            f"  RETURN NULL;\nEND $$",
            f"CREATE FUNCTION {source}_queue_update() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  {_append(queue, columns, [('OLD', -1), ('NEW', 1)])}\n  RETURN NULL;\nEND $$",
            f"CREATE TRIGGER {source}_queue_insert AFTER INSERT ON {source} REFERENCING NEW TABLE AS changed_rows"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {source}_queue_rows()",
            f"CREATE TRIGGER {source}_queue_delete AFTER DELETE ON {source} REFERENCING OLD TABLE AS changed_rows"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {source}_queue_rows()",
            f"CREATE TRIGGER {source}_queue_update AFTER UPDATE OF {listed} ON {source} FOR EACH ROW"
            f" WHEN ({_changed(columns, 'postgresql')}) EXECUTE FUNCTION {source}_queue_update()",
        ]
    return statements


def _create_table(
    name: str,
    keys: list[sa.Column],  # type: ignore[type-arg]
    counters: list[sa.Column],  # type: ignore[type-arg]
    unit: str = "hour",
) -> None:
    op.create_table(
        name,
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(unit, sa.DateTime(timezone=True), nullable=False),
        *keys,
        *counters,
        sa.PrimaryKeyConstraint("team_id", unit, *(key.name for key in keys), name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _create_tables() -> None:
    def count(name: str = "complaints") -> sa.Column:  # type: ignore[type-arg]
        return sa.Column(name, sa.Integer(), nullable=False)

    _create_table("complaint_status_hours", [sa.Column("status", sa.String(length=16), nullable=False)], [count()])
    _create_table("complaint_network_hours", [sa.Column("network", sa.String(length=32), nullable=False)], [count()])
    _create_table("complaint_resolved_hours", [], [count()])
    _create_table("complaint_due_hours", [], [count("due"), count("met")])
    for name, unit in (("complaint_response_hours", "hour"), ("complaint_response_days", "day")):
        _create_table(
            name,
            [sa.Column("bucket", sa.Integer(), nullable=False)],
            [count("responses"), sa.Column("milliseconds", sa.BigInteger(), nullable=False)],
            unit,
        )
    _create_table("complaint_tag_hours", [sa.Column("tag", sa.String(length=64), nullable=False)], [count("tags")])

    def queue(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
        op.create_table(
            name,
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
            *columns,
            sa.Column("delta", sa.SmallInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            sqlite_autoincrement=True,
        )

    def when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
        return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)

    queue(
        "complaint_changes",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        when("created_at"),
        when("due_at"),
        when("first_response_at", nullable=True),
        when("closed_at", nullable=True),
    )
    queue(
        "complaint_tag_changes",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        when("created_at"),
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Writers wait until the triggers exist: none is missed, none queued twice.
        op.execute("LOCK TABLE complaints, complaint_tags IN SHARE ROW EXCLUSIVE MODE")
    _create_tables()
    for statement in postgresql_triggers() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    for source, (queue, columns) in QUEUES.items():
        listed = ", ".join(columns)
        op.execute(f"INSERT INTO {queue} ({listed}, delta) SELECT {listed}, 1 FROM {source}")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for source in QUEUES:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {source}_queue_{event}" + (f" ON {source}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {source}_queue_rows()")
            op.execute(f"DROP FUNCTION IF EXISTS {source}_queue_update()")
    for table in (*(queue for queue, _ in QUEUES.values()), *reversed(ROLLUP_TABLES)):
        op.drop_table(table)
