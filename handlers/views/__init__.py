"""Modal submissions (view_submission), one module per domain."""

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.views import complaint_rules, complaints, council, projects, risk


def register(app: AsyncApp, runtime: Runtime) -> None:
    council.register(app, runtime)
    projects.register(app, runtime)
    complaint_rules.register(app, runtime)
    risk.register(app, runtime)
    complaints.register(app, runtime)
