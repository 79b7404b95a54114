"""Making sure the bot can post in a council's channel: it joins a public channel itself; a private one
must invite it, and the admin is told so."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.councils.runs import join_channel


async def ensure_member(client: AsyncWebClient, channel_id: str) -> str | None:
    """None when the bot is already in the channel; otherwise a line for the admin saying what happened."""
    invite = f"invite me with `/invite @herobot` in <#{channel_id}>, or its digests can't be posted"
    try:
        answer = await client.conversations_info(channel=channel_id)
    except SlackApiError:
        # Slack hides a private channel the bot is not in: it answers channel_not_found.
        return f":warning: I can't see <#{channel_id}>. If it is a private channel, {invite}."
    channel = answer.get("channel") or {}
    if channel.get("is_member"):
        return None
    if channel.get("is_private"):
        return f":warning: <#{channel_id}> is private: {invite}."
    if await join_channel(client, channel_id):
        return f":inbox_tray: I joined <#{channel_id}> to post the digests there."
    return f":warning: I couldn't join <#{channel_id}>: {invite}."
