"""Slack's Web API failing under the bot: rate limits (429 with Retry-After), server errors (500) and calls that
hang. Posts are retried and arrive exactly once; a person's action never waits for, or fails with, a
notification; a hang never holds up the answer Slack is waiting for (the ack)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.console import demo
from bot.console.surfaces import texts
from storage.models import Project
from tests.conftest import Harness, MakeHarness
from tests.integration.risk_helpers import press, review_card
from tests.reliability.helpers import sqlite_database, submitted_review

# What is tested here is the Slack client and the order of work, not the database: SQLite only.
database = pytest.fixture(sqlite_database)

ANNOUNCED = "New HERO project HERO-1: Refund tweets"


def announcements(harness: Harness) -> list[str]:
    return [m.text for m in harness.fake.messages.get(demo.PROJECTS, [])]


def attempts_to_announce(harness: Harness) -> int:
    return sum(1 for call in harness.fake.calls_to("chat.postMessage") if call.get("channel") == demo.PROJECTS)


async def stored_titles(harness: Harness) -> list[str]:
    async with harness.database.unit_of_work() as session:
        return list((await session.scalars(select(Project.title))).all())


@pytest.mark.parametrize(
    ("status", "times"),
    [(429, 1), (500, 1), (503, 1)],
    ids=["rate-limited", "server-error", "unavailable"],
)
async def test_a_failed_post_is_retried_and_arrives_once(harness: Harness, status: int, times: int) -> None:
    harness.fake.fail("chat.postMessage", status, times=times, retry_after=0)
    reply = await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert "Logged HERO-1" in reply.body
    assert announcements(harness) == [ANNOUNCED]
    assert attempts_to_announce(harness) == times + 1
    if status == 429:
        assert harness.fake.calls[-1].method == "chat.postMessage"  # retried after Retry-After, nothing else


async def test_a_post_that_keeps_failing_never_fails_the_persons_action(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fake.fail("chat.postMessage", 500, times=10)
    reply = await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert reply.status == 200 and "Logged HERO-1" in reply.body
    assert await stored_titles(harness) == ["Refund tweets"]
    assert announcements(harness) == []
    assert attempts_to_announce(harness) == 3  # the first try and the client's two retries
    assert any("could not post to C0PROJECTS" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def test_rate_limited_lookups_still_decide_permissions_on_the_server(harness: Harness) -> None:
    await submitted_review(harness)
    harness.hero.runtime.directory.forget()  # the next click looks the reviewer up again…
    harness.fake.fail("usergroups.list", 429, retry_after=0)  # …while Slack rate-limits
    harness.fake.fail("users.info", 500)
    await press(harness, demo.INGRID, review_card(harness, demo.IT_REVIEW), "Approve")
    assert "*Approved* by <@U0INGRID>" in texts(review_card(harness, demo.IT_REVIEW).blocks)


async def test_a_hanging_post_does_not_hold_up_the_ack(make_harness: MakeHarness) -> None:
    harness = await make_harness(process_before_response=False)  # production: ack first, work after
    harness.fake.fail("chat.postMessage", 500, hang_seconds=0.5)
    reply = await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert reply.status == 200 and "Logged HERO-1" in reply.body  # answered in the ack…
    assert announcements(harness) == []  # …while the announcement still hangs
    await harness.fake.wait_for(lambda: announcements(harness))
    assert announcements(harness) == [ANNOUNCED]


async def test_a_hanging_lookup_gets_an_empty_ack_and_the_answer_follows(make_harness: MakeHarness) -> None:
    """The command's work waits on Slack past the ack's budget: Slack gets its ack in time, and the
    answer comes through the response_url once the retried lookup succeeds."""
    harness = await make_harness(process_before_response=False)
    harness.fake.fail("users.info", 500, hang_seconds=1.2)
    reply = await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert reply.status == 200 and reply.body == ""
    assert harness.fake.ephemerals == []
    await harness.fake.wait_for(lambda: harness.fake.ephemerals)
    [answer] = harness.fake.ephemerals
    assert answer.source == "response_url" and "Logged HERO-1" in answer.text
    await harness.fake.wait_for(lambda: announcements(harness))
    assert announcements(harness) == [ANNOUNCED]


async def test_a_hanging_card_update_does_not_hold_up_the_click(harness: Harness) -> None:
    await submitted_review(harness)
    harness.process_before_response = False
    await harness.restart()  # the same bot in production mode: ack first, work after
    card = review_card(harness, demo.IT_REVIEW)
    harness.fake.fail("chat.update", 500, hang_seconds=0.5)
    reply = await press(harness, demo.INGRID, card, "Approve")
    assert reply.status == 200 and not card.edited

    def told_maya() -> list[str]:
        return [m.text for m in harness.fake.messages[harness.fake.dm_channel(demo.MAYA)] if "IT approved" in m.text]

    await harness.fake.wait_for(lambda: card.edited and told_maya())
    assert "*Approved* by <@U0INGRID>" in texts(card.blocks)
    assert len(told_maya()) == 1
