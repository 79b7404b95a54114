"""One workspace's people never read or change another's records, whatever IDs they type or forge.

The bot is installed in two workspaces (OAuth). In workspace B, the same kinds of people as in A — an
admin, an IT reviewer, a HERO — name A's project and risk check in commands, press copies of A's
buttons and submit modals carrying A's IDs: each is answered as if the record did not exist, nothing of
A's shows, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from bot.complaints.ids import ComplaintAction, ComplaintModalMeta
from bot.complaints.routing_ids import RuleAction, RuleModalMeta, RuleRef
from bot.console import demo
from bot.console.emulator import Emulator, Reply
from bot.console.fake_slack import Message
from bot.console.surfaces import find_element, texts
from bot.councils.views import CouncilModalMeta
from bot.ids import CouncilAction, ProjectAction
from bot.risk.ids import AnswerModalMeta, DecisionModalMeta, Ref, RiskAction
from storage.models import RoutingRule
from tests.conftest import Harness, MakeHarness
from tests.integration.council_helpers import MODAL_VALUES, open_and_submit
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


# ---- complaints, routing rules and councils ------------------------------------------------------------------
A_SECRETS = ("rude agent", "Refund desk", "CX council")  # A's complaint text, rule and council names


async def a_complaint_rule_and_council(make_harness: MakeHarness) -> tuple[Harness, Emulator]:
    harness = await make_harness(**OAUTH)
    await install(harness, demo.TEAM_ID, demo.SAM)
    await install(harness, OTHER_TEAM, demo.SAM)
    async with harness.database.unit_of_work() as session:
        session.add(RoutingRule(team_id=demo.TEAM_ID, name="Refund desk", target_kind="user", target_id=demo.MAYA))
    await harness.slack.slash(demo.MAYA, "/complaint", "add https://x.com/a/status/2 rude agent")
    await open_and_submit(harness)  # CX council, by Sam
    harness.fake.modals.clear()
    return harness, workspace(harness, OTHER_TEAM)


async def unknown_in_b(harness: Harness, name: str, attempt: Any, user: str) -> None:
    """Refused as unknown; nothing of A's shown (but what the person typed: "There is no council “CX council”")."""
    shown = await assert_refused(harness, name, attempt, user)
    leaked = [secret for secret in A_SECRETS if secret.lower() in shown.lower() and secret not in name]
    assert not leaked, f"{name}: workspace A's {leaked} shown in B"
    assert any(words in shown.lower() for words in ("there is no", "no longer", "deleted")), shown[:200]


async def test_complaints_rules_and_councils_of_another_workspace_stay_out_of_reach(make_harness: MakeHarness) -> None:
    harness, other = await a_complaint_rule_and_council(make_harness)
    for user, command, rest in [
        (demo.MAYA, "/complaint", "show COMP-1"),
        (demo.MAYA, "/complaint", "respond COMP-1 done"),
        (demo.SAM, "/complaint", "resolve 1 done"),
        (demo.SAM, "/complaint", "assign COMP-1 <@U0LEO>"),
        (demo.SAM, "/complaint", "dismiss COMP-1 spam"),
        (demo.MAYA, "/council", "show CX council"),
        (demo.MAYA, "/council", "preview CX council"),
        (demo.SAM, "/council", "edit CX council"),
        (demo.SAM, "/council", "post CX council"),
        (demo.SAM, "/council", "pause CX council"),
        (demo.SAM, "/council", "delete CX council"),
    ]:
        await unknown_in_b(harness, f"{command} {rest}", lambda u=user, c=command, r=rest: other.slash(u, c, r), user)
    for user, command, rest in [
        (demo.SAM, "/complaint", "list all"),
        (demo.MAYA, "/complaint", "list mine"),
        (demo.SAM, "/complaint", "rules"),
        (demo.SAM, "/council", "list"),
    ]:
        before = await snapshot(harness.database)
        await other.slash(user, command, rest)
        shown = harness.fake.ephemerals[-1]
        assert not [s for s in A_SECRETS if s in shown.text + texts(shown.blocks)], (command, rest)
        assert await snapshot(harness.database) == before

    card = [m for m in harness.fake.messages[harness.fake.dm_channel(demo.MAYA)] if m.blocks][-1]  # A's card
    for action_id, value, user in [
        (ComplaintAction.MARK_RESPONDED, "1", demo.MAYA),
        (ComplaintAction.RESOLVE, "1", demo.SAM),
        (ComplaintAction.TAKE, "1", demo.SAM),
        (ComplaintAction.VIEW, "1", demo.SAM),
        (ComplaintAction.ADD_DETAILS, "1", demo.SAM),
        (RuleAction.EDIT, RuleRef(r=1).encode(), demo.SAM),
        (RuleAction.DELETE, RuleRef(r=1).encode(), demo.SAM),
        (RuleAction.DOWN, RuleRef(r=1).encode(), demo.SAM),
        (CouncilAction.DELETE, "1", demo.SAM),
    ]:
        await unknown_in_b(
            harness,
            f"{action_id} from B",
            lambda a=action_id, v=value, u=user: other.act(u, button(a, v), "b", message=card),
            user,
        )
    for callback_id, metadata, block in [
        (ComplaintAction.MODAL, ComplaintModalMeta(complaint_id=1).model_dump_json(), "text"),
    ]:
        forged_modal(harness, demo.SAM, callback_id, metadata, block)
        await unknown_in_b(
            harness, f"{callback_id} from B", lambda b=block: other.submit(demo.SAM, {b: "Hijacked"}), demo.SAM
        )
        harness.fake.modals.clear()
    # B's admin opens B's own rule form and rewrites it to edit A's rule 1.
    await other.slash(demo.SAM, "/complaint", "rules")
    listing = harness.fake.ephemerals[-1].blocks
    block_id, add = find_element(listing, "Add rule")
    await other.act_on_ephemeral(demo.SAM, demo.GENERAL, add, block_id)
    form = harness.fake.top_modal(demo.SAM)
    assert form is not None and form.view["callback_id"] == RuleAction.MODAL
    form.view["private_metadata"] = RuleModalMeta(rule_id=1).model_dump_json()
    await unknown_in_b(
        harness, "rule modal from B", lambda: other.submit(demo.SAM, {"name": "Hijacked", "tag": "vip"}), demo.SAM
    )
    # And B's council form, rewritten to edit A's council 1.
    await other.slash(demo.SAM, "/council", "create")
    form = harness.fake.top_modal(demo.SAM)
    assert form is not None
    form.view["callback_id"] = CouncilAction.EDIT_MODAL
    form.view["private_metadata"] = CouncilModalMeta(council_id=1).model_dump_json()
    await unknown_in_b(
        harness, "council modal from B", lambda: other.submit(demo.SAM, {**MODAL_VALUES, "name": "Ours"}), demo.SAM
    )
