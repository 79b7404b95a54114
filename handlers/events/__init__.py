"""Events API listeners, one module per domain."""

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers import home
from handlers.events import complaints


def register(app: AsyncApp, runtime: Runtime) -> None:
    home.register(app, runtime)
    complaints.register(app, runtime)
