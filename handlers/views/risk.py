"""Submissions of the risk modals: an answer (multiple choice, free text) and a reviewer's decision."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserError
from bot.risk import review as review_service
from bot.risk import service
from bot.risk import views as risk_views
from bot.risk.ids import AnswerModalMeta, DecisionModalMeta, Ref, RiskAction
from bot.risk.review import Decision
from bot.risk.review_views import detail_modal
from bot.runtime import Runtime
from handlers.common import actor_of, log
from handlers.home import publish_home
from handlers.risk_flow import announce_decision, post_prompt, update_message


def _answer_from(values: dict[str, Any]) -> str | list[str]:
    state = (values.get("answer") or {}).get("value") or {}
    if "selected_options" in state:
        return [option["value"] for option in state.get("selected_options") or []]
    return state.get("value") or ""


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.view(RiskAction.ANSWER_MODAL)
    async def answer_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            meta = AnswerModalMeta.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            await ack()
            return
        actor = await actor_of(runtime, client, body)
        ref = Ref(a=meta.a, s=meta.s, q=meta.q)
        try:
            async with runtime.database.unit_of_work() as session:
                answered = await service.answer(session, actor, ref, _answer_from(view["state"]["values"]))
        except UserError as error:
            await ack(response_action="errors", errors={"answer": str(error)})
            return
        await ack()
        await update_message(
            client,
            meta.channel,
            meta.ts,
            risk_views.answered_message(answered.progress, answered.question, answered.value),
        )
        await post_prompt(runtime, client, answered.conversation)

    @app.view(RiskAction.DECISION_MODAL)
    async def decision_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            meta = DecisionModalMeta.model_validate_json(view.get("private_metadata") or "{}")
            decision = Decision(meta.decision)
        except (ValidationError, ValueError):
            await ack()
            return
        # Checked again here, whatever happened when the modal opened: membership may have changed,
        # another reviewer may have decided, and a submission can be forged.
        actor = await actor_of(runtime, client, body, reviewer=True)
        comment = ((view["state"]["values"].get("comment") or {}).get("value") or {}).get("value") or ""
        try:
            async with runtime.database.unit_of_work() as session:
                review = await review_service.decide(
                    session,
                    actor,
                    meta.a,
                    decision,
                    comment,
                    runtime.settings.hero_it_reviewers_group,
                    now=runtime.now(),
                )
        except UserError as error:
            await ack(response_action="errors", errors={"comment": str(error)})
            return
        await ack()
        await announce_decision(runtime, client, review)
        await publish_home(runtime, client, actor.team_id, actor.user_id)
        if meta.view_id:
            try:
                await client.views_update(view_id=meta.view_id, view=detail_modal(review, can_decide=False))
            except SlackApiError as error:
                log.info("review modal already closed: %s", error.response.get("error"))
