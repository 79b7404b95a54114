"""Buttons of IT's review: on the review card, in the review modal, on the Home tab.

Whoever presses, the reviewer check runs on the server (user-group membership looked up in Slack),
for every button and again when a comment modal is submitted.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.permissions import Actor
from bot.risk import review as review_service
from bot.risk.ids import Ref, RiskAction
from bot.risk.review import Decision, Review
from bot.risk.review_views import decision_modal, detail_message, detail_modal
from bot.runtime import Runtime
from handlers.common import Respond, actor_of, answering, log
from handlers.home import publish_home
from handlers.projects_flow import open_or_push
from handlers.risk_flow import announce_decision, clicked_message

COMMENT_DECISIONS = {
    RiskAction.APPROVE_WITH_COMMENT: Decision.APPROVE,
    RiskAction.REQUEST_CHANGES: Decision.REQUEST_CHANGES,
    RiskAction.REJECT: Decision.REJECT,
}


def _ref(action: dict[str, Any]) -> Ref | None:
    return Ref.decode(action.get("value"))


async def show_decided(
    runtime: Runtime,
    client: AsyncWebClient,
    body: dict[str, Any],
    respond: Respond | None,
    review: Review,
    actor: Actor,
) -> None:
    """After a decision: every card, the HERO's DM, and the surface the reviewer decided on."""
    await announce_decision(runtime, client, review, also=clicked_message(body))
    view = body.get("view") or {}
    if view.get("type") == "modal" and view.get("id"):
        try:
            await client.views_update(view_id=view["id"], view=detail_modal(review, can_decide=False))
        except SlackApiError as error:
            log.info("review modal already closed: %s", error.response.get("error"))
    elif (body.get("container") or {}).get("is_ephemeral") and respond is not None:
        await respond(replace_original=True, **detail_message(review, can_decide=False))
    await publish_home(runtime, client, actor.team_id, actor.user_id)  # their review queue is one shorter


def register(app: AsyncApp, runtime: Runtime) -> None:
    group = runtime.settings.hero_it_reviewers_group

    @app.action(RiskAction.APPROVE)
    async def approve(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        ref = _ref(action)
        if ref is None:
            return
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body, reviewer=True)
            async with runtime.database.unit_of_work() as session:
                review = await review_service.decide(
                    session, actor, ref.a, Decision.APPROVE, "", group, now=runtime.now()
                )
            await show_decided(runtime, client, body, respond, review, actor)

    async def open_comment(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        ref = _ref(action)
        decision = next((d for a, d in COMMENT_DECISIONS.items() if a == action.get("action_id")), None)
        if ref is None or decision is None:
            return
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body, reviewer=True)
            async with runtime.database.unit_of_work() as session:
                review = await review_service.open_for_decision(session, actor, ref.a, group)
            view = body.get("view") or {}
            view_id = view.get("id") if view.get("type") == "modal" else None
            await open_or_push(client, body, decision_modal(review, decision, view_id=view_id))

    for action_id in COMMENT_DECISIONS:

        @app.action(action_id)
        async def comment_decision(
            ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
        ) -> None:
            await ack()
            await open_comment(body, action, respond, client)

    @app.action(RiskAction.VIEW)
    async def view(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        ref = _ref(action)
        if ref is None:
            return
        async with answering(body, client, respond):
            actor = await actor_of(runtime, client, body, reviewer=True)
            async with runtime.database.unit_of_work() as session:
                shown = await review_service.detail(session, actor, ref.a)
            can_decide = review_service.can_decide(actor, shown, group)
            await open_or_push(client, body, detail_modal(shown, can_decide=can_decide))
