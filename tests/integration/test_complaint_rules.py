"""`/complaint rules`: admins edit the routing rules in Slack; the rules route complaints; groups take turns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.complaints.routing import Route, prepare, route
from bot.console import demo
from bot.console.surfaces import find_element, texts
from storage.models import Complaint, RoutingRule
from tests.conftest import Harness
from tests.integration.risk_helpers import last_ephemeral
from tests.integration.routing_helpers import add_complaint, add_rule, audit, press, rules_command


def shown(payload: dict[str, Any]) -> str:
    return payload.get("text", "") + "\n" + texts(payload.get("blocks") or [])


def latest(harness: Harness, user: str) -> dict[str, Any]:
    answer = [e for e in harness.fake.ephemerals if e.user == user][-1]
    return {"text": answer.text, "blocks": answer.blocks}


async def stored_rules(harness: Harness) -> list[RoutingRule]:
    async with harness.database.unit_of_work() as session:
        rows = await session.scalars(select(RoutingRule).order_by(RoutingRule.position))
        return list(rows.all())


async def test_the_empty_list_says_what_to_do(harness: Harness) -> None:
    listing = await rules_command(harness, demo.SAM)
    assert "No rules yet: every new complaint goes to the triage channel <#C0TRIAGE>" in shown(listing)
    find_element(listing["blocks"], "Add rule")
    assert "takes nothing more" in shown(await rules_command(harness, demo.SAM, "delete 3"))


async def test_an_admin_adds_rules_and_bad_ones_are_refused_in_the_form(harness: Harness) -> None:
    answer = await add_rule(harness, {"name": "Refunds", "pattern_kind": "regex", "pattern": "(a+)+$"})
    assert "repeat inside a repeat" in answer["errors"]["pattern"]
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None and modal.view["title"]["text"] == "New routing rule"

    reply = await harness.slack.submit(demo.SAM, {"name": "Refunds", "pattern": "[unclosed", "pattern_kind": "regex"})
    assert "not a valid regular expression" in reply.json["errors"]["pattern"]
    reply = await harness.slack.submit(demo.SAM, {"name": "Everything"})
    assert "Set at least one condition" in reply.json["errors"]["pattern"]
    reply = await harness.slack.submit(
        demo.SAM, {"name": "To Zed", "tag": "vip", "target_kind": "user", "target_user": "U0NOBODY"}
    )
    assert "Slack does not know this person" in reply.json["errors"]["target_user"]
    reply = await harness.slack.submit(demo.SAM, {"name": "To a group", "tag": "vip", "target_kind": "group"})
    assert "Pick the user group" in reply.json["errors"]["target_group"]
    assert await stored_rules(harness) == []

    reply = await harness.slack.submit(
        demo.SAM,
        {
            "name": "Refunds to Leo",
            "pattern": "refund, chargeback",
            "network": "twitter",
            "target_kind": "user",
            "target_user": demo.LEO,
        },
    )
    assert reply.json.get("response_action") is None
    listing = latest(harness, demo.SAM)
    assert "Added the rule *Refunds to Leo*" in shown(listing)
    assert "*1. Refunds to Leo*" in shown(listing)
    assert "When: text mentions “refund” or “chargeback” · on Twitter / X" in shown(listing)
    assert "Goes to: <@U0LEO>" in shown(listing)

    await add_rule(
        harness,
        {"name": "Catch-all", "catch_all": ["yes"], "target_kind": "group", "target_group": demo.CARE_TEAM_GROUP},
    )
    listing = latest(harness, demo.SAM)
    assert "*2. Catch-all*\nWhen: every complaint\nGoes to: @care-team, members taking turns" in shown(listing)
    [created, second] = await audit(harness, "routing_rule")
    assert (created.action, created.actor_id, created.after["target_id"]) == ("created", demo.SAM, demo.LEO)
    assert second.after["target_kind"] == "group"


async def test_an_admin_edits_reorders_and_deletes_rules(harness: Harness) -> None:
    await add_rule(harness, {"name": "First", "tag": "vip"})
    await add_rule(harness, {"name": "Second", "severity": "critical"})
    await add_rule(harness, {"name": "Third", "region": "DE, AT"})
    listing = await rules_command(harness, demo.SAM)
    await press(harness, demo.SAM, listing, "Down")  # First ↓
    assert [r.name for r in await stored_rules(harness)] == ["Second", "First", "Third"]
    listing = latest(harness, demo.SAM)
    assert shown(listing).index("1. Second") < shown(listing).index("2. First")
    await press(harness, demo.SAM, listing, "Up", nth=1)  # Third ↑ (the first rule has no Up)
    assert [r.name for r in await stored_rules(harness)] == ["Second", "Third", "First"]

    await press(harness, demo.SAM, latest(harness, demo.SAM), "Edit", nth=2)
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None and modal.view["title"]["text"] == "Edit routing rule"
    await harness.slack.submit(demo.SAM, {"name": "First, renamed", "tag": "VIP", "severity": "high"})
    assert "Saved the rule *First, renamed*" in shown(latest(harness, demo.SAM))
    third = (await stored_rules(harness))[2]
    assert (third.name, third.tag, third.severity, third.position) == ("First, renamed", "vip", "high", 2)

    delete = latest(harness, demo.SAM)
    button = next(
        e for b in delete["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == "Delete"
    )
    assert button["confirm"]["confirm"]["text"] == "Delete"  # Slack asks before deleting
    await press(harness, demo.SAM, delete, "Delete")
    assert "Deleted the rule *Second*" in shown(latest(harness, demo.SAM))
    assert [(r.name, r.position) for r in await stored_rules(harness)] == [("Third", 0), ("First, renamed", 1)]
    actions = [e.action for e in await audit(harness, "routing_rule")]
    assert actions == ["created", "created", "created", "moved", "moved", "updated", "deleted"]


async def test_anyone_else_is_refused_whatever_the_payload_says(harness: Harness) -> None:
    assert "Only admins can view and change the complaint routing rules" in shown(
        await rules_command(harness, demo.MAYA)
    )
    await add_rule(harness, {"name": "Keep", "tag": "vip"})
    listing = await rules_command(harness, demo.SAM)  # Sam's list, pressed by Leo
    for label in ("Add rule", "Edit", "Delete"):
        await press(harness, demo.LEO, listing, label)
        assert "Only admins" in last_ephemeral(harness, demo.LEO)
    assert harness.fake.top_modal(demo.LEO) is None

    await press(harness, demo.SAM, listing, "Edit")  # a forged submission of Sam's modal by Leo
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None
    harness.fake.modals[demo.LEO] = [modal]
    reply = await harness.slack.submit(demo.LEO, {"name": "Hijacked", "catch_all": ["yes"], "tag": ""})
    assert "Only admins" in reply.json["errors"]["name"]
    [rule] = await stored_rules(harness)
    assert (rule.name, rule.tag) == ("Keep", "vip")
    assert [e.action for e in await audit(harness, "routing_rule")] == ["created"]


async def routed(harness: Harness, **complaint: Any) -> Route:
    runtime = harness.hero.runtime
    made = await add_complaint(harness, **complaint)
    async with harness.database.unit_of_work() as session:
        found = await session.get(Complaint, made.id)
    assert found is not None
    tags = complaint.get("tags", ())
    rules = await prepare(runtime, runtime.client, found.team_id, [(found, tags)])
    return await runtime.database.write(route, rules, runtime.settings.hero_complaints_channel, found, tags)


async def test_rules_route_by_content_tag_network_region_and_severity(harness: Harness) -> None:
    await add_rule(harness, {"name": "VIPs", "tag": "vip", "target_kind": "user", "target_user": demo.SAM})
    await add_rule(harness, {"name": "Refunds", "pattern": "refund", "target_kind": "user", "target_user": demo.LEO})
    await add_rule(harness, {"name": "Nordics", "region": "SE, NO", "target_kind": "user", "target_user": demo.MAYA})
    await add_rule(
        harness, {"name": "Critical on TikTok", "network": "tiktok", "severity": "critical", "target_kind": "triage"}
    )

    assert (await routed(harness, text="refund!", tags=["vip"])).owner_id == demo.SAM
    refund = await routed(harness, text="Where is my REFUND")
    assert (refund.owner_id, refund.rule_name) == (demo.LEO, "Refunds")
    assert (await routed(harness, text="hello", region="se")).owner_id == demo.MAYA
    tiktok = await routed(harness, text="hello", network="tiktok", severity="critical")
    assert (tiktok.owner_id, tiktok.channel, tiktok.rule_name) == (None, demo.TRIAGE, "Critical on TikTok")
    nothing = await routed(harness, text="hello", network="tiktok", severity="low")
    assert nothing == Route(owner_id=None, channel=demo.TRIAGE)


async def test_a_group_takes_turns_fairly_across_restarts(harness: Harness) -> None:
    await add_rule(
        harness, {"name": "Care", "catch_all": ["yes"], "target_kind": "group", "target_group": demo.CARE_TEAM_GROUP}
    )
    owners = [(await routed(harness)).owner_id for _ in range(3)]
    await harness.restart()
    owners += [(await routed(harness)).owner_id for _ in range(3)]
    assert owners == [demo.LEO, demo.MAYA] * 3  # sorted by user ID: U0LEO before U0MAYA

    harness.fake.usergroups[demo.CARE_TEAM_GROUP].users.clear()  # an empty group: the triage channel
    harness.hero.runtime.directory.forget()
    empty = await routed(harness)
    assert (empty.owner_id, empty.channel, empty.rule_name) == (None, demo.TRIAGE, "Care")
