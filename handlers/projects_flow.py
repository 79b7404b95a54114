"""Steps several project listeners share: opening the project modal, announcing changes."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.councils.service import choices as council_choices
from bot.projects import service
from bot.projects import views as project_views
from bot.projects.service import StageChange
from bot.runtime import Runtime
from handlers.common import post_safely, team_of, user_of
from storage.models import Project


async def open_new_project_modal(
    runtime: Runtime, client: AsyncWebClient, body: dict[str, Any], *, channel_id: str | None = None
) -> None:
    async with runtime.database.unit_of_work() as session:
        accepted = await service.has_accepted_compact(session, team_of(body), user_of(body))
        councils = await council_choices(session, team_of(body))
    view = project_views.project_modal(channel_id=channel_id, remind_compact=not accepted, councils=councils)
    await open_or_push(client, body, view)


async def open_or_push(client: AsyncWebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open a modal, or stack it on the modal the person is already in."""
    if (body.get("view") or {}).get("type") == "modal":
        await client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        await client.views_open(trigger_id=body["trigger_id"], view=view)


async def announce_created(runtime: Runtime, client: AsyncWebClient, project: Project) -> None:
    await post_safely(client, runtime.settings.hero_projects_channel, project_views.announcement(project))


async def announce_stage(runtime: Runtime, client: AsyncWebClient, change: StageChange, actor_id: str) -> None:
    await post_safely(
        client, runtime.settings.hero_projects_channel, project_views.stage_announcement(change, actor_id)
    )
