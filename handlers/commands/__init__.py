"""Slash commands, one module per command."""

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.commands import complaint, council, hero, risk


def register(app: AsyncApp, runtime: Runtime) -> None:
    council.register(app, runtime)
    hero.register(app, runtime)
    risk.register(app, runtime)
    complaint.register(app, runtime)
