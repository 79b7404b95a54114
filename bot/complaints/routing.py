"""Which person or channel a new complaint goes to: the routing rules, evaluated in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage.models import Complaint


@dataclass(frozen=True)
class Route:
    """A person who owns the complaint, or (owner None) the triage channel that will pick it up."""

    owner_id: str | None
    channel: str | None
    rule_id: int | None = None
    rule_name: str = ""


async def route(
    session: AsyncSession, runtime: Runtime, client: AsyncWebClient, complaint: Complaint, tags: Sequence[str]
) -> Route:
    """The first matching rule's target; with no rule matching, the triage channel."""
    return Route(owner_id=None, channel=runtime.settings.hero_complaints_channel)
