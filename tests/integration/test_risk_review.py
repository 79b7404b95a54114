"""IT's side: the review card, who may decide, what a decision changes, revisions, races, the launch gate."""

from __future__ import annotations

import asyncio
import copy

from sqlalchemy import select

from bot.console import demo
from bot.console.fake_slack import User
from bot.console.surfaces import find_element, texts
from storage.models import AuditEvent, Project, RiskAssessment
from tests.conftest import Harness
from tests.integration.risk_helpers import (
    LOW_RISK,
    assessment,
    dm,
    last_ephemeral,
    live_prompt,
    press,
    review_card,
    shown,
    submitted,
)


async def decisions(harness: Harness) -> list[AuditEvent]:
    async with harness.database.unit_of_work() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == "decided"))
        return list(rows.all())


async def test_submit_posts_the_review_card_and_locks_the_summary(harness: Harness) -> None:
    await submitted(harness)
    summary = next(m for m in dm(harness, demo.MAYA) if m.text.startswith("Summary of RISK-1"))
    assert "Submitted for IT review" in shown(summary) and "posted in <#C0ITREVIEW>" in shown(summary)
    assert not any(b["type"] == "actions" for b in summary.blocks) and not any(
        b.get("accessory") for b in summary.blocks
    )
    card = review_card(harness, demo.IT_REVIEW)
    text = shown(card)
    assert "IT risk review: RISK-1" in text and "*HERO-1: Refund tweets*" in text and "<@U0MAYA>" in text
    assert ":red_circle: High" in text and "Turn on 2FA before launch" in text
    for label in ("Approve", "Request changes…", "Reject…"):
        find_element(card.blocks, label)
    stored = await assessment(harness)
    assert (stored.status, stored.level, stored.score) == ("pending", "high", 17.0)
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")
    assert "waiting for IT review" in last_ephemeral(harness, demo.MAYA)


async def test_a_non_reviewer_cannot_decide_whatever_the_payload_says(harness: Harness) -> None:
    await submitted(harness)
    card = review_card(harness, demo.IT_REVIEW)
    await press(harness, demo.LEO, card, "Approve")  # Leo is not in @it-reviewers
    assert "Only members of @it-reviewers can decide" in last_ephemeral(harness, demo.LEO)
    await press(harness, demo.LEO, card, "Reject…")
    assert harness.fake.top_modal(demo.LEO) is None
    # a forged submission of the comment modal is refused on the server too
    await press(harness, demo.INGRID, card, "Reject…")
    modal = harness.fake.top_modal(demo.INGRID)
    assert modal is not None
    harness.fake.modals[demo.LEO] = [modal]
    reply = await harness.slack.submit(demo.LEO, {"comment": "no"})
    assert "Only members of @it-reviewers" in reply.json["errors"]["comment"]
    stored = await assessment(harness)
    assert stored.status == "pending" and stored.decided_by is None
    assert await decisions(harness) == []
    assert "Approve" in shown(card) and not card.edited


async def test_a_hero_cannot_approve_their_own_assessment(harness: Harness) -> None:
    harness.fake.usergroups[demo.IT_REVIEWERS_GROUP].users.append(demo.MAYA)  # Maya reviews for IT as well
    await submitted(harness)
    card = review_card(harness, demo.IT_REVIEW)
    await press(harness, demo.MAYA, card, "Approve")
    assert "can't decide the risk check of your own project" in last_ephemeral(harness, demo.MAYA)
    assert (await assessment(harness)).status == "pending"


async def test_approval_updates_the_card_tells_the_hero_and_opens_the_launch_gate(harness: Harness) -> None:
    await submitted(harness, LOW_RISK)
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 active")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 launched")
    assert "must be approved first" in last_ephemeral(harness, demo.MAYA)

    card = review_card(harness, demo.IT_REVIEW)
    as_posted = copy.deepcopy(card)
    await press(harness, demo.INGRID, card, "Approve")
    assert card.edited and not any(b["type"] == "actions" for b in card.blocks)
    assert ":white_check_mark: *Approved* by <@U0INGRID>" in shown(card)
    told = dm(harness, demo.MAYA)[-1]
    assert "IT approved RISK-1" in shown(told) and "/hero stage HERO-1 launched" in shown(told)

    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 launched")
    assert "moved from *active* to *launched*" in last_ephemeral(harness, demo.MAYA)
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project))).one().stage == "launched"
    [decided] = await decisions(harness)
    assert (decided.actor_id, decided.before, decided.after) == (
        demo.INGRID,
        {"status": "pending"},
        {"status": "approved", "comment": None},
    )
    await press(harness, demo.INGRID, as_posted, "Reject…")  # the card as it looked before the decision
    assert "<@U0INGRID> already decided RISK-1: *approved*" in last_ephemeral(harness, demo.INGRID)
    assert harness.fake.top_modal(demo.INGRID) is None


async def test_changes_requested_reach_the_hero_who_revises_and_resubmits(harness: Harness) -> None:
    await submitted(harness)
    card = review_card(harness, demo.IT_REVIEW)
    await press(harness, demo.INGRID, card, "Request changes…")
    modal = harness.fake.top_modal(demo.INGRID)
    assert modal is not None and modal.view["title"]["text"] == "Request changes"
    reply = await harness.slack.submit(demo.INGRID, {"comment": "  "})
    assert "Please tell the HERO what to change" in reply.json["errors"]["comment"]
    await harness.slack.submit(demo.INGRID, {"comment": "Turn on 2FA and keep personal data in the CRM."})
    assert ":memo: *Changes requested* by <@U0INGRID>" in shown(card)
    assert "Turn on 2FA and keep personal data in the CRM." in shown(card)

    told = dm(harness, demo.MAYA)[-1]
    assert "IT asked for changes to RISK-1" in shown(told)
    assert "Turn on 2FA and keep personal data in the CRM." in shown(told)
    await press(harness, demo.MAYA, told, "Revise answers")
    intro, summary = dm(harness, demo.MAYA)[-2:]
    assert "RISK-2 revises RISK-1" in shown(intro) and "Turn on 2FA and keep" in shown(intro)
    assert "Summary of RISK-2" in shown(summary)  # the earlier answers are filled in

    # change two answers from the summary, then resubmit
    await press(harness, demo.MAYA, summary, "Change")  # the first risky answer: two_factor
    await press(harness, demo.MAYA, live_prompt(harness, demo.MAYA), "Yes")
    summary = live_prompt(harness, demo.MAYA)
    block_id, select = find_element(summary.blocks, "Change one answer…")
    kept = next(o["value"] for o in select["options"] if o["text"]["text"].startswith("Where will that"))
    await harness.slack.act(demo.MAYA, select, block_id, message=summary, selected=kept)
    await press(harness, demo.MAYA, live_prompt(harness, demo.MAYA), "In our CRM or ticketing system")
    await press(harness, demo.MAYA, live_prompt(harness, demo.MAYA), "Submit for IT review")

    second = review_card(harness, demo.IT_REVIEW)
    assert second.ts != card.ts
    text = shown(second)
    assert "IT risk review: RISK-2" in text and "Revision of <https://" in text and "|RISK-1>" in text
    assert "Turn on 2FA and keep personal data in the CRM." in text
    assert "~No~ → *Yes*" in text and "→ *In our CRM or ticketing system*" in text
    revised = await assessment(harness, 2)
    assert (revised.previous_id, revised.status, revised.score) == (1, "pending", 10.0)


async def test_rejection_needs_a_comment_and_the_hero_can_start_again(harness: Harness) -> None:
    await submitted(harness)
    card = review_card(harness, demo.IT_REVIEW)
    await press(harness, demo.INGRID, card, "Reject…")
    await harness.slack.submit(demo.INGRID, {"comment": "Card payments can't go through social media."})
    assert ":no_entry: *Rejected*" in shown(card)
    told = dm(harness, demo.MAYA)[-1]
    assert "IT rejected RISK-1" in shown(told) and "Card payments" in shown(told)
    find_element(told.blocks, "Revise answers")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 active")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 launched")
    assert "must be approved first" in last_ephemeral(harness, demo.MAYA)


async def test_two_reviewers_pressing_at_once_one_decision_wins(harness: Harness) -> None:
    ola = "U0OLA"
    harness.fake.users[ola] = User(ola, "ola", "Ola Nordmann", title="IT security")
    harness.fake.usergroups[demo.IT_REVIEWERS_GROUP].users.append(ola)
    await submitted(harness)
    card = review_card(harness, demo.IT_REVIEW)
    await asyncio.gather(
        press(harness, demo.INGRID, card, "Approve"),
        press(harness, ola, card, "Approve"),
    )
    [decided] = await decisions(harness)
    loser = ola if decided.actor_id == demo.INGRID else demo.INGRID
    assert f"<@{decided.actor_id}> already decided RISK-1: *approved*" in last_ephemeral(harness, loser)
    stored = await assessment(harness)
    assert (stored.status, stored.decided_by) == ("approved", decided.actor_id)
    assert f"*Approved* by <@{decided.actor_id}>" in shown(card)


async def test_without_a_review_channel_each_reviewer_gets_the_card_by_dm(make_harness: object) -> None:
    harness: Harness = await make_harness(hero_it_review_channel=None)  # type: ignore[operator]
    await submitted(harness, LOW_RISK)
    card = dm(harness, demo.INGRID)[-1]
    assert "IT risk review: RISK-1" in shown(card)
    assert "sent to 1 IT reviewer by direct message" in shown(dm(harness, demo.MAYA)[-1])
    await press(harness, demo.INGRID, card, "Approve")
    assert "*Approved* by <@U0INGRID>" in shown(card)


async def test_lists_show_and_the_reviewers_home_queue(harness: Harness) -> None:
    await submitted(harness, LOW_RISK)
    await harness.slack.slash(demo.MAYA, "/risk", "list")
    assert "*RISK-1* HERO-1: Refund tweets — waiting for IT review" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.INGRID, "/risk", "list pending")
    assert "Waiting for IT review* (1)" in last_ephemeral(harness, demo.INGRID)
    await harness.slack.slash(demo.SAM, "/risk", "show RISK-1")  # an admin may look
    assert "All answers" in last_ephemeral(harness, demo.SAM)

    await harness.slack.open_home(demo.INGRID)
    home = harness.fake.homes[demo.INGRID]
    assert "IT review queue (1)" in texts(home.view["blocks"])
    block_id, element = find_element(home.view["blocks"], "Review")
    await harness.slack.act(demo.INGRID, element, block_id, view=home)
    review = harness.fake.top_modal(demo.INGRID)
    assert review is not None and "All answers" in texts(review.view["blocks"])
    block_id, element = find_element(review.view["blocks"], "Request changes…")
    await harness.slack.act(demo.INGRID, element, block_id, view=review)
    await harness.slack.submit(demo.INGRID, {"comment": "State your hours in the bio, please."})
    assert "*Changes requested* by <@U0INGRID>" in texts(harness.fake.top_modal(demo.INGRID).view["blocks"])
    assert "*Changes requested*" in shown(review_card(harness, demo.IT_REVIEW))
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(RiskAssessment))).one().status == "changes_requested"

    await harness.slack.open_home(demo.MAYA)
    maya_home = texts(harness.fake.homes[demo.MAYA].view["blocks"])
    assert "RISK-1 changes requested" in maya_home
    find_element(harness.fake.homes[demo.MAYA].view["blocks"], "Revise answers")


async def test_a_new_check_after_approval_is_confirmed_first_and_closes_the_gate_until_approved(
    harness: Harness,
) -> None:
    await submitted(harness, LOW_RISK)
    await press(harness, demo.INGRID, review_card(harness, demo.IT_REVIEW), "Approve")
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")
    asked = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    assert "RISK-1, is approved. Start a new one only if the project has changed" in shown_ephemeral(asked)
    async with harness.database.unit_of_work() as session:
        assert len((await session.scalars(select(RiskAssessment))).all()) == 1  # nothing started yet
    block_id, element = find_element(asked.blocks, "Start a new check")
    await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, element, block_id)
    assert "I've started *RISK-2*" in last_ephemeral(harness, demo.MAYA)
    revision = await assessment(harness, 2)
    assert (revision.previous_id, revision.cursor, revision.answers["two_factor"]) == (1, None, "yes")
    assert "can launch only once IT approves it" in shown(dm(harness, demo.MAYA)[-2])
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 active")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 launched")
    assert "must be approved first" in last_ephemeral(harness, demo.MAYA)


def shown_ephemeral(ephemeral: object) -> str:
    return getattr(ephemeral, "text", "") + "\n" + texts(getattr(ephemeral, "blocks", []))
