"""Secrets stay out of the logs, even at DEBUG level where Bolt and slack_sdk describe every request."""

from __future__ import annotations

import logging

import pytest

from bot.console import demo
from tests.conftest import SIGNING_SECRET, Harness
from tests.integration.risk_helpers import press, review_card
from tests.reliability.helpers import submitted_review


async def test_tokens_and_the_signing_secret_never_reach_the_logs(
    make_harness: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness: Harness = await make_harness(slack_bot_token="xoxb-never-logged-42")  # type: ignore[operator]
    await submitted_review(harness)
    await press(harness, demo.INGRID, review_card(harness, demo.IT_REVIEW), "Approve")
    await harness.slack.open_home(demo.MAYA)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert len(caplog.records) > 50  # the DEBUG lines were there to read
    for secret in ("xoxb-never-logged-42", "never-logged-42", SIGNING_SECRET):
        assert secret not in logged
