"""Hypothesis for the reliability suite: deterministic by default (the same examples on every run and on CI),
modest in size so the suite stays fast. `HYPOTHESIS_PROFILE=explore` searches wider, with fresh examples."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The app, its database and the fake Slack are set up once per test and shared by its examples: each
# example is a few more requests to the same running bot, as a stream of hostile users would be.
_SHARED_APP = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=_SHARED_APP
)
settings.register_profile("explore", max_examples=400, deadline=None, suppress_health_check=_SHARED_APP)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
