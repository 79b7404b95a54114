"""Buttons and selects (block_actions), one module per domain."""

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.actions import complaint_rules, complaints, council, crisis, projects, risk, risk_review


def register(app: AsyncApp, runtime: Runtime) -> None:
    council.register(app, runtime)
    projects.register(app, runtime)
    complaint_rules.register(app, runtime)
    crisis.register(app, runtime)
    risk.register(app, runtime)
    risk_review.register(app, runtime)
    complaints.register(app, runtime)
