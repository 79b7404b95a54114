"""Every role-gated action, pressed or submitted by someone the role does not cover — with a payload built
by hand, as a forger would (buttons they never saw, modals they never opened): refused, told, nothing
changed in the database, nothing changed in Slack."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Reply
from bot.console.fake_slack import Message
from bot.console.surfaces import find_element
from bot.ids import ProjectAction
from bot.risk.ids import AnswerModalMeta, DecisionModalMeta, Ref, RiskAction
from storage.models import Project
from tests.conftest import Harness
from tests.integration.risk_helpers import (
    LOW_RISK,
    dm,
    live_prompt,
    question_of,
    review_card,
    run_checklist,
)
from tests.reliability.helpers import Attempt, assert_refused, forged_modal, submitted_review

# Who may do what on main: the owner and team members (and admins) change a project; only its HERO
# answers and submits a risk check; only members of @it-reviewers decide a review (admins neither).
OUTSIDER = demo.LEO  # not on HERO-1's team, not a reviewer, not an admin


async def refused(harness: Harness, name: str, attempt: Attempt, user: str = OUTSIDER) -> str:
    return await assert_refused(harness, name, attempt, user)


def hand_over(harness: Harness, owner: str, user: str) -> None:
    """The modal `owner` has open, submitted by `user` instead (its private_metadata and all)."""
    opened = harness.fake.top_modal(owner)
    assert opened is not None
    harness.fake.modals[user] = [opened]


async def on_ephemeral(harness: Harness, user: str, blocks: list[dict[str, Any]], label: str, **kw: Any) -> Reply:
    block_id, element = find_element(blocks, label)
    return await harness.slack.act_on_ephemeral(user, demo.GENERAL, element, block_id, **kw)


async def on_message(harness: Harness, user: str, message: Message, label: str, **kw: Any) -> Reply:
    block_id, element = find_element(message.blocks, label)
    return await harness.slack.act(user, element, block_id, message=message, **kw)


async def test_project_changes_by_someone_off_the_team_are_refused(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/hero", "show HERO-1")
    card = harness.fake.ephemerals[-1].blocks  # Maya's project card, with her buttons

    shown = await refused(
        harness, "move stage", lambda: on_ephemeral(harness, OUTSIDER, card, "Move to…", selected="1:active")
    )
    assert "Only the owner <@U0MAYA>, the team members or an admin can change HERO-1" in shown
    await refused(harness, "add note button", lambda: on_ephemeral(harness, OUTSIDER, card, "Add note"))
    await refused(harness, "edit details button", lambda: on_ephemeral(harness, OUTSIDER, card, "Edit details"))

    await on_ephemeral(harness, demo.MAYA, card, "Add note")  # Maya opens the note modal…
    hand_over(harness, demo.MAYA, OUTSIDER)  # …and a forger submits it as Leo
    await refused(harness, "note modal", lambda: harness.slack.submit(OUTSIDER, {"note": "taken over"}))
    harness.fake.modals.clear()
    await on_ephemeral(harness, demo.MAYA, card, "Edit details")
    hand_over(harness, demo.MAYA, OUTSIDER)
    shown = await refused(
        harness, "details modal", lambda: harness.slack.submit(OUTSIDER, {"title": "Hijacked", "members": [OUTSIDER]})
    )
    assert "can change HERO-1" in shown

    for callback_id, block in ((ProjectAction.NOTE_MODAL, "note"), (ProjectAction.DETAILS_MODAL, "title")):
        forged_modal(harness, OUTSIDER, callback_id, '{"project_id": 1}', block)
        await refused(
            harness, f"forged {callback_id}", lambda block=block: harness.slack.submit(OUTSIDER, {block: "Hijacked"})
        )

    # An admin may change any project: the same click by Sam goes through.
    await on_ephemeral(harness, demo.SAM, card, "Move to…", selected="1:active")
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project.stage))).one() == "active"


async def test_only_the_hero_answers_pauses_and_submits_their_risk_check(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")
    prompt = live_prompt(harness, demo.MAYA)
    question = question_of(prompt)
    assert question is not None

    await refused(harness, "answer button", lambda: on_message(harness, OUTSIDER, prompt, LOW_RISK[question]))
    await refused(harness, "pause", lambda: on_message(harness, OUTSIDER, prompt, "Pause"))
    for action_id in (RiskAction.RESUME, RiskAction.REVISE, RiskAction.SUBMIT, RiskAction.CHANGE_ALL):
        element = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "x"}}
        element["value"] = Ref(a=1, s=0).encode()
        await refused(
            harness,
            f"forged {action_id}",
            lambda element=element: harness.slack.act(OUTSIDER, element, "forged", message=prompt),
        )
    meta = AnswerModalMeta(a=1, s=0, q=question).model_dump_json()
    forged_modal(harness, OUTSIDER, RiskAction.ANSWER_MODAL, meta, "answer")
    await refused(harness, "forged answer modal", lambda: harness.slack.submit(OUTSIDER, {"answer": "yes"}))
    await refused(harness, "/risk resume", lambda: harness.slack.slash(OUTSIDER, "/risk", "resume RISK-1"))
    await refused(harness, "/risk show", lambda: harness.slack.slash(OUTSIDER, "/risk", "show RISK-1"))

    await run_checklist(harness, demo.MAYA, LOW_RISK)
    summary = live_prompt(harness, demo.MAYA)
    await refused(harness, "submit", lambda: on_message(harness, OUTSIDER, summary, "Submit for IT review"))


async def test_only_it_reviewers_decide_whatever_the_payload_says(harness: Harness) -> None:
    await submitted_review(harness)
    card = review_card(harness, demo.IT_REVIEW)
    for user in (OUTSIDER, demo.SAM, demo.MAYA):  # a teammate, an admin, the HERO herself
        shown = await refused(
            harness, f"approve by {user}", lambda user=user: on_message(harness, user, card, "Approve"), user
        )
        assert "Only members of @it-reviewers can decide" in shown
        for label in ("Request changes…", "Reject…"):
            await refused(
                harness,
                f"{label} by {user}",
                lambda label=label, user=user: on_message(harness, user, card, label),
                user,
            )
        for decision in ("approved", "rejected", "changes_requested"):
            meta = DecisionModalMeta(a=1, decision=decision).model_dump_json()
            forged_modal(harness, user, RiskAction.DECISION_MODAL, meta, "comment")
            shown = await refused(
                harness,
                f"forged {decision} by {user}",
                lambda user=user: harness.slack.submit(user, {"comment": "forged"}),
                user,
            )
            assert "Only members of @it-reviewers" in shown
    # A reviewer's modal, handed to someone else, is refused on submission too.
    await on_message(harness, demo.INGRID, card, "Reject…")
    hand_over(harness, demo.INGRID, OUTSIDER)
    await refused(harness, "reviewer's modal", lambda: harness.slack.submit(OUTSIDER, {"comment": "no"}))


async def test_after_changes_are_requested_only_the_hero_revises(harness: Harness) -> None:
    await submitted_review(harness)
    await on_message(harness, demo.INGRID, review_card(harness, demo.IT_REVIEW), "Request changes…")
    await harness.slack.submit(demo.INGRID, {"comment": "Turn on 2FA."})
    told_maya = dm(harness, demo.MAYA)[-1]
    await refused(harness, "revise", lambda: on_message(harness, OUTSIDER, told_maya, "Revise answers"))
    await refused(harness, "/risk start", lambda: harness.slack.slash(OUTSIDER, "/risk", "start HERO-1"))
