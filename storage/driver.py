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
_compiled: dict[tuple[str, Any, tuple[str, ...]], Any] = {}
COMPILED_KEPT = 512


def _compiled_once(connection: Connection, statement: Any, columns: tuple[str, ...]) -> Any:
    """The statement compiled for this dialect (an INSERT: for these columns), kept for the next call."""
    key = (connection.dialect.name, statement, columns)
    compiled = _compiled.get(key)
    if compiled is None:
        if len(_compiled) >= COMPILED_KEPT:  # statements built per count of keys come and go: oldest out
            del _compiled[next(iter(_compiled))]
        compiled = _compiled[key] = statement.compile(
            dialect=connection.dialect, column_keys=list(columns) if columns else None
        )
    return compiled


# Rows per INSERT statement on SQLite (`_multi_row`); at most 32,766 bound values a statement.
ROWS_PER_INSERT = 100
_multi_row_forms: dict[tuple[str, int], str] = {}
# The statements `_multi_row` repeats the VALUES of: one row of plain placeholders, nothing after it.
_ONE_ROW = re.compile(r" VALUES \((\?, )*\?\)$")
_PLACEHOLDER = re.compile(r"\$(\d+)")


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


def _processed(compiled: Any, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Each row's values in the statement's order, as SQLAlchemy's types would send them."""
    processors = compiled._bind_processors
    names = compiled.positiontup or []
    values = []
    for row in rows:
        params = compiled.construct_params(row)
        values.append([processors[n](params[n]) if n in processors else params[n] for n in names])
    return values


def _renumbered(values: str, shift: int) -> str:
    return _PLACEHOLDER.sub(lambda placeholder: f"${int(placeholder[1]) + shift}", values)


def _execute_rows_numbered(
    connection: Connection, statement: Any, rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """`execute_rows` on PostgreSQL: an INSERT of one row of numbered placeholders (with the compiler's
    casts) and perhaps a RETURNING goes as driver SQL of `ROWS_PER_INSERT` rows a statement, each row's
    placeholders numbered on from the last; anything else through Core."""
    compiled = _compiled_once(connection, statement, tuple(rows[0]))
    head, _, rest = compiled.string.partition(" VALUES ")
    one, _, returning = rest.partition(" RETURNING ")
    if not statement.exported_columns:  # the compiler's own RETURNING of the key, for one row: not asked for
        returning = ""
    if not (compiled.isinsert and one.startswith("(") and one.endswith(")") and one.count("(") == 1):
        result = connection.execute(statement, list(rows))
        return [tuple(row) for row in result.all()] if statement.exported_columns else []
    values = _processed(compiled, rows)
    width = len(values[0])
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), ROWS_PER_INSERT):
        page = values[start : start + ROWS_PER_INSERT]
        key = (compiled.string + (" RETURNING" if returning else ""), len(page))
        sql = _multi_row_forms.get(key)
        if sql is None:
            renumbered = (_renumbered(one, shift) for shift in range(0, width * len(page), width))
            sql = f"{head} VALUES {', '.join(renumbered)}" + (f" RETURNING {returning}" if returning else "")
            _multi_row_forms[key] = sql
        result = connection.exec_driver_sql(sql, tuple(value for row in page for value in row))
        if returning:
            found.extend(tuple(row) for row in result.all())
    return found


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
    RETURNING gave, in the order of `rows` (on PostgreSQL: in the order PostgreSQL returns each page's).

    The statement is compiled once per set of keys and the values go through SQLAlchemy's own type
    processing, but SQLAlchemy's execution layers (contexts, result objects, and for a batch its paging of
    thousands of parameters one by one), which cost more than the database inserting a row, are skipped:
    an INSERT of plain placeholders goes as statements of `ROWS_PER_INSERT` rows, straight on the SQLite
    driver (`Database.write`'s own connection) or as driver SQL on PostgreSQL. Other statements go through
    executemany on SQLite and Core elsewhere. Each row names every column it sets: a column left out is
    not given its model's Python-side default here.
    """
    if not rows:
        return []
    if connection.dialect.driver != "pysqlite":
        return _execute_rows_numbered(connection, statement, rows)
    compiled = _compiled_once(connection, statement, tuple(rows[0]))
    values = _processed(compiled, rows)
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
