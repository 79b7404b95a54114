"""complaints: rollups for the council digest, kept by triggers, back-filled from the complaints

A monthly digest counted every complaint of the month, twice (this period and the one before): its cost
grew with the number of complaints. The rollups (`storage.models.rollups`) hold the same counts per
workspace and UTC hour (response times also per day), so a digest reads a bounded number of rows per hour
or day whatever the volume.

Triggers keep them, so every writer does (commands, buttons, the ingestion API's Core bulk inserts,
follow-ups, retention, deletes and cascades):
- SQLite: row triggers. Insert and delete add or take away the row's contribution to each rollup; one
  update trigger per rollup fires only when the SET clause names a column it counts (`UPDATE OF`) and the
  contribution really changed (`WHEN`), and moves it: the old row's away, the new row's in.
- PostgreSQL: statement-level insert and delete triggers with transition tables, so a bulk insert of a
  thousand complaints costs one grouped UPSERT per rollup. Updates use a row trigger, because only row
  triggers can name columns (`UPDATE OF`, forbidden with transition tables) and test them (`WHEN`): an
  update of other columns (retention blanking personal data, a reminder's claim, the owner's card) does
  not fire it. Each UPSERT takes its rows in key order, so two transactions writing the same hours lock
  them in the same order.

The SQL of both is generated below from one description per rollup (`ROLLUPS`): its key, what a row adds
to it, when a row counts, and what a row's contribution depends on. The back-fill runs the same grouped
statement over the existing rows; on PostgreSQL the tables are locked first so no write slips between
the back-fill and the triggers.

Revision ID: 0007_complaint_rollups
Revises: 0006_complaint_indexes
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision = "0007_complaint_rollups"
down_revision = "0006_complaint_indexes"
branch_labels = None
depends_on = None


# ---- the SQL that differs between the two databases ------------------------------------------------


class Dialect(NamedTuple):  # NamedTuple, not a dataclass: Alembic loads this file outside sys.modules
    name: str

    def hour(self, column: str) -> str:
        """The UTC hour a timestamp falls in, as the column type stores it."""
        if self.name == "sqlite":
            return f"strftime('%Y-%m-%d %H:00:00.000000', {column})"  # SQLAlchemy's storage format for DATETIME
        return f"(date_trunc('hour', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"

    def day(self, column: str) -> str:
        if self.name == "sqlite":
            return f"strftime('%Y-%m-%d 00:00:00.000000', {column})"
        return f"(date_trunc('day', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"

    def milliseconds(self, later: str, earlier: str) -> str:
        if self.name == "sqlite":
            return f"CAST(round((julianday({later}) - julianday({earlier})) * 86400000.0) AS INTEGER)"
        return f"CAST(round(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000) AS BIGINT)"


def response_bucket(ms: str) -> str:
    """`storage.models.rollups.response_bucket` in SQL: minutes below 2 h, 0.1 h below 2 days, 0.1 day beyond."""
    return (
        f"(CASE WHEN {ms} < 0 THEN -1 WHEN {ms} < 7200000 THEN {ms} / 60000"
        f" WHEN {ms} < 172800000 THEN 120 + ({ms} - 7200000) / 360000"
        f" ELSE 580 + ({ms} - 172800000) / 8640000 END)"
    )


# ---- what each rollup counts -----------------------------------------------------------------------

Expressions = Callable[[Dialect, str], dict[str, str]]  # (dialect, row alias) → column → SQL
Condition = Callable[[Dialect, str], str]


class Rollup(NamedTuple):
    table: str
    source: str
    keys: Expressions  # besides team_id
    adds: Expressions  # what one row adds to each counter
    counts_if: Condition  # whether a row counts at all
    depends_on: Callable[[Dialect, str], list[str]]  # the row's contribution changes only when one of these does
    columns: tuple[str, ...]  # the source columns read (an update naming none of them leaves the rollup alone)


def _met(r: str) -> str:
    return f"(CASE WHEN {r}.first_response_at <= {r}.due_at OR {r}.closed_at <= {r}.due_at THEN 1 ELSE 0 END)"


def _responses(table: str, unit: str) -> Rollup:
    """First responses by when they came (`unit`: hour or day) and by bucket of time since logging."""

    def when(d: Dialect, column: str) -> str:
        return d.hour(column) if unit == "hour" else d.day(column)

    def milliseconds(d: Dialect, r: str) -> str:
        return d.milliseconds(f"{r}.first_response_at", f"{r}.created_at")

    return Rollup(
        table,
        "complaints",
        keys=lambda d, r: {unit: when(d, f"{r}.first_response_at"), "bucket": response_bucket(milliseconds(d, r))},
        adds=lambda d, r: {"responses": "1", "milliseconds": milliseconds(d, r)},
        counts_if=lambda d, r: f"{r}.first_response_at IS NOT NULL",
        depends_on=lambda d, r: [f"{r}.team_id", f"{r}.created_at", f"{r}.first_response_at"],
        columns=("team_id", "created_at", "first_response_at"),
    )


ROLLUPS = (
    Rollup(
        "complaint_status_hours",
        "complaints",
        keys=lambda d, r: {"hour": d.hour(f"{r}.created_at"), "status": f"{r}.status"},
        adds=lambda d, r: {"complaints": "1"},
        counts_if=lambda d, r: "1 = 1",
        depends_on=lambda d, r: [f"{r}.team_id", f"{r}.created_at", f"{r}.status"],
        columns=("team_id", "created_at", "status"),
    ),
    Rollup(
        "complaint_network_hours",
        "complaints",
        keys=lambda d, r: {"hour": d.hour(f"{r}.created_at"), "network": f"{r}.network"},
        adds=lambda d, r: {"complaints": "1"},
        counts_if=lambda d, r: "1 = 1",
        depends_on=lambda d, r: [f"{r}.team_id", f"{r}.created_at", f"{r}.network"],
        columns=("team_id", "created_at", "network"),
    ),
    Rollup(
        "complaint_resolved_hours",
        "complaints",
        keys=lambda d, r: {"hour": d.hour(f"{r}.closed_at")},
        adds=lambda d, r: {"complaints": "1"},
        counts_if=lambda d, r: f"{r}.status = 'resolved' AND {r}.closed_at IS NOT NULL",
        depends_on=lambda d, r: [f"{r}.team_id", f"(CASE WHEN {r}.status = 'resolved' THEN {r}.closed_at END)"],
        columns=("team_id", "closed_at", "status"),
    ),
    Rollup(
        "complaint_due_hours",
        "complaints",
        keys=lambda d, r: {"hour": d.hour(f"{r}.due_at")},
        adds=lambda d, r: {"due": "1", "met": _met(r)},
        counts_if=lambda d, r: f"{r}.status <> 'dismissed' AND {r}.due_at IS NOT NULL",
        depends_on=lambda d, r: [f"{r}.team_id", f"{r}.due_at", f"({r}.status = 'dismissed')", _met(r)],
        columns=("team_id", "due_at", "status", "first_response_at", "closed_at"),
    ),
    _responses("complaint_response_hours", "hour"),
    _responses("complaint_response_days", "day"),
    Rollup(
        "complaint_tag_hours",
        "complaint_tags",
        keys=lambda d, r: {"hour": d.hour(f"{r}.created_at"), "tag": f"{r}.tag"},
        adds=lambda d, r: {"tags": "1"},
        counts_if=lambda d, r: "1 = 1",
        depends_on=lambda d, r: [f"{r}.team_id", f"{r}.created_at", f"{r}.tag"],
        columns=("team_id", "created_at", "tag"),
    ),
)
SOURCES = ("complaints", "complaint_tags")


def _key_columns(rollup: Rollup, d: Dialect) -> list[str]:
    return ["team_id", *rollup.keys(d, "r")]


def _on_conflict(rollup: Rollup, d: Dialect, existing: str) -> str:
    sums = ", ".join(f"{c} = {existing}{c} + excluded.{c}" for c in rollup.adds(d, "r"))
    return f"ON CONFLICT ({', '.join(_key_columns(rollup, d))}) DO UPDATE SET {sums}"


def grouped_upsert(rollup: Rollup, d: Dialect, rows: str, *, upsert: bool = True) -> str:
    """Add `rows` (a relation of source rows with a `delta` column, +1 or -1) to the rollup, one row per key,
    in key order."""
    keys, adds = rollup.keys(d, "c"), rollup.adds(d, "c")
    width = 1 + len(keys)
    positions = ", ".join(str(i) for i in range(1, width + 1))
    select = (
        f"SELECT c.team_id, {', '.join(keys.values())}, "
        + ", ".join("sum(c.delta)" if adds == "1" else f"sum(c.delta * {adds})" for adds in adds.values())
        + f" FROM {rows} AS c WHERE {rollup.counts_if(d, 'c')} GROUP BY {positions} ORDER BY {positions}"
    )
    target = f"{rollup.table} AS r" if upsert and d.name == "postgresql" else rollup.table
    statement = f"INSERT INTO {target} ({', '.join([*_key_columns(rollup, d), *adds])}) {select}"
    if upsert:
        statement += " " + _on_conflict(rollup, d, "r." if d.name == "postgresql" else "")
    return statement


def row_upsert(rollup: Rollup, d: Dialect, row: str, delta: int) -> str:
    """SQLite, in a row trigger: add one row's contribution (`row` is NEW or OLD) with sign `delta`."""
    keys, adds = rollup.keys(d, row), rollup.adds(d, row)
    values = [f"{row}.team_id", *keys.values(), *(str(delta) if a == "1" else f"{delta} * {a}" for a in adds.values())]
    return (
        f"INSERT INTO {rollup.table} ({', '.join([*_key_columns(rollup, d), *adds])}) "
        f"SELECT {', '.join(values)} WHERE {rollup.counts_if(d, row)} {_on_conflict(rollup, d, '')};"
    )


def _changed(rollup: Rollup, d: Dialect) -> str:
    old, new = ", ".join(rollup.depends_on(d, "OLD")), ", ".join(rollup.depends_on(d, "NEW"))
    return f"({old}) IS NOT ({new})" if d.name == "sqlite" else f"ROW({old}) IS DISTINCT FROM ROW({new})"


def _of(source: str) -> list[Rollup]:
    return [rollup for rollup in ROLLUPS if rollup.source == source]


# ---- SQLite ------------------------------------------------------------------------------------------


def sqlite_triggers() -> list[str]:
    d = Dialect("sqlite")
    statements = []
    for source in SOURCES:
        for event, row, delta in (("INSERT", "NEW", 1), ("DELETE", "OLD", -1)):
            body = "\n  ".join(row_upsert(rollup, d, row, delta) for rollup in _of(source))
            statements.append(
                f"CREATE TRIGGER {source}_rollups_{event.lower()} AFTER {event} ON {source}\nBEGIN\n  {body}\nEND"
            )
        for rollup in _of(source):
            statements.append(
                f"CREATE TRIGGER {rollup.table}_update AFTER UPDATE OF {', '.join(rollup.columns)} ON {source}\n"
                f"WHEN {_changed(rollup, d)}\n"
                f"BEGIN\n  {row_upsert(rollup, d, 'OLD', -1)}\n  {row_upsert(rollup, d, 'NEW', 1)}\nEND"
            )
    return statements


def sqlite_trigger_names() -> list[str]:
    names = [f"{source}_rollups_{event}" for source in SOURCES for event in ("insert", "delete")]
    return names + [f"{rollup.table}_update" for rollup in ROLLUPS]


# ---- PostgreSQL --------------------------------------------------------------------------------------


def postgresql_functions() -> list[str]:
    d = Dialect("postgresql")
    statements = []
    for source in SOURCES:
        rollups = _of(source)
        # Insert and delete: the statement's rows, under one name whichever way they went.
        applied = "\n  ".join(
            grouped_upsert(rollup, d, "(SELECT *, direction AS delta FROM changed_rows)") + ";" for rollup in rollups
        )
        statements.append(
            f"CREATE FUNCTION {source}_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"DECLARE direction integer := CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END;\n"
            f"BEGIN\n  {applied}\n  RETURN NULL;\nEND $$"
        )
        # Update: the old row's contribution away and the new one's in, as one UPSERT per changed rollup.
        both = "(SELECT (OLD).*, -1 AS delta UNION ALL SELECT (NEW).*, 1)"
        moved = "\n  ".join(
            f"IF {_changed(rollup, d)} THEN\n    {grouped_upsert(rollup, d, both)};\n  END IF;" for rollup in rollups
        )
        statements.append(
            f"CREATE FUNCTION {source}_rollups_update() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  {moved}\n  RETURN NULL;\nEND $$"
        )
    return statements


def postgresql_triggers() -> list[str]:
    d = Dialect("postgresql")
    statements = []
    for source in SOURCES:
        rollups = _of(source)
        columns = sorted({column for rollup in rollups for column in rollup.columns})
        statements += [
            f"CREATE TRIGGER {source}_rollups_insert AFTER INSERT ON {source} REFERENCING NEW TABLE AS changed_rows"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {source}_rollups_apply()",
            f"CREATE TRIGGER {source}_rollups_delete AFTER DELETE ON {source} REFERENCING OLD TABLE AS changed_rows"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {source}_rollups_apply()",
            f"CREATE TRIGGER {source}_rollups_update AFTER UPDATE OF {', '.join(columns)} ON {source} FOR EACH ROW"
            f" WHEN ({' OR '.join(_changed(rollup, d) for rollup in rollups)})"
            f" EXECUTE FUNCTION {source}_rollups_update()",
        ]
    return statements


# ---- the migration -----------------------------------------------------------------------------------


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


def upgrade() -> None:
    dialect = Dialect(op.get_bind().dialect.name)
    if dialect.name == "postgresql":
        # Writers wait until the triggers exist: none is missed between the back-fill and them.
        op.execute("LOCK TABLE complaints, complaint_tags IN SHARE ROW EXCLUSIVE MODE")
    _create_tables()
    for rollup in ROLLUPS:
        op.execute(grouped_upsert(rollup, dialect, f"(SELECT *, 1 AS delta FROM {rollup.source})", upsert=False))
    if dialect.name == "postgresql":
        for statement in [*postgresql_functions(), *postgresql_triggers()]:
            op.execute(statement)
    else:
        for statement in sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for source in SOURCES:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {source}_rollups_{event} ON {source}")
            for function in ("apply", "update"):
                op.execute(f"DROP FUNCTION IF EXISTS {source}_rollups_{function}()")
    else:
        for name in sqlite_trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for rollup in reversed(ROLLUPS):
        op.drop_table(rollup.table)
