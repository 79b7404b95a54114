"""Crisis alerts: a spike of complaints with one tag raises one alert in the crisis channel."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime


async def complaint_logged(
    runtime: Runtime, client: AsyncWebClient, team_id: str, complaint_id: int, tags: Sequence[str]
) -> None:
    """Called once a new complaint is committed: raise, or update, the alert for each of its tags."""
    return None
