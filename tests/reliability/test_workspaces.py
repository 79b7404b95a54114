"""One workspace's people never read or change another's records, whatever IDs they type or forge.

The bot is installed in two workspaces (OAuth). In workspace B, the same kinds of people as in A — an
admin, an IT reviewer, a HERO — name A's project and risk check in commands, press copies of A's
buttons and submit modals carrying A's IDs: each is answered as if the record did not exist, nothing of
A's shows, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from bot.console import demo
from bot.console.emulator import Emulator, Reply
from bot.console.fake_slack import Message
from bot.console.surfaces import find_element, texts
from bot.ids import ProjectAction
from bot.risk.ids import AnswerModalMeta, DecisionModalMeta, Ref, RiskAction
from tests.conftest import Harness, MakeHarness
from tests.integration.risk_helpers import review_card
from tests.integration.test_oauth import OAUTH, OTHER_TEAM, install, workspace
from tests.reliability.helpers import assert_refused, forged_modal, snapshot, submitted_review

SECRET_TITLE = "Refund tweets"  # workspace A's project: must never show in B


def button(action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "x"}, "value": value}


async def press_copy(other: Emulator, user: str, message: Message, label: str, **kw: Any) -> Reply:
    block_id, element = find_element(message.blocks, label)
    return await other.act(user, element, block_id, message=message, **kw)


async def two_workspaces(make_harness: MakeHarness) -> tuple[Harness, Emulator]:
    harness = await make_harness(**OAUTH)
    await install(harness, demo.TEAM_ID, demo.SAM)
    await install(harness, OTHER_TEAM, demo.SAM)
    await submitted_review(harness)  # in A: HERO-1 and RISK-1, waiting for IT
    return harness, workspace(harness, OTHER_TEAM)


async def refused_as_unknown(harness: Harness, name: str, attempt: Any, user: str) -> None:
    shown = await assert_refused(harness, name, attempt, user)
    assert SECRET_TITLE not in shown, f"{name}: workspace A's project was shown in B"
    assert "There is no" in shown or "no project" in shown.lower(), f"{name}: {shown[:200]}"


async def test_commands_naming_another_workspaces_records_find_nothing(make_harness: MakeHarness) -> None:
    harness, other = await two_workspaces(make_harness)
    for user, text in [
        (demo.SAM, "/hero show HERO-1"),
        (demo.SAM, "/hero update HERO-1 taking this over"),
        (demo.SAM, "/hero stage HERO-1 retired"),
        (demo.MAYA, "/hero stage 1 active"),
        (demo.INGRID, "/risk show RISK-1"),
        (demo.MAYA, "/risk start HERO-1"),
        (demo.MAYA, "/risk resume RISK-1"),
    ]:
        command, rest = text.split(" ", 1)
        await refused_as_unknown(
            harness, text, lambda user=user, command=command, rest=rest: other.slash(user, command, rest), user
        )
    for user, command, rest in [(demo.SAM, "/hero", "list all"), (demo.INGRID, "/risk", "list pending")]:
        before = await snapshot(harness.database)
        await other.slash(user, command, rest)
        shown = harness.fake.ephemerals[-1]
        assert SECRET_TITLE not in shown.text + texts(shown.blocks) and "RISK-1" not in texts(shown.blocks)
        assert await snapshot(harness.database) == before
    await other.open_home(demo.MAYA)  # the same person ID in B: none of her A work shows
    assert SECRET_TITLE not in texts(harness.fake.homes[demo.MAYA].view["blocks"])


async def test_buttons_and_modals_carrying_another_workspaces_ids_change_nothing(make_harness: MakeHarness) -> None:
    harness, other = await two_workspaces(make_harness)
    card = review_card(harness, demo.IT_REVIEW)  # A's card, copied by a forger in B
    await refused_as_unknown(harness, "approve", lambda: press_copy(other, demo.INGRID, card, "Approve"), demo.INGRID)
    await refused_as_unknown(harness, "reject", lambda: press_copy(other, demo.INGRID, card, "Reject…"), demo.INGRID)
    await refused_as_unknown(
        harness,
        "view review",
        lambda: other.act(demo.INGRID, button(RiskAction.VIEW, Ref(a=1).encode()), "b", message=card),
        demo.INGRID,
    )
    for action_id, value in [
        (ProjectAction.VIEW, "1"),
        (ProjectAction.ADD_NOTE, "1"),
        (ProjectAction.ADD_DETAILS, "1"),
        (RiskAction.START, "1"),
        (RiskAction.RESUME, Ref(a=1).encode()),
        (RiskAction.REVISE, Ref(a=1).encode()),
        (RiskAction.SUBMIT, Ref(a=1, s=0).encode()),
    ]:
        await refused_as_unknown(
            harness,
            f"{action_id} by B's admin",
            lambda action_id=action_id, value=value: other.act(demo.SAM, button(action_id, value), "b", message=card),
            demo.SAM,
        )
    stage = {
        "type": "static_select",
        "action_id": ProjectAction.CHANGE_STAGE,
        "options": [{"text": {"type": "plain_text", "text": "active"}, "value": "1:active"}],
    }
    await refused_as_unknown(
        harness, "change stage", lambda: other.act(demo.SAM, stage, "b", message=card, selected="1:active"), demo.SAM
    )

    modals = [
        (ProjectAction.NOTE_MODAL, '{"project_id": 1}', "note", demo.SAM),
        (ProjectAction.DETAILS_MODAL, '{"project_id": 1}', "title", demo.SAM),
        (
            RiskAction.DECISION_MODAL,
            DecisionModalMeta(a=1, decision="approved").model_dump_json(),
            "comment",
            demo.INGRID,
        ),
        (
            RiskAction.DECISION_MODAL,
            DecisionModalMeta(a=1, decision="rejected").model_dump_json(),
            "comment",
            demo.INGRID,
        ),
        (RiskAction.ANSWER_MODAL, AnswerModalMeta(a=1, s=0, q="account").model_dump_json(), "answer", demo.MAYA),
    ]
    for callback_id, metadata, block, user in modals:
        forged_modal(harness, user, callback_id, metadata, block)
        await refused_as_unknown(
            harness,
            f"{callback_id} from B",
            lambda user=user, block=block: other.submit(user, {block: "Hijacked title"}),
            user,
        )
