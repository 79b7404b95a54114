"""Crisis alerts: a spike of complaints with one tag raises one alert; later ones update it; quiet closes it."""

from __future__ import annotations

import asyncio
import copy

from sqlalchemy import select

from bot.complaints.crisis import complaint_logged
from bot.console import demo
from bot.console.surfaces import find_element
from storage.models import CrisisAlert
from tests.conftest import Harness, MakeHarness
from tests.integration.risk_helpers import last_ephemeral
from tests.integration.routing_helpers import Clock, add_complaint, audit, posted, shown, use_clock


async def log(harness: Harness, *tags: str, network: str = "twitter", text: str = "The app is down again") -> int:
    complaint = await add_complaint(
        harness, tags=tags, network=network, text=text, url=f"https://x.com/c/status/{len(text)}"
    )
    runtime = harness.hero.runtime
    await complaint_logged(runtime, runtime.client, demo.TEAM_ID, complaint.id, list(tags))
    return complaint.id


async def alerts(harness: Harness) -> list[CrisisAlert]:
    async with harness.database.unit_of_work() as session:
        return list((await session.scalars(select(CrisisAlert).order_by(CrisisAlert.id))).all())


async def test_five_complaints_raise_one_alert_and_the_sixth_updates_it(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    for network in ("twitter", "twitter", "facebook", "instagram"):
        await log(harness, "outage", network=network)
        clock.advance(minutes=5)
    await log(harness, "billing")
    assert posted(harness, demo.CRISIS) == []

    fifth = await log(harness, "outage", "app", text="Still down, I can't pay my bills")
    [alert] = posted(harness, demo.CRISIS)
    text = shown(alert)
    assert "Crisis alert: #outage" in text and "*5 complaints* tagged `outage`" in text
    assert "*Twitter / X*\n3" in text and "*Facebook*\n1" in text and "*Instagram*\n1" in text
    assert f"*COMP-{fifth}* · Twitter / X @customer: Still down, I can't pay my bills" in text
    assert "<https://x.com/c/status/" in text
    find_element(alert.blocks, "Acknowledge")

    clock.advance(minutes=20)
    await log(harness, "outage", network="tiktok")
    assert len(posted(harness, demo.CRISIS)) == 1
    assert alert.edited and "*6 complaints*" in shown(alert) and "*TikTok*\n1" in shown(alert)
    [stored] = await alerts(harness)
    assert (stored.tag, stored.open_key, stored.count, stored.ts) == ("outage", "outage", 6, alert.ts)


async def test_acknowledge_is_recorded_once_and_shown_on_the_alert(harness: Harness) -> None:
    use_clock(harness, Clock())
    for _ in range(5):
        await log(harness, "outage")
    [alert] = posted(harness, demo.CRISIS)
    before = copy.deepcopy(alert)
    block_id, button = find_element(alert.blocks, "Acknowledge")
    await harness.slack.act(demo.LEO, button, block_id, message=alert)
    assert "Acknowledged by <@U0LEO>" in shown(alert)
    assert not any(block["type"] == "actions" for block in alert.blocks)

    await harness.slack.act(demo.MAYA, button, block_id, message=before)  # an older copy of the alert
    assert "<@U0LEO> already acknowledged the `outage` alert" in last_ephemeral(harness, demo.MAYA)
    [stored] = await alerts(harness)
    assert stored.acknowledged_by == demo.LEO
    assert [e.action for e in await audit(harness, "crisis_alert")] == ["raised", "acknowledged"]
    await log(harness, "outage")  # later complaints still update it, and keep the acknowledgement
    assert "*6 complaints*" in shown(alert) and "Acknowledged by <@U0LEO>" in shown(alert)


async def test_a_new_alert_only_after_a_quiet_window(harness: Harness) -> None:
    clock = use_clock(harness, Clock())  # threshold 5 within 60 minutes
    for _ in range(5):
        await log(harness, "outage")
    clock.advance(minutes=50)
    await log(harness, "outage")  # within the window: same alert
    clock.advance(minutes=50)
    await log(harness, "outage")  # 50 minutes after the last one: still the same alert
    assert len(posted(harness, demo.CRISIS)) == 1 and "*7 complaints*" in shown(posted(harness, demo.CRISIS)[0])

    clock.advance(minutes=61)  # a whole window without one: the alert closes, one complaint raises nothing
    await log(harness, "outage")
    [old] = posted(harness, demo.CRISIS)
    assert "Crisis alert closed: #outage" in shown(old) and "Acknowledge" not in shown(old)
    assert "*7 complaints*" in shown(old)
    closed = (await alerts(harness))[0]
    assert closed.open_key is None and closed.closed_at == clock.now

    for _ in range(4):
        clock.advance(minutes=1)
        await log(harness, "outage")
    _first, second = posted(harness, demo.CRISIS)
    assert "*5 complaints*" in shown(second) and "Crisis alert: #outage" in shown(second)
    assert [a.open_key for a in await alerts(harness)] == [None, "outage"]


async def test_a_window_that_slides_past_old_complaints_raises_nothing(harness: Harness) -> None:
    clock = use_clock(harness, Clock())
    for _ in range(8):
        await log(harness, "outage")
        clock.advance(minutes=16)  # never five within an hour
    assert posted(harness, demo.CRISIS) == [] and await alerts(harness) == []


async def test_an_alert_that_cannot_be_posted_is_raised_again_by_the_next_complaint(harness: Harness) -> None:
    use_clock(harness, Clock())
    for _ in range(4):
        await log(harness, "outage")
    harness.fake.channels[demo.CRISIS].bot_is_member = False
    await log(harness, "outage")
    assert posted(harness, demo.CRISIS) == [] and await alerts(harness) == []
    harness.fake.channels[demo.CRISIS].bot_is_member = True
    await log(harness, "outage")
    [alert] = posted(harness, demo.CRISIS)
    assert "*6 complaints*" in shown(alert)


async def test_two_instances_raise_one_alert_between_them(make_harness: MakeHarness) -> None:
    first, second = await make_harness(), await make_harness()
    clock = Clock()
    use_clock(first, clock), use_clock(second, clock)
    for _ in range(4):
        await log(first, "outage")
    one = await add_complaint(first, tags=["outage"])
    two = await add_complaint(first, tags=["outage"])
    await asyncio.gather(
        complaint_logged(first.hero.runtime, first.hero.runtime.client, demo.TEAM_ID, one.id, ["outage"]),
        complaint_logged(second.hero.runtime, second.hero.runtime.client, demo.TEAM_ID, two.id, ["outage"]),
    )
    assert len(posted(first, demo.CRISIS)) + len(posted(second, demo.CRISIS)) == 1
    [alert] = await alerts(first)
    assert alert.count == 6


async def test_without_a_crisis_channel_nothing_is_raised(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_crisis_channel=None)
    for _ in range(6):
        await log(harness, "outage")
    assert await alerts(harness) == []
