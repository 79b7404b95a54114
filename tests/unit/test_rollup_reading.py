"""Reading the rollups: which parts of a period come from them, response-time buckets, the median."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from storage.models.rollups import RESPONSE_TIERS, bucket_span, response_bucket
from storage.repositories.rollups import DAY, HOUR, median_of, split_at

MINUTE = 60_000


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_a_period_on_the_hour_is_all_whole_hours() -> None:
    split = split_at([at(2, 9), at(2, 17)])
    assert split.whole == {HOUR: [(at(2, 9), at(2, 17))]}
    assert split.rest == []


def test_the_minutes_around_the_whole_hours_are_the_rest() -> None:
    split = split_at([at(2, 9, 20), at(2, 17, 45)])
    assert split.whole[HOUR] == [(at(2, 10), at(2, 17))]
    assert split.rest == [(at(2, 9, 20), at(2, 10)), (at(2, 17), at(2, 17, 45))]


def test_a_period_inside_one_hour_is_all_rest() -> None:
    split = split_at([at(2, 9, 5), at(2, 9, 50)])
    assert split.whole[HOUR] == []
    assert split.rest == [(at(2, 9, 5), at(2, 9, 50))]


def test_an_empty_period_has_nothing() -> None:
    split = split_at([at(2, 9, 5), at(2, 9, 5)])
    assert split.whole[HOUR] == [] and split.rest == []


def test_days_first_then_hours_then_the_rest() -> None:
    split = split_at([at(2, 21, 30), at(5, 3, 10)], grains=(HOUR, DAY))
    assert split.whole[DAY] == [(at(3, 0), at(5, 0))]
    assert split.whole[HOUR] == [(at(2, 22), at(3, 0)), (at(5, 0), at(5, 3))]
    assert split.rest == [(at(2, 21, 30), at(2, 22)), (at(5, 3), at(5, 3, 10))]


def test_local_days_in_india_cut_an_hour_at_each_bound() -> None:
    """Days in Asia/Kolkata begin at 18:30 UTC: the hour 18:00–19:00 straddles each bound and is read raw."""
    zone = ZoneInfo("Asia/Kolkata")
    bounds = [datetime(2026, 3, day, tzinfo=zone) for day in (3, 4, 5)]
    split = split_at(bounds)
    assert split.whole[HOUR] == [(at(2, 19), at(3, 18)), (at(3, 19), at(4, 18))]
    assert split.rest == [(at(2, 18, 30), at(2, 19)), (at(3, 18), at(3, 19)), (at(4, 18), at(4, 18, 30))]


def test_whole_hours_never_hold_a_bound() -> None:
    zone = ZoneInfo("Asia/Kathmandu")  # +5:45
    bounds = [datetime(2026, 3, 1, tzinfo=zone) + timedelta(days=d) for d in range(8)]
    split = split_at(bounds, grains=(HOUR, DAY))
    for ranges in split.whole.values():
        for low, high in ranges:
            assert not any(low < bound < high for bound in bounds)
    pieces = sorted([*split.rest, *split.whole[HOUR], *split.whole[DAY]])
    assert pieces[0][0] == bounds[0] and pieces[-1][1] == bounds[-1]
    assert all(a[1] == b[0] for a, b in pairwise(pieces))  # no gap, no overlap


@pytest.mark.parametrize(
    ("milliseconds", "bucket"),
    [
        (-5, -1),
        (0, 0),
        (59_999, 0),
        (60_000, 1),
        (2 * 3600_000 - 1, 119),
        (2 * 3600_000, 120),
        (2 * 3600_000 + 6 * MINUTE, 121),
        (2 * 86400_000 - 1, 579),
        (2 * 86400_000, 580),
        (2 * 86400_000 + 8_640_000, 581),
    ],
)
def test_buckets_are_as_fine_as_the_digest_shows_the_time(milliseconds: int, bucket: int) -> None:
    assert response_bucket(milliseconds) == bucket
    if bucket >= 0:
        low, high = bucket_span(bucket) or (0, 0)
        assert low <= milliseconds < high


def test_the_tiers_follow_on_from_each_other() -> None:
    for (begins, width, first), (next_begins, _, next_first) in pairwise(RESPONSE_TIERS):
        assert first + (next_begins - begins) // width == next_first
    assert bucket_span(-1) is None


def test_the_median_is_the_mean_of_the_bucket_holding_the_middle_rank() -> None:
    # 10, 10, 10, 11.5, 12.5, 180, 180 minutes: the middle one, 11.5 minutes, is alone in its bucket.
    histogram = [(3, 3 * 600_000), (1, 690_000), (1, 750_000), (2, 2 * 10_800_000)]
    assert median_of(histogram) == 690


def test_an_even_count_averages_the_two_middle_buckets() -> None:
    assert median_of([(2, 2 * 600_000), (2, 2 * 720_000)]) == 660


def test_a_bucket_of_several_times_gives_their_mean() -> None:
    assert median_of([(3, 60_000 + 70_000 + 110_000)]) == 80


def test_buckets_counted_down_to_zero_are_skipped() -> None:
    assert median_of([(0, 3), (1, 1000), (0, 0)]) == 1
    assert median_of([(0, 0)]) is None
    assert median_of([]) is None
