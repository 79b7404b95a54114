"""Buttons and selects (block_actions), one module per domain."""

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.actions import council, projects, risk, risk_review


def register(app: AsyncApp, runtime: Runtime) -> None:
    council.register(app, runtime)
    projects.register(app, runtime)
    risk.register(app, runtime)
    risk_review.register(app, runtime)
