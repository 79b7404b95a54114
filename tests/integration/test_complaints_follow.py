"""Following a complaint up: the status machine, who may act, the owner's card, lists, the Home tab, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.complaints import metrics as complaint_metrics
from bot.complaints import routing
from bot.complaints.ids import ComplaintAction
from bot.console import demo
from bot.console.surfaces import find_element, texts
from storage.models import AuditEvent, Complaint, ComplaintNote
from tests.blockkit import check_message, check_view
from tests.conftest import Harness
from tests.integration.test_metrics import scrape


def shown_to(harness: Harness, user: str) -> str:
    shown = [e for e in harness.fake.ephemerals if e.user == user][-1]
    check_message({"text": shown.text, "blocks": shown.blocks})
    return shown.text + "\n" + texts(shown.blocks)


async def stored(harness: Harness, complaint_id: int = 1) -> Complaint:
    async with harness.database.unit_of_work() as session:
        found = await session.get(Complaint, complaint_id)
    assert found is not None
    return found


@pytest.fixture
def route_to_maya(monkeypatch: pytest.MonkeyPatch) -> None:
    """A routing rule that gives every complaint to Maya (the rules themselves are tested with routing)."""

    def to_maya(connection: Any, rules: Any, triage: Any, complaint: Complaint, tags: Sequence[str]) -> Any:
        return routing.Route(owner_id=demo.MAYA, channel=None, rule_id=None, rule_name="care")

    monkeypatch.setattr(routing, "route", to_maya)


async def test_status_machine_and_its_refusals(harness: Harness) -> None:
    await harness.slack.slash(demo.LEO, "/complaint", "add https://x.com/a/status/1 slow refund")
    await harness.slack.slash(demo.LEO, "/complaint", "respond COMP-1 answered")
    assert "no owner yet: take it first" in shown_to(harness, demo.LEO)
    await harness.slack.slash(demo.LEO, "/complaint", "resolve COMP-1 done")
    assert "respond to the customer first" in shown_to(harness, demo.LEO)
    await harness.slack.slash(demo.LEO, "/complaint", "assign COMP-1 <@U0MAYA|maya>")
    assert "now belongs to <@U0MAYA>" in shown_to(harness, demo.LEO)
    # Maya got her card by DM.
    card = harness.fake.messages[harness.fake.dm_channel(demo.MAYA)][-1]
    check_message({"text": card.text, "blocks": card.blocks})
    find_element(card.blocks, "Mark responded")
    harness.hero.runtime.now = lambda: _later(harness, 30)
    await harness.slack.slash(demo.MAYA, "/complaint", "respond COMP-1 apologised and refunded")
    await harness.slack.slash(demo.MAYA, "/complaint", "respond COMP-1 followed up")
    complaint = await stored(harness)
    assert complaint.status == "responded" and complaint.first_response_at is not None
    first = complaint.first_response_at
    await harness.slack.slash(demo.MAYA, "/complaint", "resolve COMP-1 customer thanked us")
    await harness.slack.slash(demo.MAYA, "/complaint", "dismiss COMP-1 spam")
    assert "already *resolved*" in shown_to(harness, demo.MAYA)
    complaint = await stored(harness)
    assert (complaint.status, complaint.first_response_at) == ("resolved", first)
    assert complaint.closed_at is not None
    async with harness.database.unit_of_work() as session:
        actions = (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        notes = (await session.scalars(select(ComplaintNote.kind).order_by(ComplaintNote.id))).all()
    assert list(actions) == ["created", "assigned", "responded", "responded", "resolved"]
    assert list(notes) == ["assigned", "response", "response", "resolved"]
    # The card followed every change.
    card = harness.fake.find_message(card.channel, card.ts)
    assert card is not None and "resolved" in texts(card.blocks)
    await harness.slack.slash(demo.MAYA, "/complaint", "show COMP-1")
    detail = shown_to(harness, demo.MAYA)
    assert "Audit trail" in detail and "resolved it" in detail and "customer thanked us" in detail


def _later(harness: Harness, minutes: int) -> Any:
    from storage.models import utcnow

    return utcnow() + timedelta(minutes=minutes)


async def test_only_the_owner_or_an_admin_may_act_on_an_owned_complaint(harness: Harness, route_to_maya: None) -> None:
    await harness.slack.slash(demo.LEO, "/complaint", "add https://x.com/a/status/2 rude agent")
    assert (await stored(harness)).owner_id == demo.MAYA
    card = harness.fake.messages[harness.fake.dm_channel(demo.MAYA)][-1]
    # Leo replays Maya's card buttons: refused, nothing changes.
    block_id, button = find_element(card.blocks, "Mark responded")
    await harness.slack.act(demo.LEO, button, block_id, message=card)
    assert "Only the owner <@U0MAYA> or an admin" in shown_to(harness, demo.LEO)
    block_id, picker = find_element(card.blocks, ComplaintAction.REASSIGN)
    await harness.slack.act(demo.LEO, picker, block_id, message=card, selected=demo.LEO)
    await harness.slack.slash(demo.LEO, "/complaint", "dismiss COMP-1 not ours")
    assert "Only the owner" in shown_to(harness, demo.LEO)
    complaint = await stored(harness)
    assert (complaint.status, complaint.owner_id) == ("assigned", demo.MAYA)
    # Maya marks it responded from her card; the card updates in place and now offers Resolve.
    await harness.slack.act(demo.MAYA, button, block_id, message=card)
    card = harness.fake.find_message(card.channel, card.ts)
    assert card is not None and (await stored(harness)).status == "responded"
    find_element(card.blocks, "Resolve")
    # Sam (an admin) reassigns it to Leo: Maya's card says so, Leo gets his own.
    block_id, picker = find_element(card.blocks, ComplaintAction.REASSIGN)
    await harness.slack.act(demo.SAM, picker, block_id, message=card, selected=demo.LEO)
    assert "now belongs to <@U0LEO>" in texts(harness.fake.find_message(card.channel, card.ts).blocks)
    leo_card = harness.fake.messages[harness.fake.dm_channel(demo.LEO)][-1]
    find_element(leo_card.blocks, "Resolve")
    # Snooze from Leo's card.
    block_id, snooze = find_element(leo_card.blocks, ComplaintAction.SNOOZE)
    await harness.slack.act(demo.LEO, snooze, block_id, message=leo_card, selected="1:4h")
    complaint = await stored(harness)
    assert complaint.owner_id == demo.LEO and complaint.snoozed_until is not None
    assert timedelta(hours=3, minutes=59) < complaint.snoozed_until - complaint.updated_at <= timedelta(hours=4)
    assert "Snoozed until" in texts(harness.fake.find_message(leo_card.channel, leo_card.ts).blocks)


async def test_take_it_from_the_triage_post(harness: Harness) -> None:
    await harness.slack.slash(demo.SAM, "/complaint", "add the app crashes when I pay @bob_q")
    post = harness.fake.messages[demo.TRIAGE][-1]
    block_id, take = find_element(post.blocks, "Take it")
    await harness.slack.act(demo.LEO, take, block_id, message=post)
    complaint = await stored(harness)
    assert (complaint.owner_id, complaint.status, complaint.author) == (demo.LEO, "assigned", "@bob_q")
    post = harness.fake.find_message(post.channel, post.ts)
    assert post is not None and "taken by <@U0LEO>" in texts(post.blocks)
    # Maya pressing the same (stale) button is told who has it.
    await harness.slack.act(demo.MAYA, take, block_id, message=post)
    assert "already taken by <@U0LEO>" in shown_to(harness, demo.MAYA)
    assert (await stored(harness)).owner_id == demo.LEO


async def test_lists_filter_and_page_newest_first(harness: Harness) -> None:
    for n in range(1, 13):
        await harness.slack.slash(demo.MAYA, "/complaint", f"add https://facebook.com/p/{n} complaint {n}")
    await harness.slack.slash(demo.MAYA, "/complaint", "assign COMP-3 @U0LEO")
    await harness.slack.slash(demo.LEO, "/complaint", "list")
    first = shown_to(harness, demo.LEO)
    assert "Open complaints* (12) — page 1 of 2" in first
    assert first.index("COMP-12") < first.index("COMP-11") and "COMP-2*" not in first
    assert "<!date^" in first
    shown = [e for e in harness.fake.ephemerals if e.user == demo.LEO][-1]
    block_id, next_button = find_element(shown.blocks, "Next")
    await harness.slack.act_on_ephemeral(demo.LEO, demo.GENERAL, next_button, block_id)
    second = shown_to(harness, demo.LEO)
    assert "page 2 of 2" in second and "COMP-1*" in second and "COMP-12" not in second
    await harness.slack.slash(demo.LEO, "/complaint", "list open page 2")
    assert "page 2 of 2" in shown_to(harness, demo.LEO)
    await harness.slack.slash(demo.LEO, "/complaint", "list mine")
    mine = shown_to(harness, demo.LEO)
    assert "COMP-3" in mine and "(1)" in mine
    await harness.slack.slash(demo.LEO, "/complaint", "list overdue")
    assert "Nothing is overdue" in shown_to(harness, demo.LEO)
    harness.hero.runtime.now = lambda: _later(harness, 25 * 60)
    await harness.slack.slash(demo.LEO, "/complaint", "list overdue")
    assert "Overdue complaints* (12)" in shown_to(harness, demo.LEO)
    await harness.slack.slash(demo.LEO, "/complaint", "list tag:refunds")
    assert "None with that tag" in shown_to(harness, demo.LEO)
    await harness.slack.slash(demo.LEO, "/complaint", "list sideways")
    assert "`sideways` is not a list I know" in shown_to(harness, demo.LEO)
    complaint_metrics.register_metrics(harness.hero.runtime)
    samples = await scrape(harness)
    assert samples[("herobot_complaints", (("status", "new"),))] == 11
    assert samples[("herobot_complaints", (("status", "assigned"),))] == 1
    assert samples[("herobot_complaints_overdue", ())] == 12


async def test_the_home_tab_lists_my_complaints_with_buttons(harness: Harness, route_to_maya: None) -> None:
    await harness.slack.open_home(demo.MAYA)
    assert "No complaints are waiting for you" in texts(harness.fake.homes[demo.MAYA].view["blocks"])
    await harness.slack.slash(demo.LEO, "/complaint", "add https://instagram.com/p/abc broken zip")
    await harness.slack.open_home(demo.MAYA)
    home = harness.fake.homes[demo.MAYA]
    check_view(home.view)
    assert "COMP-1" in texts(home.view["blocks"])
    block_id, button = find_element(home.view["blocks"], "Mark responded")
    await harness.slack.act(demo.MAYA, button, block_id, view=home)
    assert (await stored(harness)).status == "responded"
    home = harness.fake.homes[demo.MAYA]
    find_element(home.view["blocks"], "Resolve")
    block_id, view_button = find_element(home.view["blocks"], "View")
    await harness.slack.act(demo.MAYA, view_button, block_id, view=home)
    card = harness.fake.top_modal(demo.MAYA)
    assert card is not None and "COMP-1" in card.view["title"]["text"]
    check_view(card.view)


async def test_link_to_a_hero_project(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/complaint", "add https://x.com/a/status/5 refund")
    await harness.slack.slash(demo.MAYA, "/complaint", "link COMP-1 HERO-9")
    assert "no project HERO-9" in shown_to(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/complaint", "link COMP-1 HERO-1")
    assert "linked to HERO-1" in shown_to(harness, demo.MAYA)
    assert (await stored(harness)).project_id == 1
