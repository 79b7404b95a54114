"""Hostile input for complaints and councils (the strategies and checks of test_hostile_input.py): `/complaint`
and `/council` texts, the complaint modal, the routing-rule modal (its regular expression above all) and the
council modal (cron, time zone, time). For every example: no 500, no listener failure, an answer, no
traceback shown, no Block Kit limit passed, and what is stored is clean."""

from __future__ import annotations

import logging
from typing import Any

from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.complaints.ids import ComplaintAction
from bot.complaints.routing_ids import RuleAction
from bot.console import demo
from bot.console.surfaces import find_element
from storage.models import Complaint, Council, RoutingRule
from tests.conftest import Harness
from tests.integration.council_helpers import MODAL_VALUES
from tests.reliability.test_hostile_input import LONG, answered, assert_sound, forge_option, hostile_text

FEW = hypothesis_settings(max_examples=12)
COMPLAINT_SUBCOMMANDS = [
    *("", "add", "list", "list tag:", "show", "assign COMP-1", "respond COMP-1", "resolve COMP-1"),
    *("dismiss COMP-1", "rules", "help", "nope"),
]
COUNCIL_SUBCOMMANDS = [
    *("", "create", "list", "show", "edit", "preview", "post", "pause", "resume", "delete", "help", "nope"),
]
REGEX_TRAPS = ["(a+)+$", "(a|a)*b", "[", "(?P<x>", "\\", "a{99999999}", "(?i)refund", ".*" * 200, "\x00"]


def clean(text: str | None) -> bool:
    return not any(ord(c) < 32 and c not in "\n\t" for c in text or "")


@FEW
@given(sub=st.sampled_from(COMPLAINT_SUBCOMMANDS), text=hostile_text)
@example(sub="add", text="x" * LONG)
@example(sub="show", text="COMP-99999999999999999999")
@example(sub="assign COMP-1", text="<@U0NOBODY> <!channel>")
async def test_complaint_commands(
    harness: Harness, listener_failures: list[logging.LogRecord], sub: str, text: str
) -> None:
    command = f"{sub} {text}"
    reply = await answered(harness, demo.LEO, lambda: harness.slack.slash(demo.LEO, "/complaint", command))
    assert_sound(harness, listener_failures, reply, command)
    async with harness.database.unit_of_work() as session:
        for complaint in (await session.scalars(select(Complaint))).all():
            assert clean(complaint.text) and clean(complaint.author), repr(complaint.text[:80])


@FEW
@given(sub=st.sampled_from(COUNCIL_SUBCOMMANDS), text=hostile_text)
@example(sub="preview", text="é" * LONG)
@example(sub="delete", text="'; DROP TABLE councils; --")
async def test_council_commands(
    harness: Harness, listener_failures: list[logging.LogRecord], sub: str, text: str
) -> None:
    command = f"{sub} {text}"
    reply = await answered(harness, demo.SAM, lambda: harness.slack.slash(demo.SAM, "/council", command))
    assert_sound(harness, listener_failures, reply, command)
    harness.fake.modals.clear()


def assert_errors_under_fields(reply: Any, view: dict[str, Any]) -> bool:
    """Inline errors sit under fields of the form, and are short. True when the form was refused."""
    answer = reply.json
    if answer.get("response_action") != "errors":
        return False
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert set(answer["errors"]) <= block_ids, answer
    assert all(0 < len(message) <= 500 for message in answer["errors"].values()), answer
    return True


complaint_fields = st.fixed_dictionaries(
    {
        "text": hostile_text,
        "url": st.one_of(
            hostile_text, st.just("https://x.com/a/status/1"), st.text(max_size=3000).map("https://x.com/".__add__)
        ),
        "author": hostile_text,
        "tags": hostile_text,
        "region": hostile_text,
        "network": st.one_of(st.sampled_from(["twitter", "other"]), st.text(max_size=150)),
        "severity": st.one_of(st.sampled_from(["high", "low"]), st.text(max_size=150)),
    }
)


@FEW
@given(fields=complaint_fields)
@example(
    fields={
        "text": "t" * LONG,
        "url": "",
        "author": "a" * LONG,
        "tags": "#" * LONG,
        "region": "r" * LONG,
        "network": "twitter",
        "severity": "high",
    }
)
async def test_complaint_modal(
    harness: Harness, listener_failures: list[logging.LogRecord], fields: dict[str, Any]
) -> None:
    message = harness.fake.post_as_user(demo.LEO, demo.SOCIAL_FEED, "A customer says the app is down")
    await harness.slack.message_shortcut(demo.MAYA, ComplaintAction.SHORTCUT_LOG, message)
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None and modal.view["callback_id"] == ComplaintAction.MODAL
    forge_option(modal.view, "network", fields["network"])
    forge_option(modal.view, "severity", fields["severity"])
    view = modal.view
    reply = await harness.slack.submit(demo.MAYA, fields)
    assert_sound(harness, listener_failures, reply, repr(fields)[:200])
    assert_errors_under_fields(reply, view)
    harness.fake.modals.clear()
    async with harness.database.unit_of_work() as session:
        for complaint in (await session.scalars(select(Complaint))).all():
            assert all(clean(t) for t in (complaint.text, complaint.author, complaint.region, complaint.url))


rule_fields = st.fixed_dictionaries(
    {
        "name": hostile_text,
        "pattern_kind": st.sampled_from(["regex", "keywords"]),
        "pattern": st.one_of(st.sampled_from(REGEX_TRAPS), hostile_text),
        "tag": hostile_text,
        "region": hostile_text,
    },
    optional={"catch_all": st.just(["yes"]), "target_kind": st.sampled_from(["user", "group", "triage"])},
)


@FEW
@given(fields=rule_fields)
@example(fields={"name": "Slow", "pattern_kind": "regex", "pattern": "(a+)+$", "tag": "", "region": ""})
@example(fields={"name": "n" * LONG, "pattern_kind": "regex", "pattern": "(" * 3000, "tag": "t" * LONG, "region": ""})
async def test_rule_modal(harness: Harness, listener_failures: list[logging.LogRecord], fields: dict[str, Any]) -> None:
    await harness.slack.slash(demo.SAM, "/complaint", "rules")
    block_id, add = find_element(harness.fake.ephemerals[-1].blocks, "Add rule")
    await harness.slack.act_on_ephemeral(demo.SAM, demo.GENERAL, add, block_id)
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None and modal.view["callback_id"] == RuleAction.MODAL
    view = modal.view
    reply = await harness.slack.submit(demo.SAM, fields)
    assert_sound(harness, listener_failures, reply, repr(fields)[:200])
    assert_errors_under_fields(reply, view)
    harness.fake.modals.clear()
    # A stored rule routes a hostile complaint without failing: its pattern compiled and is safe to run.
    await harness.slack.slash(demo.LEO, "/complaint", "add " + "a" * 40 + "!")
    assert_sound(harness, listener_failures, None, "routing with " + repr(fields)[:200])
    async with harness.database.unit_of_work() as session:
        for rule in (await session.scalars(select(RoutingRule))).all():
            assert clean(rule.name) and len(rule.name) <= 100


council_fields = st.fixed_dictionaries(
    {
        "name": hostile_text,
        "frequency": st.sampled_from(["daily", "weekly", "monthly", "cron"]),
        "cron": st.one_of(
            st.sampled_from(["0 9 * * 1-5", "* * * * *", "61 25 32 13 8", "0 9 31 2 *", "@reboot", "0 0 * * * *"]),
            hostile_text,
        ),
        "zone": st.one_of(st.sampled_from(["Europe/Berlin", "UTC", "../../etc/passwd", "Mars/Base"]), hostile_text),
        "time": st.one_of(st.sampled_from(["09:00", "24:00", "9", "-1:00", "23:59:59"]), hostile_text),
        "day": st.one_of(st.sampled_from(["1", "31", "0", "99999999999999999999"]), hostile_text),
    }
)


@FEW
@given(fields=council_fields)
@example(
    fields={"name": "c" * LONG, "frequency": "cron", "cron": "0 " * 3000, "zone": "z" * LONG, "time": "", "day": ""}
)
@example(fields={"name": "Monthly", "frequency": "monthly", "cron": "", "zone": "UTC", "time": "09:00", "day": "31"})
async def test_council_modal(
    harness: Harness, listener_failures: list[logging.LogRecord], fields: dict[str, Any]
) -> None:
    await harness.slack.slash(demo.SAM, "/council", "create")
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None
    view = modal.view
    reply = await harness.slack.submit(demo.SAM, {**MODAL_VALUES, **fields})
    assert_sound(harness, listener_failures, reply, repr(fields)[:200])
    if not assert_errors_under_fields(reply, view):
        await harness.slack.slash(demo.SAM, "/council", "list")  # the stored cadence can be shown
        assert_sound(harness, listener_failures, None, "list after " + repr(fields)[:200])
    harness.fake.modals.clear()
    async with harness.database.unit_of_work() as session:
        for council in (await session.scalars(select(Council))).all():
            assert clean(council.name) and len(council.name) <= 100
