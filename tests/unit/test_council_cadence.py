"""When digests are due: daily, weekly, monthly and cron cadences at local times, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.councils.cadence import Cadence, Frequency, Period, parse_local_time, zone_named
from bot.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def runs(cadence: Cadence, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for _ in range(count):
        after = cadence.next_run(after)
        found.append(after)
    return found


def walls(moments: list[datetime], zone: ZoneInfo) -> list[str]:
    return [m.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for m in moments]


def test_daily_runs_at_local_time_across_spring_forward() -> None:
    cadence = Cadence(Frequency.DAILY, time(9, 0), "Europe/Berlin")
    found = runs(cadence, utc(2025, 3, 28, 12), 4)
    assert walls(found, BERLIN) == [
        "Sat 2025-03-29 09:00 CET",
        "Sun 2025-03-30 09:00 CEST",
        "Mon 2025-03-31 09:00 CEST",
        "Tue 2025-04-01 09:00 CEST",
    ]
    assert found[1] - found[0] == timedelta(hours=23)


def test_daily_runs_at_local_time_across_fall_back() -> None:
    cadence = Cadence(Frequency.DAILY, time(9, 0), "America/New_York")
    found = runs(cadence, utc(2025, 11, 1, 0), 3)
    assert walls(found, NEW_YORK) == [
        "Sat 2025-11-01 09:00 EDT",
        "Sun 2025-11-02 09:00 EST",
        "Mon 2025-11-03 09:00 EST",
    ]
    assert found[1] - found[0] == timedelta(hours=25)


def test_a_time_skipped_by_the_spring_jump_runs_once_just_after_it() -> None:
    cadence = Cadence(Frequency.DAILY, time(2, 30), "Europe/Berlin")
    found = runs(cadence, utc(2025, 3, 29, 12), 2)
    assert walls(found, BERLIN) == ["Sun 2025-03-30 03:30 CEST", "Mon 2025-03-31 02:30 CEST"]


def test_a_time_repeated_by_the_fall_back_runs_once_at_its_first_occurrence() -> None:
    cadence = Cadence(Frequency.DAILY, time(2, 30), "Europe/Berlin")
    found = runs(cadence, utc(2025, 10, 25, 12), 2)
    assert walls(found, BERLIN) == ["Sun 2025-10-26 02:30 CEST", "Mon 2025-10-27 02:30 CET"]
    # asking again from inside the repeated hour does not give the second 02:30
    assert cadence.next_run(found[0] + timedelta(minutes=30)) == found[1]


def test_weekly_on_a_weekday() -> None:
    cadence = Cadence(Frequency.WEEKLY, time(8, 15), "Europe/Berlin", weekday=0)
    found = runs(cadence, utc(2025, 3, 20), 3)
    assert walls(found, BERLIN) == [
        "Mon 2025-03-24 08:15 CET",
        "Mon 2025-03-31 08:15 CEST",
        "Mon 2025-04-07 08:15 CEST",
    ]
    assert found[1] - found[0] == timedelta(days=7, hours=-1)


def test_monthly_on_day_31_falls_on_the_last_day_of_short_months() -> None:
    cadence = Cadence(Frequency.MONTHLY, time(17, 0), "America/New_York", day_of_month=31)
    found = runs(cadence, utc(2025, 1, 1), 4)
    assert walls(found, NEW_YORK) == [
        "Fri 2025-01-31 17:00 EST",
        "Fri 2025-02-28 17:00 EST",
        "Mon 2025-03-31 17:00 EDT",
        "Wed 2025-04-30 17:00 EDT",
    ]


def test_monthly_in_a_leap_year() -> None:
    cadence = Cadence(Frequency.MONTHLY, time(9, 0), "UTC", day_of_month=30)
    assert cadence.next_run(utc(2024, 2, 1)) == utc(2024, 2, 29, 9)


def test_cron_on_weekdays_in_local_time() -> None:
    cadence = Cadence(Frequency.CRON, time(0, 0), "Europe/Berlin", cron="0 9 * * 1-5")
    found = runs(cadence, utc(2025, 3, 28, 12), 3)
    assert walls(found, BERLIN) == [
        "Mon 2025-03-31 09:00 CEST",
        "Tue 2025-04-01 09:00 CEST",
        "Wed 2025-04-02 09:00 CEST",
    ]


def test_hourly_cron_over_spring_forward_neither_skips_nor_doubles() -> None:
    cadence = Cadence(Frequency.CRON, time(0, 0), "Europe/Berlin", cron="30 * * * *")
    found = runs(cadence, local(BERLIN, 2025, 3, 30, 0, 45), 3)
    assert walls(found, BERLIN) == [
        "Sun 2025-03-30 01:30 CET",
        "Sun 2025-03-30 03:30 CEST",
        "Sun 2025-03-30 04:30 CEST",
    ]
    assert len(set(found)) == 3 and found == sorted(found)


def test_hourly_cron_over_fall_back_runs_the_repeated_wall_time_once() -> None:
    cadence = Cadence(Frequency.CRON, time(0, 0), "Europe/Berlin", cron="30 * * * *")
    found = runs(cadence, local(BERLIN, 2025, 10, 26, 1, 45), 3)
    assert walls(found, BERLIN) == [
        "Sun 2025-10-26 02:30 CEST",
        "Sun 2025-10-26 03:30 CET",
        "Sun 2025-10-26 04:30 CET",
    ]


def test_next_run_is_strictly_after_and_last_run_is_at_or_before() -> None:
    cadence = Cadence(Frequency.DAILY, time(9, 0), "UTC")
    nine = utc(2025, 6, 2, 9)
    assert cadence.next_run(nine) == utc(2025, 6, 3, 9)
    assert cadence.last_run(nine) == nine
    assert cadence.last_run(nine - timedelta(microseconds=1)) == utc(2025, 6, 1, 9)


def test_the_period_due_is_the_one_that_ended_last() -> None:
    cadence = Cadence(Frequency.WEEKLY, time(9, 0), "Europe/Berlin", weekday=0)
    period = cadence.period_due(local(BERLIN, 2025, 3, 31, 9, 0))
    assert period == Period(local(BERLIN, 2025, 3, 24, 9), local(BERLIN, 2025, 3, 31, 9))
    assert period.length == timedelta(days=7, hours=-1)  # a week with the spring jump in it
    assert cadence.period_due(local(BERLIN, 2025, 4, 2, 12)) == period
    assert cadence.previous(period) == Period(local(BERLIN, 2025, 3, 17, 9), local(BERLIN, 2025, 3, 24, 9))


def test_the_period_so_far_runs_from_the_last_run_to_now() -> None:
    cadence = Cadence(Frequency.DAILY, time(9, 0), "UTC")
    now = utc(2025, 6, 2, 15, 30)
    assert cadence.period_so_far(now) == Period(utc(2025, 6, 2, 9), now)


def test_cron_periods() -> None:
    cadence = Cadence(Frequency.CRON, time(0, 0), "America/New_York", cron="0 8 1 * *")
    period = cadence.period_due(utc(2025, 11, 20))
    assert walls([period.start, period.end], NEW_YORK) == ["Wed 2025-10-01 08:00 EDT", "Sat 2025-11-01 08:00 EDT"]


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("", "Write the cron expression"),
        ("every day", "not a valid cron expression"),
        ("61 9 * * *", "not a valid cron expression"),
        ("0 9 * * * *", "not a valid cron expression"),
        ("*/5 * * * *", "more than once an hour"),
        ("0 0 30 2 *", "less than once a year"),
    ],
)
def test_bad_cron_expressions_are_refused_on_their_field(cron: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        Cadence(Frequency.CRON, time(9, 0), "UTC", cron=cron).validated()
    assert refused.value.field == "cron"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Europe/"])
def test_unknown_time_zones_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="time zone") as refused:
        zone_named(name)
    assert refused.value.field == "zone"


def test_weekly_and_monthly_need_their_day() -> None:
    with pytest.raises(InvalidInput) as refused:
        Cadence(Frequency.WEEKLY, time(9, 0), "UTC").validated()
    assert refused.value.field == "weekday"
    with pytest.raises(InvalidInput) as refused:
        Cadence(Frequency.MONTHLY, time(9, 0), "UTC", day_of_month=32).validated()
    assert refused.value.field == "day"


@pytest.mark.parametrize("text", ["25:00", "9am", "", "09:00:30"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_local_time(text)
    assert refused.value.field == "time"


def test_descriptions() -> None:
    assert Cadence(Frequency.WEEKLY, time(9, 0), "UTC", weekday=4).describe() == "weekly on Friday at 09:00 (UTC)"
    assert "last day" in Cadence(Frequency.MONTHLY, time(9, 0), "UTC", day_of_month=31).describe()


CADENCES = st.one_of(
    st.builds(
        Cadence,
        st.just(Frequency.DAILY),
        st.times().map(lambda t: t.replace(second=0, microsecond=0)),
        st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    ),
    st.builds(
        Cadence,
        st.just(Frequency.MONTHLY),
        st.times().map(lambda t: t.replace(second=0, microsecond=0)),
        st.sampled_from(["Europe/London", "America/Santiago"]),
        day_of_month=st.integers(1, 31),
    ),
    st.builds(
        Cadence,
        st.just(Frequency.CRON),
        st.just(time(0, 0)),
        st.sampled_from(["Europe/Berlin", "America/New_York"]),
        cron=st.sampled_from(["15 * * * *", "0 */3 * * *", "30 2 * * 0", "0 9 * * 1-5"]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(cadence=CADENCES, moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1)))
def test_runs_are_consistent_wherever_you_start(cadence: Cadence, moment: datetime) -> None:
    moment = moment.replace(tzinfo=UTC)
    following = cadence.next_run(moment)
    assert following > moment
    assert cadence.last_run(following) == following
    assert cadence.last_run(following - timedelta(microseconds=1)) <= moment
    period = cadence.period_due(following)
    assert period.end == following and period.start < period.end
    assert cadence.next_run(period.start) == period.end


@pytest.mark.parametrize(
    ("cron", "weekdays"),
    [
        ("0 9 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 9 * * 0", {"Sun"}),
        ("0 9 * * 7", {"Sun"}),
        ("0 9 * * */2", {"Sun", "Tue", "Thu", "Sat"}),
        ("0 9 * * 1,3", {"Mon", "Wed"}),
        ("0 9 * * sat,sun", {"Sat", "Sun"}),
    ],
)
def test_cron_weekdays_count_from_sunday_as_in_cron(cron: str, weekdays: set[str]) -> None:
    cadence = Cadence(Frequency.CRON, time(0, 0), "UTC", cron=cron).validated()
    found = runs(cadence, utc(2025, 6, 1), 14)
    assert {m.strftime("%a") for m in found} == weekdays
