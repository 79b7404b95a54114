"""Requests that did not come from Slack, or came too late, or came twice: refused with 401 before any
listener runs — no Web API call, nothing stored. Bodies past the size limit get 413."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.application import SLACK_EVENTS_MAX_BYTES
from bot.console import demo
from bot.console.emulator import Emulator, sign
from bot.console.surfaces import find_element
from storage.models import Project
from tests.conftest import SIGNING_SECRET, Harness
from tests.integration.risk_helpers import review_card
from tests.reliability.helpers import recording, send_raw, snapshot, submitted_review

Request = tuple[bytes, dict[str, str]]
Build = Callable[[Harness, Emulator], Awaitable[object]]


async def new_project(harness: Harness, slack: Emulator) -> object:
    return await slack.slash(demo.MAYA, "/hero", "new Sneaky project")


async def approve_card(harness: Harness, slack: Emulator) -> object:
    card = review_card(harness, demo.IT_REVIEW)
    block_id, element = find_element(card.blocks, "Approve")
    return await slack.act(demo.INGRID, element, block_id, message=card)


async def open_home(harness: Harness, slack: Emulator) -> object:
    return await slack.open_home(demo.INGRID)


# One request of each kind Slack sends: a slash command, an interaction, an event.
KINDS: dict[str, Build] = {"command": new_project, "action": approve_card, "event": open_home}


async def built(harness: Harness, kind: str) -> Request:
    """The request Slack would send, signed — not yet delivered."""
    if kind == "action":
        await submitted_review(harness)  # RISK-1 waits for IT: an approval would change it
    else:
        await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")  # the bot has talked to Slack
    slack, recorder = recording(harness.fake)
    await KINDS[kind](harness, slack)
    [request] = recorder.requests
    return request


def unsigned(body: bytes, headers: dict[str, str]) -> Request:
    return body, {"Content-Type": headers["Content-Type"]}


def wrong_secret(body: bytes, headers: dict[str, str]) -> Request:
    return body, {**headers, **sign("not-our-signing-secret", body)}


def tampered_body(body: bytes, headers: dict[str, str]) -> Request:
    changed = body.replace(b"U0", b"U1", 1)
    assert changed != body
    return changed, headers


def garbage_signature(body: bytes, headers: dict[str, str]) -> Request:
    return body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64}


def stale(body: bytes, headers: dict[str, str]) -> Request:
    return body, {**headers, **sign(SIGNING_SECRET, body, int(time.time()) - 5 * 60 - 30)}


def from_the_future(body: bytes, headers: dict[str, str]) -> Request:
    return body, {**headers, **sign(SIGNING_SECRET, body, int(time.time()) + 5 * 60 + 30)}


def timestamp_swapped(body: bytes, headers: dict[str, str]) -> Request:
    """A fresh timestamp on an old signature: the signature covers the timestamp, so it no longer matches."""
    return body, {**headers, "X-Slack-Request-Timestamp": str(int(headers["X-Slack-Request-Timestamp"]) + 1)}


FORGERIES = {
    f.__name__: f
    for f in (unsigned, wrong_secret, tampered_body, garbage_signature, stale, from_the_future, timestamp_swapped)
}


async def assert_refused_without_effect(harness: Harness, request: Request) -> None:
    calls, ephemerals, before = len(harness.fake.calls), len(harness.fake.ephemerals), await snapshot(harness.database)
    status, _ = await send_raw(harness, *request)
    assert status == 401
    assert harness.fake.calls[calls:] == [], "a refused request reached a listener that called Slack"
    assert len(harness.fake.ephemerals) == ephemerals
    assert await snapshot(harness.database) == before


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_unsigned_forged_and_stale_requests_get_401_and_change_nothing(harness: Harness, kind: str) -> None:
    body, headers = await built(harness, kind)
    for name, forge in FORGERIES.items():
        try:
            await assert_refused_without_effect(harness, forge(body, headers))
        except AssertionError as failure:
            raise AssertionError(f"{name}: {failure}") from None
    # The genuine request still works: the refusal was about the forgery, not the request.
    status, _ = await send_raw(harness, body, headers)
    assert status == 200


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_a_replayed_request_is_refused_and_does_its_work_once(harness: Harness, kind: str) -> None:
    body, headers = await built(harness, kind)
    status, _ = await send_raw(harness, body, headers)
    assert status == 200
    await assert_refused_without_effect(harness, (body, headers))
    if kind != "event":  # Slack retries only events: on a command or a click the header is a forger's
        await assert_refused_without_effect(harness, (body, {**headers, "X-Slack-Retry-Num": "1"}))


async def test_slacks_own_retry_of_an_event_is_not_taken_for_a_replay(harness: Harness) -> None:
    body, headers = await built(harness, "event")
    assert (await send_raw(harness, body, headers))[0] == 200
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await send_raw(harness, body, retry))[0] == 200
    await assert_refused_without_effect(harness, (body, retry))  # …but that retry only once


async def test_a_replayed_command_logs_no_second_project(harness: Harness) -> None:
    slack, recorder = recording(harness.fake)
    await slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    [(body, headers)] = recorder.requests
    for _ in range(3):
        await send_raw(harness, body, headers)
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project.title))).all() == ["Refund tweets"]


async def test_an_oversized_body_gets_413_and_changes_nothing(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")  # the bot has started talking to Slack
    text = "x" * SLACK_EVENTS_MAX_BYTES
    body = ("command=%2Fhero&team_id=T0HERO&user_id=U0MAYA&text=new+" + text).encode()
    calls, before = len(harness.fake.calls), await snapshot(harness.database)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SIGNING_SECRET, body)}
    status, _ = await send_raw(harness, body, headers)
    assert status == 413
    assert harness.fake.calls[calls:] == []
    assert await snapshot(harness.database) == before
    # An event as large as any Slack sends this bot is well inside the limit.
    event = json.dumps(
        harness.slack.envelope({"type": "app_home_opened", "user": demo.MAYA, "tab": "home", "padding": "é" * 50_000})
    ).encode()
    assert len(event) < SLACK_EVENTS_MAX_BYTES
    status, _ = await send_raw(harness, event, {"Content-Type": "application/json", **sign(SIGNING_SECRET, event)})
    assert status == 200


def test_signatures_are_compared_in_constant_time() -> None:
    """Bolt's verifier compares with hmac.compare_digest; this pins that down for the version we run."""
    import inspect

    from slack_sdk.signature import SignatureVerifier

    assert "compare_digest" in inspect.getsource(SignatureVerifier.is_valid)
    body, stamp = b"text=x", str(int(time.time()))
    good = "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    assert SignatureVerifier(SIGNING_SECRET).is_valid(body, stamp, good)
