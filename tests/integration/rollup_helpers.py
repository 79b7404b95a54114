"""The digest's complaint figures counted straight from the complaints, in Python, to hold the rollups to;
and the rollups as a fold of every queued change should leave them."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import (
    Complaint,
    ComplaintDueHour,
    ComplaintNetworkHour,
    ComplaintResolvedHour,
    ComplaintResponseDay,
    ComplaintResponseHour,
    ComplaintStatusHour,
    ComplaintTag,
    ComplaintTagHour,
)
from storage.models.rollups import bucket_span, response_bucket

TEAMS = ("T0ROLLUP1", "T0ROLLUP2")
STATUSES = ("new", "assigned", "responded", "resolved", "dismissed")
NETWORKS = ("twitter", "facebook", "instagram", "forum")
TAGS = ("refunds", "delivery", "billing", "outage", "privacy")
SEVERITY_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}
# Complaints are logged in these days; responses and closes come up to a few days later.
WINDOW_START = datetime(2026, 3, 2, tzinfo=UTC)
WINDOW = timedelta(days=5)


@dataclass(frozen=True)
class Row:
    id: int
    team_id: str
    status: str
    network: str
    created_at: datetime
    due_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None

    @property
    def response_ms(self) -> int | None:
        if self.first_response_at is None:
            return None
        return round((self.first_response_at - self.created_at) / timedelta(milliseconds=1))

    @property
    def met(self) -> bool:
        return (self.first_response_at is not None and self.first_response_at <= self.due_at) or (
            self.closed_at is not None and self.closed_at <= self.due_at
        )


@dataclass(frozen=True)
class Tag:
    team_id: str
    tag: str
    created_at: datetime


@dataclass(frozen=True)
class Stored:
    complaints: list[Row]
    tags: list[Tag]


async def stored(database: Database) -> Stored:
    async with database.unit_of_work() as session:
        complaints = (
            await session.execute(
                select(
                    Complaint.id,
                    Complaint.team_id,
                    Complaint.status,
                    Complaint.network,
                    Complaint.created_at,
                    Complaint.due_at,
                    Complaint.first_response_at,
                    Complaint.closed_at,
                )
            )
        ).all()
        tags = (await session.execute(select(ComplaintTag.team_id, ComplaintTag.tag, ComplaintTag.created_at))).all()
    return Stored([Row(*row) for row in complaints], [Tag(*row) for row in tags])


# ---- the rollups, as a fold of every queued change should leave them ---------------------------------------


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def expected_rollups(data: Stored) -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    """Each rollup table's rows (key → counters) recomputed from the complaints, rows at zero left out."""
    tables: dict[str, defaultdict[tuple[Any, ...], list[int]]] = {
        name: defaultdict(lambda: [0, 0])
        for name in ("status", "network", "resolved", "due", "response_hours", "response_days", "tags")
    }
    for c in data.complaints:
        tables["status"][(c.team_id, _hour(c.created_at), c.status)][0] += 1
        tables["network"][(c.team_id, _hour(c.created_at), c.network)][0] += 1
        if c.status == "resolved" and c.closed_at is not None:
            tables["resolved"][(c.team_id, _hour(c.closed_at))][0] += 1
        if c.status != "dismissed":
            due = tables["due"][(c.team_id, _hour(c.due_at))]
            due[0] += 1
            due[1] += int(c.met)
        if c.first_response_at is not None and c.response_ms is not None:
            bucket = response_bucket(c.response_ms)
            for name, at in (("response_hours", _hour), ("response_days", _day)):
                counters = tables[name][(c.team_id, at(c.first_response_at), bucket)]
                counters[0] += 1
                counters[1] += c.response_ms
    for t in data.tags:
        tables["tags"][(t.team_id, _hour(t.created_at), t.tag)][0] += 1
    widths = {"due": 2, "response_hours": 2, "response_days": 2}
    return {
        name: {key: tuple(values[: widths.get(name, 1)]) for key, values in rows.items() if values[0]}
        for name, rows in tables.items()
    }


async def rollup_rows(database: Database) -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    """What the rollup tables hold, rows at zero left out."""
    queries: dict[str, tuple[Any, ...]] = {
        "status": (ComplaintStatusHour, ("team_id", "hour", "status"), ("complaints",)),
        "network": (ComplaintNetworkHour, ("team_id", "hour", "network"), ("complaints",)),
        "resolved": (ComplaintResolvedHour, ("team_id", "hour"), ("complaints",)),
        "due": (ComplaintDueHour, ("team_id", "hour"), ("due", "met")),
        "response_hours": (ComplaintResponseHour, ("team_id", "hour", "bucket"), ("responses", "milliseconds")),
        "response_days": (ComplaintResponseDay, ("team_id", "day", "bucket"), ("responses", "milliseconds")),
        "tags": (ComplaintTagHour, ("team_id", "hour", "tag"), ("tags",)),
    }
    found: dict[str, dict[tuple[Any, ...], tuple[int, ...]]] = {}
    async with database.unit_of_work() as session:
        for name, (model, keys, counters) in queries.items():
            columns = [getattr(model, column) for column in (*keys, *counters)]
            rows = (await session.execute(select(*columns))).all()
            found[name] = {
                tuple(row[: len(keys)]): tuple(int(value) for value in row[len(keys) :])
                for row in rows
                if row[len(keys)] != 0
            }
            negative = [row for row in rows if row[len(keys)] < 0]
            assert not negative, f"{name}: counts below zero {negative}"
    return found


def differences(
    found: dict[str, dict[tuple[Any, ...], tuple[int, ...]]],
    expected: dict[str, dict[tuple[Any, ...], tuple[int, ...]]],
) -> list[str]:
    """Rollup rows that differ from their recomputation, one line each (empty when none). Response times may
    differ by a millisecond each: SQLite's date functions read timestamps to the millisecond."""
    lines = []
    for name in sorted(set(found) | set(expected)):
        have, want = found.get(name, {}), expected.get(name, {})
        for key in sorted(set(have) | set(want), key=repr):
            stored, counted = have.get(key), want.get(key)
            close = (
                name.startswith("response")
                and stored is not None
                and counted is not None
                and stored[0] == counted[0]
                and abs(stored[1] - counted[1]) <= stored[0]
            )
            if stored != counted and not close:
                lines.append(f"{name} {key}: stored {stored}, counted {counted}")
    return lines


# ---- the figures, counted from the complaints ------------------------------------------------------------


def _in(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= at < end


def opened(data: Stored, team: str, start: datetime, end: datetime) -> int:
    return sum(1 for c in data.complaints if c.team_id == team and _in(c.created_at, start, end))


def resolved(data: Stored, team: str, start: datetime, end: datetime) -> int:
    return sum(
        1 for c in data.complaints if c.team_id == team and c.status == "resolved" and _in(c.closed_at, start, end)
    )


def due(data: Stored, team: str, start: datetime, end: datetime) -> tuple[int, int]:
    rows = [c for c in data.complaints if c.team_id == team and c.status != "dismissed" and _in(c.due_at, start, end)]
    return len(rows), sum(1 for c in rows if c.met)


def _top(counted: Counter[str], limit: int = 5) -> list[tuple[str, int]]:
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:limit]


def top_tags(data: Stored, team: str, start: datetime, end: datetime) -> list[tuple[str, int]]:
    return _top(Counter(t.tag for t in data.tags if t.team_id == team and _in(t.created_at, start, end)))


def top_networks(data: Stored, team: str, start: datetime, end: datetime) -> list[tuple[str, int]]:
    return _top(Counter(c.network for c in data.complaints if c.team_id == team and _in(c.created_at, start, end)))


def by_bucket(data: Stored, team: str, bounds: Sequence[datetime]) -> dict[tuple[int, str], int]:
    counted: Counter[tuple[int, str]] = Counter()
    for c in data.complaints:
        if c.team_id != team:
            continue
        for index in range(len(bounds) - 1):
            if bounds[index] <= c.created_at < bounds[index + 1]:
                counted[(index, c.status)] += 1
    return dict(counted)


def response_times(data: Stored, team: str, start: datetime, end: datetime) -> list[int]:
    """Milliseconds to first response of the complaints first answered in the period, sorted."""
    return sorted(
        c.response_ms
        for c in data.complaints
        if c.team_id == team and c.response_ms is not None and _in(c.first_response_at, start, end)
    )


def assert_median_close(found: float | None, times: list[int]) -> None:
    """The rollups' median against the exact one: equal when the bucket(s) holding the middle rank(s) hold one
    distinct time each, otherwise within the widest such bucket."""
    if not times:
        assert found is None
        return
    assert found is not None
    middle = sorted({(len(times) - 1) // 2, len(times) // 2})
    exact = sum(times[rank] for rank in middle) / len(middle) / 1000
    buckets = {response_bucket(times[rank]) for rank in middle}
    single = all(len({t for t in times if response_bucket(t) == bucket}) == 1 for bucket in buckets)
    if single:
        assert abs(found - exact) <= 0.002, (found, exact)
        return
    spans = [bucket_span(bucket) for bucket in buckets]
    if any(span is None for span in spans):  # the negative bucket has no lower end
        assert times[0] / 1000 <= found <= times[-1] / 1000, (found, exact)
        return
    width = max(high - low for low, high in (span for span in spans if span is not None)) / 1000
    assert abs(found - exact) <= width, (found, exact, width)


# ---- random complaints ------------------------------------------------------------------------------------


def random_time(rng: random.Random) -> datetime:
    """Somewhere in the window, down to the microsecond (so hours and minutes are cut anywhere)."""
    return WINDOW_START + timedelta(microseconds=rng.randrange(int(WINDOW / timedelta(microseconds=1))))


def random_response_delay(rng: random.Random) -> timedelta:
    """Whole milliseconds: a few shared values (buckets holding one time), minutes, hours and days."""
    choice = rng.random()
    if choice < 0.3:
        return timedelta(minutes=rng.choice((7, 45, 150, 600)))
    if choice < 0.6:
        return timedelta(milliseconds=rng.randrange(1, 2 * 3600_000))
    if choice < 0.9:
        return timedelta(milliseconds=rng.randrange(2 * 3600_000, 2 * 86400_000))
    if choice < 0.98:
        return timedelta(milliseconds=rng.randrange(2 * 86400_000, 4 * 86400_000))
    return -timedelta(milliseconds=rng.randrange(1, 60_000))  # a source's clock ahead of ours


def complaint_values(rng: random.Random, team: str, serial: int) -> dict[str, Any]:
    """The columns of a new complaint, some answered and closed already (as a bulk import brings them)."""
    created = random_time(rng)
    severity = rng.choice(tuple(SEVERITY_HOURS))
    status = rng.choice(STATUSES)
    answered = created + random_response_delay(rng) if status in ("responded", "resolved") else None
    closed = (
        (answered or created) + timedelta(minutes=rng.randrange(0, 3000))
        if status in ("resolved", "dismissed")
        else None
    )
    return {
        "team_id": team,
        "network": rng.choice(NETWORKS),
        "url_key": f"{serial:064x}",
        "author": "someone",
        "text": "a complaint",
        "severity": severity,
        "status": status,
        "source": "api",
        "created_by": "U1",
        "created_at": created,
        "updated_at": created,
        "due_at": created + timedelta(hours=SEVERITY_HOURS[severity]),
        "first_response_at": answered,
        "closed_at": closed,
    }
