"""Statements built once, run straight on the SQLite driver where SQLAlchemy's execution layers cost more
than SQLite's answer: `Database.read`'s and `Database.write`'s own connections. On any other connection
(PostgreSQL) the same calls go through Core as usual, so one repository function serves both.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, exc

# Compiled forms of the statements `execute_rows` and `select_rows` run straight on the driver (module-level
# statements, a handful of column sets): compiling an INSERT costs more than running it.
_compiled: dict[tuple[Any, tuple[str, ...]], Any] = {}


def _compiled_once(connection: Connection, statement: Any, columns: tuple[str, ...]) -> Any:
    """The statement compiled for this dialect (an INSERT: for these columns), kept for the next call."""
    compiled = _compiled.get((statement, columns))
    if compiled is None:
        compiled = _compiled[(statement, columns)] = statement.compile(
            dialect=connection.dialect, column_keys=list(columns) if columns else None
        )
    return compiled


# Rows per INSERT statement on SQLite (`_multi_row`); at most 32,766 bound values a statement.
ROWS_PER_INSERT = 100
_multi_row_forms: dict[tuple[str, int], str] = {}
# The statements `_multi_row` repeats the VALUES of: one row of plain placeholders, nothing after it.
_ONE_ROW = re.compile(r" VALUES \((\?, )*\?\)$")


def _multi_row(single: str, rows: int) -> str:
    """`INSERT … VALUES (?, …)` for `rows` rows in one statement. SQLite runs a table's row triggers (the
    rollups' queue, migration 0008) through a sub-program it sets up once per statement: with one statement
    per row (executemany) that set-up cost ~60 µs a row, more than the insert itself (measured on 10,000
    complaints: 102–104 µs a row by executemany, 38–41 µs in statements of 100 rows)."""
    multi = _multi_row_forms.get((single, rows))
    if multi is None:
        head, values = single.split(" VALUES ", 1)
        multi = _multi_row_forms[(single, rows)] = f"{head} VALUES {', '.join([values] * rows)}"
    return multi


_paged_forms: dict[Any, Any] = {}


def _paged(statement: Any) -> Any:
    """An INSERT with RETURNING of its table's primary key, for PostgreSQL. SQLAlchemy sends an INSERT
    with RETURNING as multi-row INSERTs (pages of 1,000 rows); one without is an executemany, which
    PostgreSQL runs as one statement per row: for a batch of 100 complaints' audit and outbox rows that was
    200 executions, and each row's insert cost 20–120 µs of the server's time instead of a few. The
    statement triggers of `complaints` and `complaint_tags` (migration 0008) then run once per page too."""
    if not statement.is_insert:
        return statement
    paged = _paged_forms.get(statement)
    if paged is None:
        paged = _paged_forms[statement] = statement.returning(*statement.table.primary_key.columns)
    return paged


def select_rows(connection: Connection, statement: Any, params: dict[str, Any]) -> list[Any]:
    """The rows of a built-once SELECT (`Database.read`), as tuples.

    On SQLite, a statement without expanding parameters runs straight on the driver: its SQL is compiled
    once, and SQLAlchemy's execution layers (contexts, result objects), which cost more than SQLite
    answering a short indexed read, are skipped. Only for columns SQLite returns as they are (integers,
    text): no result processing is applied. Elsewhere, and for IN-lists, through Core as usual.
    """
    if connection.dialect.driver == "pysqlite":  # Database.read's own connection on a SQLite file
        compiled = _compiled_once(connection, statement, ())
        if not compiled.literal_execute_params and not compiled.post_compile_params:
            bound = compiled.construct_params(params)  # with the statement's own literals (e.g. a LIMIT)
            values = [bound[name] for name in compiled.positiontup or ()]
            driver = connection.connection.driver_connection
            assert driver is not None
            return list(driver.execute(compiled.string, values).fetchall())
    return list(connection.execute(statement, params).all())


def execute_rows(connection: Connection, statement: Any, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Run a built-once INSERT (or UPDATE) for each of `rows` (each with the same keys); the rows its
    RETURNING gave, in the order of `rows`.

    On SQLite (`Database.write`'s own connection) it runs straight on the driver: the statement is compiled
    once per set of keys, with SQLAlchemy's own type processing of the values, and SQLAlchemy's execution
    layers (contexts, result objects), which cost more than SQLite inserting a row, are skipped. Elsewhere
    through Core as multi-row INSERTs (`_paged`).
    """
    if not rows:
        return []
    if connection.dialect.driver != "pysqlite":
        if statement.exported_columns:  # built with RETURNING
            return [tuple(row) for row in connection.execute(statement, list(rows)).all()]
        connection.execute(_paged(statement), list(rows))
        return []
    compiled = _compiled_once(connection, statement, tuple(rows[0]))
    processors = compiled._bind_processors
    names = compiled.positiontup or []
    values = []
    for row in rows:
        params = compiled.construct_params(row)
        values.append([processors[n](params[n]) if n in processors else params[n] for n in names])
    driver = connection.connection.driver_connection
    assert driver is not None
    found: list[tuple[Any, ...]] = []
    try:
        if not compiled.effective_returning:
            if compiled.isinsert and _ONE_ROW.search(compiled.string):
                for start in range(0, len(values), ROWS_PER_INSERT):
                    page = values[start : start + ROWS_PER_INSERT]
                    driver.execute(_multi_row(compiled.string, len(page)), [value for row in page for value in row])
            else:
                driver.executemany(compiled.string, values)
            return found
        cursor = driver.cursor()
        try:
            for row_values in values:
                cursor.execute(compiled.string, row_values)
                found.extend(cursor.fetchall())
        finally:
            cursor.close()
    except sqlite3.Error as error:  # as SQLAlchemy raises it (e.g. IntegrityError on a unique key)
        raise exc.DBAPIError.instance(compiled.string, None, error, sqlite3.Error) from error
    return found
