"""`/complaint rules` — admins list, add, edit, reorder and delete the routing rules."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from handlers.common import CommandReply, team_of, warning
from handlers.complaint_rules_flow import NOT_ADMIN, admin_of, rule_list


async def rules(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    if rest.strip():
        return CommandReply(
            warning("`/complaint rules` takes nothing more: it lists the routing rules, with buttons to change them.")
        )
    if await admin_of(runtime, client, body) is None:
        return CommandReply(warning(NOT_ADMIN))
    return CommandReply(await rule_list(runtime, client, team_of(body)))
