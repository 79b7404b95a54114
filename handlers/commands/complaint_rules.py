"""`/complaint rules` — admins list, add, edit, reorder and delete the routing rules."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from handlers.common import CommandReply, warning


async def rules(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    return CommandReply(warning("Routing rules cannot be edited yet; every complaint goes to the triage channel."))
