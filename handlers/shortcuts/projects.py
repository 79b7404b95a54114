"""Global shortcut: New HERO project, from anywhere in Slack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.ids import ProjectAction
from bot.runtime import Runtime
from handlers.projects_flow import open_new_project_modal


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.shortcut(ProjectAction.SHORTCUT_NEW)
    async def new_project_shortcut(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_new_project_modal(runtime, client, body)
