"""Checking a rule's target in Slack before the rule is saved: the person or user group must exist."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints.rules import Field, RuleDraft, Target
from bot.directory import Directory


async def target_problems(
    directory: Directory, client: AsyncWebClient, team_id: str, draft: RuleDraft
) -> dict[str, str]:
    """Inline errors by modal field for a person or group Slack does not know (or who cannot own complaints)."""
    if draft.target_kind == Target.USER and draft.target_user:
        problem = await _user_problem(client, draft.target_user)
        if problem:
            return {Field.TARGET_USER: problem}
    if draft.target_kind == Target.GROUP and draft.target_group:
        groups = await directory.groups(client, team_id)
        if not any(group.id == draft.target_group for group in groups):
            return {Field.TARGET_GROUP: "There is no such user group in this workspace; pick one from the list."}
    return {}


async def _user_problem(client: AsyncWebClient, user_id: str) -> str | None:
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError as error:
        if error.response.get("error") in ("user_not_found", "user_not_visible"):
            return "Slack does not know this person; pick someone from the list."
        raise
    if user.get("deleted"):
        return "This person's account is deactivated; pick someone else."
    if user.get("is_bot") or user.get("is_app_user"):
        return "A bot cannot answer customers; pick a person."
    return None
