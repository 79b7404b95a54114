"""When a council's digest is due: daily, weekly on a weekday, monthly on a day, or a cron expression,
at a local time in the council's time zone.

All arithmetic is done on local calendar dates (or local wall-clock times for cron) and turned into
UTC instants with zoneinfo, so a change to or from summer time neither skips nor doubles a run:
- a local time that does not exist that day (clocks jump 02:00 → 03:00, digest at 02:30) fires
  once, at the same distance past the jump (03:30);
- a local time that happens twice (clocks fall back 03:00 → 02:00, digest at 02:30) fires once, at
  its first occurrence.

A period is the time between two consecutive runs; the digest posted at a run covers the period
that ends there.
"""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.errors import InvalidInput


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CRON = "cron"


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The largest jump of a UTC offset in one day (DST transitions are 30 min to 2 h), with room to spare.
_OFFSET_MARGIN = timedelta(hours=3)
_SEARCH_DAYS = 400
# A digest more often than hourly is noise in a channel; a cron that fires rarer than yearly is a typo.
MIN_CRON_INTERVAL = timedelta(hours=1)
MAX_CRON_GAP = timedelta(days=_SEARCH_DAYS)
_LOOKBACK = (timedelta(days=1), timedelta(days=8), timedelta(days=32), timedelta(days=_SEARCH_DAYS))


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone, or InvalidInput naming the `zone` field."""
    cleaned = (name or "").strip()
    try:
        if not cleaned or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ValueError(cleaned)
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"I don't know the time zone “{cleaned}”. Use an IANA name such as Europe/Stockholm or America/New_York.",
            "zone",
        ) from None


def parse_local_time(text: str) -> time:
    try:
        parsed = time.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput("Give the time as HH:MM, e.g. 09:00.", "time") from None
    if parsed.second or parsed.microsecond or parsed.tzinfo is not None:
        raise InvalidInput("Give the time as HH:MM, e.g. 09:00.", "time")
    return parsed


@dataclass(frozen=True)
class Cadence:
    frequency: Frequency
    at: time
    zone_name: str
    weekday: int | None = None  # 0 = Monday
    day_of_month: int | None = None  # 1–31; in shorter months, the month's last day
    cron: str | None = None

    @cached_property
    def zone(self) -> ZoneInfo:
        return zone_named(self.zone_name)

    @cached_property
    def _cron_trigger(self) -> CronTrigger:
        # Evaluated on local wall-clock times written as if they were UTC: no DST inside the trigger.
        return _crontab_trigger(self.cron or "")

    # ---- validation ---------------------------------------------------------------------------
    def validated(self) -> Cadence:
        """This cadence, or InvalidInput naming the modal field that is wrong."""
        zone_named(self.zone_name)
        if self.frequency == Frequency.WEEKLY and self.weekday not in range(7):
            raise InvalidInput("Pick the weekday of a weekly digest.", "weekday")
        if self.frequency == Frequency.MONTHLY and self.day_of_month not in range(1, 32):
            raise InvalidInput("Pick the day of the month of a monthly digest.", "day")
        if self.frequency == Frequency.CRON:
            self._validate_cron()
        return self

    def _validate_cron(self) -> None:
        expression = " ".join((self.cron or "").split())
        if not expression:
            raise InvalidInput("Write the cron expression, e.g. `0 9 * * 1-5` (09:00 on weekdays).", "cron")
        try:
            _crontab_trigger(expression)
        except ValueError as error:
            raise InvalidInput(
                f"That is not a valid cron expression ({error}). Five fields: minute hour day month weekday, "
                "e.g. `0 9 * * 1-5`.",
                "cron",
            ) from None
        wall = datetime(2026, 1, 1)
        fires: list[datetime] = []
        for _ in range(4):
            following = self._next_wall(wall)
            if following is None or following - wall > MAX_CRON_GAP:
                raise InvalidInput(
                    "That cron expression fires less than once a year; councils meet more often.", "cron"
                )
            fires.append(following)
            wall = following
        if any(b - a < MIN_CRON_INTERVAL for a, b in itertools.pairwise(fires)):
            raise InvalidInput("That cron expression fires more than once an hour; a digest is at most hourly.", "cron")

    # ---- arithmetic ---------------------------------------------------------------------------
    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after `after` (aware), in UTC."""
        if self.frequency == Frequency.CRON:
            return self._cron_next(after)
        day = after.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            fire = self._fire_on(day)
            if fire is not None and fire > after:
                return fire
            day += timedelta(days=1)
        raise ValueError(f"no run of {self} within {_SEARCH_DAYS} days")

    def last_run(self, at: datetime) -> datetime:
        """The latest run at or before `at` (aware), in UTC."""
        if self.frequency == Frequency.CRON:
            return self._cron_last(at)
        day = at.astimezone(self.zone).date() + timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            fire = self._fire_on(day)
            if fire is not None and fire <= at:
                return fire
            day -= timedelta(days=1)
        raise ValueError(f"no run of {self} within {_SEARCH_DAYS} days")

    def period_due(self, moment: datetime) -> Period:
        """The latest period that has ended by `moment`: the one a run at `moment` posts."""
        end = self.last_run(moment)
        return Period(self.last_run(end - timedelta(microseconds=1)), end)

    def period_so_far(self, moment: datetime) -> Period:
        """The period under way at `moment`, up to `moment` (what a preview shows)."""
        return Period(self.last_run(moment), moment)

    def previous(self, period: Period) -> Period:
        """The full period before `period`, to compare with."""
        return Period(self.last_run(period.start - timedelta(microseconds=1)), period.start)

    def _fire_on(self, day: date) -> datetime | None:
        if self.frequency == Frequency.WEEKLY and day.weekday() != self.weekday:
            return None
        if self.frequency == Frequency.MONTHLY:
            last_day = calendar.monthrange(day.year, day.month)[1]
            if day.day != min(self.day_of_month or 1, last_day):
                return None
        return _local_to_utc(datetime.combine(day, self.at), self.zone)

    # ---- cron ---------------------------------------------------------------------------------
    def _next_wall(self, wall: datetime) -> datetime | None:
        """The next local wall-clock time strictly after `wall` (naive) that the expression names."""
        fire = self._cron_trigger.get_next_fire_time(None, (wall + timedelta(microseconds=1)).replace(tzinfo=UTC))
        return None if fire is None else fire.replace(tzinfo=None)

    def _cron_next(self, after: datetime) -> datetime:
        # Wall times near a DST change map to UTC out of order: look a little around and take the earliest.
        after_wall = after.astimezone(self.zone).replace(tzinfo=None)
        wall = after_wall - _OFFSET_MARGIN
        best: datetime | None = None
        while True:
            following = self._next_wall(wall)
            if following is None:
                break
            wall = following
            fire = _local_to_utc(wall, self.zone)
            if fire > after and (best is None or fire < best):
                best = fire
            if (
                best is not None
                and wall > max(after_wall, best.astimezone(self.zone).replace(tzinfo=None)) + _OFFSET_MARGIN
            ):
                break
        if best is None:
            raise ValueError(f"the cron expression {self.cron!r} never fires again")
        return best

    def _cron_last(self, at: datetime) -> datetime:
        for span in _LOOKBACK:
            latest: datetime | None = None
            fire = self._cron_next(at - span)
            while fire <= at:
                latest = fire
                fire = self._cron_next(fire)
            if latest is not None:
                return latest
        raise ValueError(f"no run of {self} within {_SEARCH_DAYS} days")

    # ---- words --------------------------------------------------------------------------------
    def describe(self) -> str:
        at = self.at.strftime("%H:%M")
        if self.frequency == Frequency.DAILY:
            return f"daily at {at} ({self.zone_name})"
        if self.frequency == Frequency.WEEKLY:
            return f"weekly on {WEEKDAYS[self.weekday or 0]} at {at} ({self.zone_name})"
        if self.frequency == Frequency.MONTHLY:
            day = self.day_of_month or 1
            suffix = " (or the month's last day)" if day > 28 else ""
            return f"monthly on day {day}{suffix} at {at} ({self.zone_name})"
        return f"cron `{self.cron}` ({self.zone_name})"


def _local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time → UTC; fold=0 takes the first of a repeated time and moves a skipped one past the jump."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_trigger(expression: str) -> CronTrigger:
    """APScheduler 3 numbers weekdays from Monday = 0; cron from Sunday = 0 (7 too). Numbers are turned into names."""
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = ",".join(_cron_weekdays(token) for token in fields[4].split(","))
    return CronTrigger.from_crontab(" ".join(fields), timezone=UTC)


def _cron_weekdays(token: str) -> str:
    span, _, step_text = token.partition("/")
    if not (span == "*" and step_text) and not any(ch.isdigit() for ch in span):
        return token  # `*`, names and name ranges mean the same to both
    try:
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first, last = int(low), int(high) if high else (int(low) if not step_text else 6)
    except ValueError:
        raise ValueError(f"weekday {token!r} is not a number, a name or a range") from None
    if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step >= 1):
        raise ValueError(f"weekday {token!r} is out of 0–7")
    return ",".join(dict.fromkeys(_CRON_DAYS[day % 7] for day in range(first, last + 1, step)))
