"""Statements built once, run straight on the SQLite driver where SQLAlchemy's execution layers cost more
than SQLite's answer: `Database.read`'s and `Database.write`'s own connections. On any other connection
(PostgreSQL) the same calls go through Core as usual, so one repository function serves both. And `among`,
a list of values bound as one parameter where the database takes arrays, and `json_text`, the text every
engine writes for a JSON column.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import ARRAY, ColumnElement, Connection, Table, any_, bindparam, exc, insert
from sqlalchemy.orm import InstrumentedAttribute


def json_text(value: Any) -> str:
    """The text of a JSON column's value (every engine's `json_serializer`), written by orjson: the stdlib's
    `json.dumps` took 9 µs for a new complaint's audit snapshot against 1.4. Keys that are not strings are
    written as text, as `json.dumps` writes them; what orjson refuses (an integer past 64 bits) goes to it."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def among(column: ColumnElement[Any] | InstrumentedAttribute[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """`column IN (…)` of the list bound as `name`. On PostgreSQL `column = ANY(:name)`, one array parameter:
    the statement is compiled once and sent as it is, where an IN renders a placeholder (with its type cast)
    per value at every execution — a tenth of ingesting a batch went to rendering the outbox's and the
    notices' lists of a hundred IDs. A statement kept for reuse is built once per dialect (`functools.cache`)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


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


# Rows per multi-row INSERT (`_multi_row_statements`): at most 2,100 bound values for a complaint's 21
# columns, far below SQLite's 32,766 and PostgreSQL's 32,767 a statement.
ROWS_PER_INSERT = 100
_multi_row_forms: dict[tuple[str, bool, int], str] = {}
_PLACEHOLDER = re.compile(r"\$(\d+)")


_plans: dict[int, tuple[Any, list[tuple[str, Any]] | None]] = {}


def _plan(compiled: Any, keys: Any) -> list[tuple[str, Any]] | None:
    """Each placeholder's (name, type processor or None), in order, when every one is a plain bind of a key
    the rows carry (an INSERT of those columns): then a row's values are read straight from it. None when
    any placeholder needs SQLAlchemy's own assembly (a default, a value given in the statement, a renamed
    bind), which `construct_params` then does row by row."""
    kept = _plans.get(id(compiled))
    if kept is not None and kept[0] is compiled:
        return kept[1]
    names = list(compiled.positiontup or ())
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    plain = bool(names) and all(name in keys and name in binds and binds[name].key == name for name in names)
    processors = compiled._bind_processors
    plan = [(name, processors.get(name)) for name in names] if plain else None
    if len(_plans) >= COMPILED_KEPT:
        del _plans[next(iter(_plans))]
    _plans[id(compiled)] = (compiled, plan)
    return plan


def _processed(compiled: Any, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Each row's values in the statement's order, as SQLAlchemy's types would send them."""
    plan = _plan(compiled, rows[0].keys())
    if plan is not None:  # SQLAlchemy's `construct_params` is a third of this for a complaint's 21 columns
        return [[row[name] if process is None else process(row[name]) for name, process in plan] for row in rows]
    processors = compiled._bind_processors
    names = compiled.positiontup or []
    values = []
    for row in rows:
        params = compiled.construct_params(row)
        values.append([processors[n](params[n]) if n in processors else params[n] for n in names])
    return values


def _one_row_insert(compiled: Any, *, returning: bool) -> tuple[str, str, str] | None:
    """(what comes before VALUES, the one row's VALUES, the RETURNING columns or "") of an INSERT of one row
    of plain placeholders (`?`, or `$n` with the compiler's casts); None for any other statement.
    `returning` False drops a RETURNING the caller did not ask for (PostgreSQL's compiler adds the key's)."""
    if not compiled.isinsert:
        return None
    head, _, rest = compiled.string.partition(" VALUES ")
    one, _, returned = rest.partition(" RETURNING ")
    if not (one.startswith("(") and one.endswith(")") and one.count("(") == 1):
        return None
    return head, one, returned if returning else ""


def _renumbered(values: str, shift: int) -> str:
    return _PLACEHOLDER.sub(lambda placeholder: f"${int(placeholder[1]) + shift}", values)


def _multi_row_statements(
    compiled: Any, parts: tuple[str, str, str], values: list[list[Any]]
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The rows of a one-row INSERT (`_one_row_insert`'s `parts`) as statements of `ROWS_PER_INSERT` rows,
    each with its values: `?` repeated, `$n` numbered on from row to row.

    One statement per row costs more than the rows: SQLite sets up a table's row triggers (the rollups'
    queue, migration 0008) once per statement — measured on 10,000 complaints, 102–104 µs a row by
    executemany against 38–41 µs in statements of 100 rows — and PostgreSQL runs an executemany as one
    statement per row, and SQLAlchemy's own paging handles each of a page's parameters in Python."""
    head, one, returning = parts
    width = len(values[0])
    for start in range(0, len(values), ROWS_PER_INSERT):
        page = values[start : start + ROWS_PER_INSERT]
        key = (compiled.string, bool(returning), len(page))
        sql = _multi_row_forms.get(key)
        if sql is None:
            shifts = range(0, width * len(page), width)
            rows = [_renumbered(one, shift) for shift in shifts] if "$" in one else [one] * len(page)
            sql = f"{head} VALUES {', '.join(rows)}" + (f" RETURNING {returning}" if returning else "")
            _multi_row_forms[key] = sql
        yield sql, tuple(value for row in page for value in row)


def _execute_rows_numbered(
    connection: Connection, statement: Any, rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """`execute_rows` on PostgreSQL: a one-row INSERT goes as driver SQL of multi-row statements; anything
    else through Core."""
    compiled = _compiled_once(connection, statement, tuple(rows[0]))
    parts = _one_row_insert(compiled, returning=bool(statement.exported_columns))
    if parts is None:
        result = connection.execute(statement, list(rows))
        return [tuple(row) for row in result.all()] if statement.exported_columns else []
    found: list[tuple[Any, ...]] = []
    for sql, values in _multi_row_statements(compiled, parts, _processed(compiled, rows)):
        result = connection.exec_driver_sql(sql, values)
        if parts[2]:
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
    an INSERT of plain placeholders goes as statements of `ROWS_PER_INSERT` rows (`_multi_row_statements`),
    straight on the SQLite driver (`Database.write`'s own connection) or as driver SQL on PostgreSQL. Other statements go through
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
            parts = _one_row_insert(compiled, returning=False)
            if parts is None:
                driver.executemany(compiled.string, values)
            else:
                for sql, page in _multi_row_statements(compiled, parts, values):
                    driver.execute(sql, page)
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


@functools.cache
def _inserts(table: Table) -> tuple[Any, Any]:
    """`table`'s INSERT, and its INSERT returning its `id` in the order of the rows (built once: compiled
    forms are kept per statement)."""
    return insert(table), insert(table).returning(table.c.id, sort_by_parameter_order=True)


def insert_with_ids(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows` (each with the same keys) into `table`; their new IDs, in the order of `rows`."""
    if not rows:
        return []
    if connection.dialect.driver != "pysqlite":
        # The sequence hands out IDs in the order the statement inserts its rows, which is the order of
        # `rows`: sorted, the IDs RETURNING gave are the rows' own, whatever order it gave them in.
        return sorted(int(found[0]) for found in execute_rows(connection, _inserts(table)[1], rows))
    # SQLite (`Database.write`): RETURNING about doubles the cost of each row's INSERT (measured on a
    # complaint: 86–115 against 43–67 µs a row). A new row's ID is the largest so far plus one, and nobody
    # else writes while the write holds SQLite's lock: a statement's rows are the IDs up to the last one it
    # inserted (its `lastrowid`; a trigger's inserts do not change it once the statement is done).
    compiled = _compiled_once(connection, _inserts(table)[0], tuple(rows[0]))
    parts = _one_row_insert(compiled, returning=False)
    assert parts is not None, "a plain INSERT of the rows' columns"
    values = _processed(compiled, rows)
    driver = connection.connection.driver_connection
    assert driver is not None
    ids: list[int] = []
    try:
        for sql, page in _multi_row_statements(compiled, parts, values):
            last = driver.execute(sql, page).lastrowid
            count = len(page) // len(values[0])
            if last is None or last < count:
                raise RuntimeError(f"{count} rows inserted into {table.name} but no new IDs")
            ids.extend(range(last - count + 1, last + 1))
    except sqlite3.Error as error:  # as SQLAlchemy raises it (e.g. IntegrityError on a unique key)
        raise exc.DBAPIError.instance(compiled.string, None, error, sqlite3.Error) from error
    return ids
