"""Steps the routing-rule listeners share: the admin check and the rule list as the admin sees it."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import rules as rule_service
from bot.complaints.rule_views import rules_message
from bot.permissions import Actor
from bot.runtime import Runtime
from handlers.common import actor_of

NOT_ADMIN = "Only admins can view and change the complaint routing rules. Ask one of them, or a Slack workspace admin."


async def admin_of(runtime: Runtime, client: AsyncWebClient, body: dict[str, Any]) -> Actor | None:
    """The acting person when they are an admin (looked up on the server, whatever the payload says)."""
    actor = await actor_of(runtime, client, body)
    return actor if actor.is_admin else None


async def rule_list(
    runtime: Runtime, client: AsyncWebClient, team_id: str, *, page: int = 0, notice: str = ""
) -> dict[str, Any]:
    async with runtime.database.unit_of_work() as session:
        rules = await rule_service.list_rules(session, team_id)
    groups = {group.id: group.handle for group in await runtime.directory.groups(client, team_id)}
    return rules_message(
        rules, groups=groups, triage=runtime.settings.hero_complaints_channel, page=page, notice=notice
    )
