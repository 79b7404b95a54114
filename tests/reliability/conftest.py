"""Hypothesis for the reliability suite: deterministic by default (the same examples on every run and on CI),
modest in size so the suite stays fast. `HYPOTHESIS_PROFILE=explore` searches wider, with fresh examples."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, settings

from bot.console import demo
from bot.console.fake_slack import FakeSlack

# The app, its database and the fake Slack are set up once per test and shared by its examples: each
# example is a few more requests to the same running bot, as a stream of hostile users would be.
_SHARED_APP = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=_SHARED_APP
)
settings.register_profile("explore", max_examples=400, deadline=None, suppress_health_check=_SHARED_APP)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A fake Slack on its own, for tests that run `herobot serve` as a process (helpers.Server)."""
    slack = demo.demo_slack()
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
def listener_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Errors the bot logged: a listener that raised, or a failure it could not tell the person about."""
    caplog.set_level(logging.WARNING)
    return caplog.records
