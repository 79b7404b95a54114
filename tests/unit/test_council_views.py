"""The council surfaces within Slack's limits, whatever the names and figures; the modal read back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.console.emulator import state_values
from bot.councils.cadence import Period
from bot.councils.digest import (
    ChartData,
    ComplaintFigures,
    Digest,
    Figure,
    PendingReview,
    ProjectFigures,
    ProjectLine,
    RiskFigures,
    chart_days,
)
from bot.councils.digest_views import digest_message, trend
from bot.councils.service import CouncilDraft
from bot.councils.views import council_detail, council_list, council_modal, draft_from_state
from storage.models import Council, CouncilRun
from tests.blockkit import check_message, check_view

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)


def council(index: int = 1, name: str = "CX council") -> Council:
    return Council(
        id=index,
        team_id="T1",
        name=name,
        name_key=name.lower(),
        channel_id="C1",
        frequency="cron",
        cron="0 9 * * 1-5",
        at_time="09:00",
        timezone="Europe/Berlin",
        sections="projects,complaints,risk",
        skip_quiet=False,
        paused=index % 2 == 0,
        created_by="U1",
    )


def big_digest() -> Digest:
    figure = Figure(12345, 678)
    return Digest(
        council_id=1,
        council_name="N" * 80,
        zone_name="Europe/Berlin",
        period=Period(NOW - timedelta(days=7), NOW),
        previous=Period(NOW - timedelta(days=14), NOW - timedelta(days=7)),
        projects=ProjectFigures(figure, figure, figure, [ProjectLine(i, "T" * 150, "active") for i in range(10)], 400),
        complaints=ComplaintFigures(
            figure,
            figure,
            figure,
            Figure(5400, None),
            Figure(0.5, 0.75),
            figure,
            [("t" * 64, 9)] * 5,
            [("twitter", 3)] * 5,
            ["x" * 64] * 5,
        ),
        risk=RiskFigures(
            figure,
            figure,
            figure,
            {"approved": 3, "rejected": 1},
            [PendingReview(i, i, timedelta(days=i)) for i in range(5)],
        ),
        chart=ChartData([date(2025, 6, 9)], {"new": [1]}),
    )


def test_the_digest_fits_slack_and_says_how_figures_moved() -> None:
    payload = digest_message(big_digest())
    check_message(payload)
    check_message(digest_message(big_digest(), preview=True))
    assert trend(Figure(3, 5)) == "3  ▼ 2" and trend(Figure(3, 3)) == "3  =" and trend(Figure(None, 3)) == "—"


def test_the_modal_fits_and_reads_back_what_was_chosen() -> None:
    draft = CouncilDraft(
        name="CX",
        channel_id="C1",
        frequency="monthly",
        day_of_month=31,
        at="07:45",
        zone="Asia/Tokyo",
        sections=["complaints"],
        skip_quiet=True,
    )
    view = council_modal(draft, council_id=3, channel_id="C9")
    check_view(view)
    assert draft_from_state(state_values(view, {})) == draft


def test_lists_and_history_fit_with_many_councils_and_runs() -> None:
    many = [council(i, f"Council {i} " + "x" * 60) for i in range(50)]
    check_message(council_list(many, NOW, is_admin=True))
    runs = [
        CouncilRun(period_end=NOW - timedelta(days=i), status=s, late=True, attempts=2, reason="r" * 2000)
        for i, s in enumerate(["posted", "failed", "skipped", "running"] * 3)
    ]
    check_message(council_detail(council(), runs, NOW))


def test_the_chart_covers_at_least_a_week_of_local_days() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    day = Period(datetime(2025, 3, 30, 7, tzinfo=UTC), datetime(2025, 3, 31, 7, tzinfo=UTC))
    days, bounds = chart_days(day, zone)
    assert days[0] == date(2025, 3, 25) and days[-1] == date(2025, 3, 31) and len(bounds) == 8
    assert bounds[-1] == day.end and bounds[-2] == datetime(2025, 3, 30, 22, tzinfo=UTC)  # midnight, summer time
