"""The App Home tab, published when a person opens it and after changes made from it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import queries as complaint_queries
from bot.complaints import views as complaint_views
from bot.home import home_view
from bot.projects import service as projects
from bot.projects import views as project_views
from bot.risk import review as risk_review
from bot.risk import review_views as risk_views
from bot.runtime import Runtime
from handlers.common import team_of


async def publish_home(runtime: Runtime, client: AsyncWebClient, team_id: str, user_id: str) -> None:
    actor = await runtime.directory.actor(client, team_id, user_id, reviewer=True)
    async with runtime.database.unit_of_work() as session:
        page = await projects.list_projects(session, actor, "mine", limit=10)
        accepted = await projects.has_accepted_compact(session, team_id, user_id)
        risk = await risk_review.home(session, actor, page.projects)
        assigned = await complaint_queries.home(session, actor, runtime.now())
    sections = [
        project_views.home_section(page.projects, page.total, accepted_compact=accepted),
        complaint_views.home_section(assigned),
        risk_views.home_section(risk),
    ]
    await client.views_publish(user_id=user_id, view=home_view(sections))


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish_home(runtime, client, team_of(body), event["user"])
