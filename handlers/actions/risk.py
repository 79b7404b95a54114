"""Buttons of the risk-check conversation in the HERO's DM (and its entry points on the Home tab)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ids import parse_record_number
from bot.permissions import Actor
from bot.risk import notices, service
from bot.risk import views as risk_views
from bot.risk.ids import ANSWER_ACTION_PATTERN, Ref, RiskAction
from bot.risk.review import review_of
from bot.runtime import Runtime
from handlers.common import Respond, actor_of
from handlers.home import publish_home
from handlers.risk_flow import (
    begin,
    clicked_message,
    post_prompt,
    resume,
    risk_answering,
    send_for_review,
    submitted_note,
    update_message,
)

Move = Callable[[AsyncSession, Actor, Ref], Awaitable[service.Moved]]


def _ref(action: dict[str, Any]) -> Ref | None:
    raw = action.get("value") or (action.get("selected_option") or {}).get("value")
    return Ref.decode(raw)


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def answer(body: dict[str, Any], respond: Respond, client: AsyncWebClient, ref: Ref | None) -> None:
        if ref is None or ref.q is None or ref.v is None:
            return
        async with risk_answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            async with runtime.database.unit_of_work() as session:
                answered = await service.answer(session, actor, ref, ref.v)
            channel, ts = clicked_message(body)
            await update_message(
                client, channel, ts, risk_views.answered_message(answered.progress, answered.question, answered.value)
            )
            await post_prompt(runtime, client, answered.conversation)

    @app.action(re.compile(ANSWER_ACTION_PATTERN))  # an answer button
    @app.action(RiskAction.ANSWER_SELECT)  # an answer picked from a select
    async def answer_clicked(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        await answer(body, respond, client, _ref(action))

    @app.action(RiskAction.OPEN_ANSWER_MODAL)
    async def open_answer_modal(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        ref = _ref(action)
        if ref is None:
            return
        async with risk_answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            async with runtime.database.unit_of_work() as session:
                conversation = await service.peek(session, actor, ref)
            channel, ts = clicked_message(body)
            await client.views_open(
                trigger_id=body["trigger_id"], view=risk_views.answer_modal(conversation, channel, ts)
            )

    def moving(action_id: RiskAction, move: Move, reason: Callable[[service.Moved], str | None]) -> None:
        """A button that moves the conversation: its message is retired, the new prompt posted below."""

        @app.action(action_id)
        async def handler(
            ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
        ) -> None:
            await ack()
            ref = _ref(action)
            if ref is None:
                return
            async with risk_answering(body, client, respond):
                actor = await actor_of(runtime, client, body)
                async with runtime.database.unit_of_work() as session:
                    moved = await move(session, actor, ref)
                channel, ts = clicked_message(body)
                note = reason(moved)
                if note is None:  # paused: the message itself becomes the way back
                    await update_message(client, channel, ts, notices.paused_message(moved.conversation))
                    return
                await update_message(client, channel, ts, notices.retired_prompt(moved.left, note))
                await post_prompt(runtime, client, moved.conversation)

    moving(RiskAction.BACK, service.back, lambda moved: notices.back_note(moved.conversation))
    moving(RiskAction.PAUSE, service.pause, lambda moved: None)
    moving(RiskAction.TO_SUMMARY, service.to_summary, lambda moved: notices.SUMMARY_NOTE)
    moving(RiskAction.CHANGE_ONE, service.change_answer, lambda moved: notices.change_note(moved.conversation))
    moving(RiskAction.CHANGE_ALL, service.change_all, lambda moved: notices.WALK_NOTE)

    @app.action(RiskAction.RESUME)
    async def resume_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        ref = _ref(action)
        if ref is None:
            return
        async with risk_answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            await resume(runtime, client, actor, ref.a)
            if (body.get("view") or {}).get("type") == "home":
                await publish_home(runtime, client, actor.team_id, actor.user_id)

    @app.action(RiskAction.SUBMIT)
    async def submit(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        ref = _ref(action)
        if ref is None:
            return
        async with risk_answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            async with runtime.database.unit_of_work() as session:
                submitted = await service.submit(session, actor, ref, now=runtime.now())
                review = await review_of(session, actor.team_id, submitted.conversation.assessment.id)
            where = await send_for_review(runtime, client, review)
            channel, ts = clicked_message(body)
            summary = risk_views.summary_message(submitted.conversation, submitted_note=submitted_note(review, where))
            await update_message(client, channel, ts, summary)

    async def start_in_dm(
        body: dict[str, Any], respond: Respond, client: AsyncWebClient, project_id: int, *, confirmed: bool = False
    ) -> None:
        async with risk_answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            notice = await begin(runtime, client, body, actor, project_id, replace_approved=confirmed)
            if (body.get("container") or {}).get("is_ephemeral") and respond is not None:
                await respond(replace_original=True, **notice)
            if (body.get("view") or {}).get("type") == "home":
                await publish_home(runtime, client, actor.team_id, actor.user_id)

    @app.action(RiskAction.START)
    async def start_button(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        number, _, confirmation = str(action.get("value") or "").partition(":")
        project_id = parse_record_number(number)
        if project_id is not None:
            await start_in_dm(body, respond, client, project_id, confirmed=confirmation == "new")

    @app.action(RiskAction.REVISE)
    async def revise(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        ref = _ref(action)
        if ref is None:
            return
        async with risk_answering(body, client, respond):
            actor = await actor_of(runtime, client, body)
            async with runtime.database.unit_of_work() as session:
                decided = await service.conversation_for(session, actor.team_id, ref.a)
            await start_in_dm(body, respond, client, decided.project.id)
