"""Notices of new complaints go through the outbox: stored with the complaint, sent once, paced per channel.

A notice written but not sent (the process stopped first) is sent by the next start; two drainers on one
database send each notice once; a burst into one channel becomes a handful of triage posts that list every
complaint, while a quiet channel hears at once; Slack refusing a post is retried, then given up on, and
never holds up other notices; the ingestion API answers before any post.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bot.complaints.outbox import Outbox
from bot.console import demo
from storage.models import Complaint, OutboxNotice, RoutingRule, utcnow
from tests.conftest import Harness, MakeHarness
from tests.integration.test_complaints_api import AUTH, TOKEN, item

HEAD = re.compile(r"(\d+) new complaints need an owner|\*COMP-\d+\* needs an owner")


def triage_posts(harness: Harness, channel: str = demo.TRIAGE) -> list[dict[str, Any]]:
    return [call for call in harness.fake.calls_to("chat.postMessage") if call.get("channel") == channel]


def complaints_in(post: dict[str, Any]) -> int:
    """How many complaints a triage post announces, as its first line says."""
    head = post["blocks"][0]["text"]["text"]
    found = HEAD.search(head)
    assert found, head
    return int(found.group(1) or 1)


def labels_in(post: dict[str, Any]) -> list[str]:
    return re.findall(r"COMP-\d+", post["text"])


async def waiting(harness: Harness) -> list[OutboxNotice]:
    async with harness.database.unit_of_work() as session:
        return list((await session.scalars(select(OutboxNotice).order_by(OutboxNotice.id))).all())


async def eventually(check: Callable[[], Any], within: float = 10.0) -> None:
    """Poll `check` (sync or async) until it holds: for what happens in the database, which wakes nothing."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.02)


async def add(harness: Harness, user: str, text: str) -> str:
    reply = await harness.slack.slash(user, "/complaint", f"add {text}")
    assert reply.status == 200 and "Logged" in reply.body, reply.body
    found = re.search(r"COMP-\d+", reply.body)
    assert found, reply.body
    return found.group(0)


def outbox_of(harness: Harness) -> Outbox:
    outbox = harness.hero.runtime.outbox
    assert isinstance(outbox, Outbox)
    return outbox


async def _waiting_count_is(harness: Harness, count: int) -> bool:
    return len(await waiting(harness)) == count


async def outbox_empty(harness: Harness) -> bool:
    return await waiting(harness) == []


def outbox_statements(harness: Harness) -> list[str]:
    """Every statement on the outbox from now on (the drainer's claims, settlements and polls)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "outbox" in statement:
            seen.append(" ".join(statement.split())[:60])

    event.listen(harness.database.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_a_notice_is_written_leased_to_the_drainer_that_sends_it(harness: Harness) -> None:
    outbox = outbox_of(harness)
    outbox.poll_seconds = 3600  # only what the command sets off, no look for forgotten rows meanwhile
    await outbox.stop(0)
    await outbox.start()
    await asyncio.sleep(0.05)  # the start's look for rows left before it
    seen = outbox_statements(harness)
    label = await add(harness, demo.MAYA, "https://x.com/jane/status/1789 my refund is three weeks late")

    assert [labels_in(post) for post in triage_posts(harness)] == [[label]]
    await eventually(lambda: outbox_empty(harness))
    # Sent and removed, never claimed: the row was written with this drainer's lease.
    assert not [statement for statement in seen if statement.startswith("UPDATE outbox")], seen
    assert [statement for statement in seen if statement.startswith("DELETE FROM outbox")], seen


async def test_a_notice_left_unsent_is_sent_once_by_the_next_start(harness: Harness) -> None:
    await outbox_of(harness).stop(0)  # the process dies between its commit and its post
    first = await add(harness, demo.MAYA, "https://x.com/jane/status/1789 my refund is three weeks late")
    assert triage_posts(harness) == []
    [notice] = await waiting(harness)
    assert (notice.kind, notice.recipient, notice.attempts, notice.claimed_until) == (
        "channel_post",
        demo.TRIAGE,
        0,
        None,
    )

    await harness.restart()
    await harness.fake.wait_for(lambda: triage_posts(harness))
    [post] = triage_posts(harness)
    assert labels_in(post) == [first]
    await eventually(lambda: outbox_empty(harness))  # the row goes once the post is recorded

    await harness.restart()  # a second start finds nothing left to send
    second = await add(harness, demo.LEO, "https://x.com/joe/status/2001 the app crashes at checkout")
    assert [labels_in(post) for post in triage_posts(harness)] == [[first], [second]]


async def test_a_notice_a_crashed_instance_held_is_sent_once_its_lease_ends(harness: Harness) -> None:
    await outbox_of(harness).stop(0)
    held = await add(harness, demo.MAYA, "https://x.com/jane/status/1789 my refund is three weeks late")
    async with harness.database.unit_of_work() as session:  # claimed by an instance that then died
        await session.execute(update(OutboxNotice).values(claimed_until=utcnow() + timedelta(minutes=10)))

    other = Outbox(harness.hero.runtime, poll_seconds=0.02, handoff=timedelta(0))
    await other.start()
    try:
        free = await add(harness, demo.LEO, "https://x.com/joe/status/2001 the app crashes at checkout")
        await harness.fake.wait_for(lambda: triage_posts(harness))
        assert [labels_in(post) for post in triage_posts(harness)] == [[free]]  # not the one still leased
        # The free one's row goes once its post is recorded; only then does the dead instance's lease end
        # (ending every lease while the other's post was in flight would free that row for a second post).
        await eventually(lambda: _waiting_count_is(harness, 1))
        [survivor] = await waiting(harness)
        assert f"COMP-{survivor.complaint_id}" == held

        async with harness.database.unit_of_work() as session:
            await session.execute(update(OutboxNotice).values(claimed_until=utcnow() - timedelta(seconds=1)))
        await harness.fake.wait_for(lambda: len(triage_posts(harness)) == 2)
        await eventually(lambda: outbox_empty(harness))
    finally:
        await other.stop(1)
    assert [labels_in(post) for post in triage_posts(harness)] == [[free], [held]]


async def test_two_drainers_on_one_database_send_each_notice_once(make_harness: MakeHarness) -> None:
    first = await make_harness()
    second = await make_harness(replica_of=first)
    for instance in (first, second):
        await outbox_of(instance).stop(0)  # their own drainers aside: eager ones race instead
    racing = [
        Outbox(instance.hero.runtime, poll_seconds=0.02, handoff=timedelta(0)) for instance in (first, second, second)
    ]
    await asyncio.gather(*(outbox.start() for outbox in racing))
    try:
        labels = [
            await add((first, second)[n % 2], demo.MAYA, f"https://x.com/c{n}/status/{n + 1} refund {n} is late")
            for n in range(9)
        ]
        await eventually(lambda: sum(complaints_in(post) for post in triage_posts(first)) >= len(labels))
        await eventually(lambda: outbox_empty(first))
    finally:
        await asyncio.gather(*(outbox.stop(1) for outbox in racing))
    sent = [label for post in triage_posts(first) for label in labels_in(post)]
    assert sorted(sent) == sorted(labels)  # every one, none twice
    assert sum(complaints_in(post) for post in triage_posts(first)) == len(labels)


def timing_posts(harness: Harness) -> list[tuple[float, str]]:
    """From now on, when each chat.postMessage reached the fake Slack, and to which channel."""
    posted: list[tuple[float, str]] = []
    record = harness.fake._api_chat_postMessage

    def timed(params: dict[str, Any]) -> dict[str, Any]:
        posted.append((time.monotonic(), params["channel"]))
        return record(params)

    harness.fake._api_chat_postMessage = timed  # type: ignore[method-assign]
    return posted


async def test_a_burst_into_one_channel_makes_a_handful_of_posts_listing_every_complaint(harness: Harness) -> None:
    burst = 40
    posted = timing_posts(harness)

    async def arriving(n: int) -> str:
        await asyncio.sleep(n * 0.04)  # forty over a second and a half, as a stream of reports comes in
        return await add(harness, demo.MAYA, f"https://x.com/c{n}/status/{n + 1} parcel {n} is lost")

    labels = await asyncio.gather(*(arriving(n) for n in range(burst)))
    posts = triage_posts(harness)
    # Each command answered once its notice was out: every complaint is in a post by now.
    assert sum(complaints_in(post) for post in posts) == burst
    assert 1 <= len(posts) < burst / 4
    listed = [label for post in posts for label in labels_in(post)]
    assert len(listed) == len(set(listed)) and set(listed) <= set(labels)
    # Slack takes about one message per second per channel: the posts keep that pace.
    times = [at for at, channel in posted if channel == demo.TRIAGE]
    assert all(later - earlier >= 0.9 for earlier, later in itertools.pairwise(times)), times
    assert await waiting(harness) == []


async def test_a_complaint_in_a_quiet_channel_is_posted_at_once_and_the_next_waits_its_turn(harness: Harness) -> None:
    outbox = outbox_of(harness)
    outbox.spacing_seconds = 600  # a first post that waited for its turn would never come in this test
    first = await asyncio.wait_for(add(harness, demo.MAYA, "https://x.com/jane/status/1789 refund is late"), 10)
    assert [labels_in(post) for post in triage_posts(harness)] == [[first]]

    outbox.spacing_seconds = 0.5
    a_little_after_the_first_post = time.monotonic()
    posted = timing_posts(harness)
    second = await add(harness, demo.LEO, "https://x.com/joe/status/2001 the app crashes at checkout")
    [(at, _)] = posted
    assert at - a_little_after_the_first_post >= 0.45  # its turn came half a second after the first post
    assert [labels_in(post) for post in triage_posts(harness)] == [[first], [second]]


async def route_refunds_to_leo(harness: Harness) -> None:
    async with harness.database.unit_of_work() as session:
        session.add(
            RoutingRule(
                team_id=demo.TEAM_ID,
                position=1,
                name="refunds to Leo",
                pattern="refund",
                target_kind="user",
                target_id=demo.LEO,
                created_by=demo.SAM,
            )
        )


async def test_a_refused_notice_is_retried_then_dropped_without_holding_up_others(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    # The triage channel is one the bot was never invited to: every post there is refused.
    harness = await make_harness(hero_complaints_channel=demo.CX_COUNCIL)
    outbox = outbox_of(harness)
    outbox.backoff_seconds = (1.0, 0.2, 0.2)
    await route_refunds_to_leo(harness)
    leo = harness.fake.dm_channel(demo.LEO)

    refused = await add(harness, demo.MAYA, "https://x.com/jane/status/1789 the app is down again")
    assert len(triage_posts(harness, demo.CX_COUNCIL)) == 1  # tried at once, refused: back in the outbox
    [notice] = await waiting(harness)
    assert notice.attempts == 1 and notice.claimed_until is None

    owned = await add(harness, demo.MAYA, "https://x.com/joe/status/2001 my refund never came")
    # Leo's card went out at once, while the refused notice still waits for its next attempt.
    assert [f"*{owned}* is yours" in m.blocks[0]["text"]["text"] for m in harness.fake.messages[leo]] == [True]
    assert len(triage_posts(harness, demo.CX_COUNCIL)) < 4

    await eventually(lambda: outbox_empty(harness))
    assert len(triage_posts(harness, demo.CX_COUNCIL)) == 4  # the first attempt and three more, then dropped
    assert any(f"gave up telling {demo.CX_COUNCIL} about {refused}" in r.getMessage() for r in caplog.records)

    again = await add(harness, demo.LEO, "https://x.com/amy/status/3003 the app logs me out")
    assert labels_in(triage_posts(harness, demo.CX_COUNCIL)[-1]) == [again]  # the channel is not stuck


async def test_a_post_that_fails_once_is_sent_on_its_retry(harness: Harness) -> None:
    outbox_of(harness).backoff_seconds = (0.1, 0.1, 0.1)
    harness.fake.fail("chat.postMessage", 500, times=3)  # the first attempt, with the client's two retries
    label = await add(harness, demo.MAYA, "https://x.com/jane/status/1789 my refund is three weeks late")
    assert harness.fake.messages.get(demo.TRIAGE) is None
    await harness.fake.wait_for(lambda: harness.fake.messages.get(demo.TRIAGE))
    [post] = harness.fake.messages[demo.TRIAGE]
    assert label in post.text
    await eventually(lambda: outbox_empty(harness))
    assert len(harness.fake.messages[demo.TRIAGE]) == 1


async def test_an_ingested_batch_is_answered_before_any_post(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_ingest_token=TOKEN)
    slack_is_slow = harness.fake.hold("chat.postMessage")
    response = await harness.post("/api/complaints", json=[item(n) for n in range(1, 8)], headers=AUTH)
    assert response.status == 201
    assert (await response.json())["ids"] == [f"COMP-{n}" for n in range(1, 8)]
    assert harness.fake.messages.get(demo.TRIAGE) is None  # answered; the post is still on its way
    slack_is_slow.set()
    await harness.fake.wait_for(lambda: harness.fake.messages.get(demo.TRIAGE))
    [post] = harness.fake.messages[demo.TRIAGE]
    assert "7 new complaints need an owner" in post.blocks[0]["text"]["text"]
    await eventually(lambda: outbox_empty(harness))


async def test_an_owner_given_many_at_once_gets_one_message_and_a_few_get_their_cards(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(hero_ingest_token=TOKEN)
    await route_refunds_to_leo(harness)
    leo = harness.fake.dm_channel(demo.LEO)
    refunds = [item(n, text=f"Refund {n} never came") for n in range(1, 8)]
    response = await harness.post("/api/complaints", json=refunds, headers=AUTH)
    assert response.status == 201
    await harness.fake.wait_for(lambda: harness.fake.messages.get(leo))
    [digest] = harness.fake.messages[leo]
    assert "7 new complaints were routed to you" in digest.text

    response = await harness.post("/api/complaints", json=[item(n, text=f"Refund {n}?") for n in (8, 9)], headers=AUTH)
    assert response.status == 201
    await harness.fake.wait_for(lambda: len(harness.fake.messages[leo]) == 3)
    cards = harness.fake.messages[leo][1:]
    assert [
        "*COMP-8* is yours" in cards[0].blocks[0]["text"]["text"],
        "*COMP-9* is yours" in cards[1].blocks[0]["text"]["text"],
    ] == [True, True]
    await eventually(lambda: outbox_empty(harness))
    async with harness.database.unit_of_work() as session:  # each card is kept, so later changes update it
        kept = (await session.execute(select(Complaint.id, Complaint.owner_dm_ts).where(Complaint.id >= 8))).all()
    assert sorted(kept) == sorted((n, card.ts) for n, card in zip((8, 9), cards, strict=True))
