"""PostgreSQL's statistics of a table that fills up faster than autovacuum looks (a new install taking in
its backlog).

PostgreSQL plans every query by its statistics of the tables, and keeps the plans of prepared statements
(and of its foreign-key checks) until the next `ANALYZE` of the table. Autovacuum analyses at most once a
minute. Two ways this went wrong under the ingestion benchmark, on a new database filling at a few
thousand complaints a second:

- with no statistics at all, the planner guessed a few hundred rows in `complaints` and took `team_id = …`
  for a selective condition: the known-complaint look-up of a batch read the whole workspace through an
  index leading with `team_id`, comparing each row with every key (at 10,000 complaints 50–140 ms a batch,
  growing with the table);
- with statistics taken while the table held twenty rows, the foreign-key checks of the outbox's rows
  were planned as reads of the whole (one-page) table and kept that plan as it grew: 75–220 ms for a
  batch's hundred outbox rows.

So each process counts the rows it adds; after every `LOOK_EVERY` rows it reads the table's size as last
analysed, and analyses the table when it has at least doubled since (or was never analysed). A table that
starts empty is analysed at about 1,000, 2,000, 4,000… rows, and plans follow its size; a large table
only costs a look at `pg_class` per `LOOK_EVERY` rows (autovacuum keeps its statistics current). One
`ANALYZE` samples at most 30,000 rows: tens of milliseconds, in the background, beside the writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("herobot.storage")

# Rows added by this process between two looks at a table's size.
LOOK_EVERY = 1000

_ANALYSED_ROWS = text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)")


class Statistics:
    """Keeps PostgreSQL's statistics of fast-growing tables up with their size (see the module)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._since_look: Counter[str] = Counter()
        self._since_analysed: Counter[str] = Counter()  # rows this process added since it last analysed
        self._running: asyncio.Task[None] | None = None

    def grew(self, table: str, rows: int) -> None:
        """`rows` were added to `table`: look at its statistics once enough have been."""
        self._since_look[table] += rows
        self._since_analysed[table] += rows
        if self._since_look[table] >= LOOK_EVERY and (self._running is None or self._running.done()):
            self._since_look[table] = 0
            self._running = asyncio.get_running_loop().create_task(self._look(table))

    async def _look(self, table: str) -> None:
        added = self._since_analysed[table]
        try:
            async with self.engine.connect() as connection:
                analysed = (await connection.execute(_ANALYSED_ROWS, {"table": table})).scalar()
                if analysed is None or analysed < 0 or added >= analysed:  # never analysed, or doubled since
                    await connection.execute(text(f'ANALYZE "{table}"'))
                    self._since_analysed[table] -= added
                    log.info("statistics of %s taken again (%s rows added since)", table, added)
                await connection.commit()
        except Exception:  # a look that fails waits for the next one; it never fails a write
            log.warning("could not look at the statistics of %s", table, exc_info=True)

    async def settle(self) -> None:
        if self._running is not None:
            await self._running
