"""Global and message shortcuts, one module per domain."""

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.shortcuts import complaints, projects


def register(app: AsyncApp, runtime: Runtime) -> None:
    projects.register(app, runtime)
    complaints.register(app, runtime)
