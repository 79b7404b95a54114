"""Reading the rollups (`storage.models.rollups`) for a period that need not start or end on the hour.

A period is cut into whole UTC days or hours and the rest — the minutes before its first whole hour and
after its last, or around a bound that falls inside an hour (a day starting at 18:30 UTC for a council in
India). The whole days and hours are read from the rollups of that grain plus the changes queued for them
and not folded yet; the rest from the complaints themselves. Every side yields rows of the same columns and
one statement adds them up, so every count equals the count over the complaints, and its cost follows the
length of the period (and the minute or so of changes waiting for the fold), not the number of complaints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from storage.models.rollups import NEGATIVE_BUCKET, RESPONSE_TIERS

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Ranges = list[tuple[datetime, datetime]]
# The rollup side of a figure: a rollup's rows for these whole days or hours.
Part = Callable[[Ranges], Select[*tuple[Any, ...]]]


@dataclass(frozen=True)
class Records:
    """The record side of a figure: `rows(table, weight)` gives the time column that places a row in the
    period, the row's columns (its keys, then what it adds to each counter, in units of `weight`) and the
    conditions for it to count. Read from `stored` (each row counts once) for the partial hours, and from
    `queued`, the changes not folded yet (each counts its delta), for the whole hours."""

    stored: Any
    queued: Any
    rows: Callable[[Any, Any], tuple[Any, list[Any], list[ColumnElement[bool]]]]

    def part(self, table: Any, weight: Any, within: Callable[[Any, Ranges], ColumnElement[bool]]) -> Part:
        def rows_in(ranges: Ranges) -> Select[*tuple[Any, ...]]:
            time, columns, conditions = self.rows(table, weight)
            return select(*columns).where(within(time, ranges), *conditions)

        return rows_in


@dataclass
class Split:
    """[bounds[0], bounds[-1]) as runs of whole units of each grain (no bound inside them), and the rest."""

    whole: dict[timedelta, Ranges]
    rest: Ranges = field(default_factory=list)


def _floor(at: datetime, grain: timedelta) -> datetime:
    return _EPOCH + (at - _EPOCH) // grain * grain


def _ceil(at: datetime, grain: timedelta) -> datetime:
    floor = _floor(at, grain)
    return floor if floor == at else floor + grain


def _extend(ranges: Ranges, low: datetime, high: datetime) -> None:
    if low >= high:
        return
    if ranges and ranges[-1][1] == low:
        ranges[-1] = (ranges[-1][0], high)
    else:
        ranges.append((low, high))


def split_at(bounds: Iterable[datetime], grains: Iterable[timedelta] = (HOUR,)) -> Split:
    """Cut each [bound, next bound) into whole UTC units, the coarsest grain first, and the partial rest."""
    coarsest_first = sorted(grains, reverse=True)
    split = Split({grain: [] for grain in coarsest_first})

    def cut(low: datetime, high: datetime, grains: list[timedelta]) -> None:
        if low >= high:
            return
        if not grains:
            _extend(split.rest, low, high)
            return
        first, last = _ceil(low, grains[0]), _floor(high, grains[0])
        if first >= last:
            cut(low, high, grains[1:])
            return
        cut(low, first, grains[1:])
        _extend(split.whole[grains[0]], first, last)
        cut(last, high, grains[1:])

    for low, high in pairwise(bound.astimezone(UTC) for bound in bounds):
        cut(low, high, coarsest_first)
    return split


class RollupReader:
    """Figures of one workspace added up from the rollups and the complaints."""

    def __init__(self, session: AsyncSession, team_id: str) -> None:
        self.session = session
        self.team_id = team_id

    def within(self, column: Any, ranges: Sequence[tuple[datetime, datetime]]) -> ColumnElement[bool]:
        """`column` (of a workspace's table) in any of the ranges. The workspace is repeated in each range,
        so SQLite reads each range from the index (MULTI-INDEX OR), not all of the workspace's rows."""
        team = column.class_.team_id
        return or_(*(and_(team == self.team_id, column >= low, column < high) for low, high in ranges))

    def rollup(self, time: Any, *keys: Any, sums: Sequence[Any]) -> Part:
        """The rollup whose time column is `time`: its counters summed per key over the ranges."""

        def part(ranges: Ranges) -> Select[*tuple[Any, ...]]:
            statement = select(*keys, *(func.sum(counter) for counter in sums)).where(self.within(time, ranges))
            # By position: a key may be an expression with parameters, which PostgreSQL would not match by text.
            return statement.group_by(*(literal_column(str(i + 1)) for i in range(len(keys))))

        return part

    def _union(self, split: Split, rolled: Mapping[timedelta, Part], records: Records) -> Subquery | None:
        """Every side of a figure as one relation, columns named v0, v1…; None for an empty period."""
        parts = [rolled[grain](ranges) for grain, ranges in split.whole.items() if ranges]
        whole = sorted(ranges for grain_ranges in split.whole.values() for ranges in grain_ranges)
        if whole:
            parts.append(records.part(records.queued, records.queued.delta, self.within)(whole))
        if split.rest:
            parts.append(records.part(records.stored, literal(1), self.within)(split.rest))
        if not parts:
            return None
        named = [
            part.with_only_columns(*(column.label(f"v{i}") for i, column in enumerate(part.selected_columns)))
            for part in parts
        ]
        return (named[0] if len(named) == 1 else union_all(*named)).subquery()

    async def totals(self, bounds: Sequence[datetime], rolled: Mapping[timedelta, Part], records: Records) -> list[int]:
        """Each counter summed over the period."""
        union = self._union(split_at(bounds, rolled), rolled, records)
        if union is None:  # an empty period
            return [0] * len(records.rows(records.stored, literal(1))[1])
        statement = select(*(func.coalesce(func.sum(column), 0) for column in union.c))
        return [int(value) for value in (await self.session.execute(statement)).one()]

    async def grouped(
        self,
        bounds: Sequence[datetime],
        rolled: Mapping[timedelta, Part],
        records: Records,
        *,
        keys: int,
        limit: int | None = None,
        in_key_order: bool = False,
    ) -> list[Any]:
        """Counters summed per key (the first `keys` columns) over the period, keys whose first counter sums
        to 0 left out; the largest first (ties by key), or in key order."""
        union = self._union(split_at(bounds, rolled), rolled, records)
        if union is None:
            return []
        key_columns = list(union.c)[:keys]
        sums = [func.sum(column) for column in list(union.c)[keys:]]
        statement = select(*key_columns, *sums).group_by(*key_columns).having(sums[0] > 0)
        statement = (
            statement.order_by(*key_columns) if in_key_order else statement.order_by(sums[0].desc(), *key_columns)
        )
        if limit is not None:
            statement = statement.limit(limit)
        return list((await self.session.execute(statement)).all())


# ---- time to first response ------------------------------------------------------------------------


def response_milliseconds(dialect: str, answered: Any, logged: Any) -> ColumnElement[int]:
    """Milliseconds from `logged` to `answered`, rounded: the histogram's measure, for the fold and the edges alike."""
    if dialect == "postgresql":
        return cast(func.round(extract("epoch", answered - logged) * 1000), BigInteger)
    return cast(func.round((func.julianday(answered) - func.julianday(logged)) * 86400000.0), Integer)


def response_bucket_sql(milliseconds: ColumnElement[int]) -> ColumnElement[int]:
    """`storage.models.rollups.response_bucket` in SQL (`//` on integers is SQL's `/`: it truncates, which for
    these non-negative differences is the floor)."""
    whens: list[tuple[ColumnElement[bool], Any]] = [(milliseconds < 0, literal(NEGATIVE_BUCKET))]
    for (begins, width, first), following in pairwise(RESPONSE_TIERS):
        whens.append((milliseconds < following[0], (milliseconds - begins) // width + first))
    begins, width, first = RESPONSE_TIERS[-1]
    return case(*whens, else_=(milliseconds - begins) // width + first)


def median_of(histogram: Sequence[tuple[int, int]]) -> float | None:
    """The median in seconds from (count, sum of milliseconds) per bucket, buckets in order of their times:
    the mean of the bucket holding the middle rank (the two middle ranks' means averaged, for an even count)."""
    total = sum(count for count, _ in histogram if count > 0)
    if total == 0:
        return None
    middle = {(total - 1) // 2, total // 2}
    means: list[float] = []
    seen = 0
    for count, milliseconds in histogram:
        if count <= 0:
            continue
        means += [milliseconds / count] * sum(1 for rank in middle if seen <= rank < seen + count)
        seen += count
    return sum(means) / len(means) / 1000
