"""Complaint field helpers: URL digests, tags, handles, due times, list filters, snoozes, ingestion items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.complaints.capture import draft_from_command, draft_from_message
from bot.complaints.fields import due_at, handle_in, normalise_tags, normalise_url, url_key, urls_in
from bot.complaints.ingest import parse_items
from bot.complaints.lifecycle import snooze_until
from bot.complaints.queries import parse_filter

NOW = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "one, other",
    [
        ("https://x.com/jane/status/1", "http://www.twitter.com/jane/status/1/?s=20&t=abc#reply"),
        ("https://mobile.twitter.com/jane/status/1", "https://twitter.com/jane/status/1"),
        ("https://example.com/a?b=2&a=1&utm_source=x", "https://EXAMPLE.com/a?a=1&b=2"),
        ("https://youtu.be/watch?v=Ab", "https://www.youtube.com/watch?v=Ab&feature=share"),
    ],
)
def test_links_to_the_same_post_share_a_key(one: str, other: str) -> None:
    assert url_key(one) == url_key(other)
    assert len(url_key(one) or "") == 64


@pytest.mark.parametrize(
    "one, other",
    [
        ("https://youtube.com/watch?v=Ab", "https://youtube.com/watch?v=ab"),  # IDs are case-sensitive
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://twitter.com/jane/status/1", "https://twitter.com/jane/status/2"),
    ],
)
def test_different_posts_keep_different_keys(one: str, other: str) -> None:
    assert url_key(one) != url_key(other)


def test_normalised_form() -> None:
    assert normalise_url("HTTP://WWW.Example.com:443//a//b/?utm_medium=x#top") == "https://example.com/a/b"


def test_tags_are_lower_case_unique_and_trimmed() -> None:
    assert normalise_tags("Refunds, #late delivery; refunds,, ") == ["refunds", "late-delivery"]
    assert normalise_tags(["A" * 80]) == ["a" * 64]
    assert normalise_tags(None) == []


def test_handles_come_from_the_post_link_or_the_text() -> None:
    assert handle_in("whatever", "https://twitter.com/jane_doe/status/9") == "@jane_doe"
    assert handle_in("whatever", "https://www.tiktok.com/@dancer.x/video/1") == "@dancer.x"
    assert handle_in("see https://instagram.com/p/abc by @real_name", "https://instagram.com/p/abc") == "@real_name"
    assert handle_in("<@U123> says hi to @bob_q.") == "@bob_q"
    assert handle_in("mail me at a@b.com") == ""


def test_links_in_slack_text() -> None:
    text = "look <https://x.com/a/status/1?a=1&amp;b=2|x.com/a> and https://example.com/page."
    assert urls_in(text) == ["https://x.com/a/status/1?a=1&b=2", "https://example.com/page"]


def test_a_message_prefers_the_social_link_and_falls_back_to_its_permalink() -> None:
    draft = draft_from_message(
        "via https://blog.example.com/x: <https://facebook.com/acme/posts/4|post>",
        channel="C1",
        ts="1.2",
        permalink="https://slack/p1",
        source="reaction",
    )
    assert (draft.url, draft.network) == ("https://facebook.com/acme/posts/4", "facebook")
    bare = draft_from_message("", channel="C1", ts="1.2", permalink="https://slack/p1", source="reaction")
    assert (bare.url, bare.network, bare.validated().text) == ("https://slack/p1", "other", "")
    nothing = draft_from_message("", channel="C1", ts="1.2", permalink=None, source="reaction")
    assert nothing.validated().text.startswith("(a message without text")


def test_a_command_splits_link_and_text() -> None:
    draft = draft_from_command("<https://x.com/jo/status/5> refund late")
    assert (draft.url, draft.text, draft.network, draft.author) == (
        "https://x.com/jo/status/5",
        "refund late",
        "twitter",
        "@jo",
    )
    text_only = draft_from_command("The app crashes at checkout")
    assert (text_only.url, text_only.network) == (None, "other")


@pytest.mark.parametrize("severity, minutes", [("critical", 60), ("high", 240), ("medium", 1440), ("low", 4320)])
def test_due_time_follows_the_sla(severity: str, minutes: int) -> None:
    sla = {"critical": 60.0, "high": 240.0, "medium": 1440.0, "low": 4320.0}
    assert due_at(NOW, severity, sla) - NOW == timedelta(minutes=minutes)
    assert due_at(NOW, severity, {**sla, severity: 0.5}) - NOW == timedelta(seconds=30)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ("open", 1)),
        ("mine", ("mine", 1)),
        ("overdue page 3", ("overdue", 3)),
        ("all 2", ("all", 2)),
        ("tag:Refunds", ("tag:refunds", 1)),
        ("#refunds page 2", ("tag:refunds", 2)),
        ("sideways", None),
        ("open page 0", None),
        ("open mine", None),
        ("tag:", None),
    ],
)
def test_list_filters(text: str, expected: tuple[str, int] | None) -> None:
    assert parse_filter(text) == expected


def test_snooze_choices() -> None:
    assert snooze_until("1h", NOW, "UTC") == NOW + timedelta(hours=1)
    assert snooze_until("4h", NOW, "UTC") == NOW + timedelta(hours=4)
    # 22:30 UTC is 07:30 next day in Tokyo: "tomorrow 9:00" there is the day after.
    assert snooze_until("tomorrow", NOW, "Asia/Tokyo") == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert snooze_until("tomorrow", NOW, "Not/AZone") == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_ingestion_items_report_every_problem_by_index_and_field() -> None:
    good = {"source": "X", "url": "https://x.com/a/status/1", "text": "t", "author": "@a", "tags": ["Refunds"]}
    drafts, problems = parse_items([good, {**good, "severity": "HIGH"}])
    assert not problems and [d.network for d in drafts] == ["twitter", "twitter"]
    assert drafts[0].tags == ["refunds"] and drafts[1].severity == "high"
    _, problems = parse_items([good, {**good, "url": 5, "tags": "refunds"}, {"text": "x"}])
    fields = {(p["index"], p["field"]) for p in problems}
    assert {(1, "url"), (1, "tags"), (2, "source"), (2, "url"), (2, "author")} <= fields
    assert all(p["index"] != 0 for p in problems)
