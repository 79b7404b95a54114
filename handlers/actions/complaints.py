"""Buttons and selects on complaint messages (thread replies, the owner's card, triage posts, lists),
the complaint card modal and the Home tab. Each re-checks on the server who may act."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.complaints import lifecycle, queries, service
from bot.complaints import views as complaint_views
from bot.complaints.ids import ACTIONS_BLOCK_PREFIX, ComplaintAction, ComplaintModalMeta
from bot.errors import PermissionDenied, UserError
from bot.ids import parse_record_number
from bot.permissions import Actor
from bot.runtime import Runtime
from handlers.common import Respond, actor_of, answering
from handlers.complaints_flow import after_change
from handlers.home import publish_home
from handlers.projects_flow import open_or_push

# A lifecycle step taken from a button: (session, actor, complaint id, note, now) → the change.
LifecycleStep = Callable[[AsyncSession, Actor, int, str, datetime], Awaitable[lifecycle.Change]]


def _id_of(action: dict[str, Any]) -> int | None:
    """A button's value, a select's option value (`12:1h`) or, for the user picker, its block (`complaint_12`)."""
    raw = action.get("value") or (action.get("selected_option") or {}).get("value") or action.get("block_id")
    return parse_record_number(str(raw).split(":", 1)[0].removeprefix(ACTIONS_BLOCK_PREFIX))


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def on_clicked(
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: AsyncWebClient,
        use: Callable[[Actor, int], Awaitable[None]],
    ) -> None:
        """Run `use(actor, complaint id)` for the complaint a control names; a refusal (UserError) is
        told to the person who clicked. A control naming no complaint does nothing."""
        complaint_id = _id_of(action)
        if complaint_id is None:
            return
        async with answering(body, client, respond):
            await use(await actor_of(runtime, client, body), complaint_id)

    async def act(
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: AsyncWebClient,
        change_of: Any,
    ) -> None:
        async def change(actor: Actor, complaint_id: int) -> None:
            async with runtime.database.unit_of_work() as session:
                before = await service.get_complaint(session, actor.team_id, complaint_id)
                card = service.owner_card_of(before)
                changed = await change_of(session, actor, complaint_id)
            from_card = card is not None and _message_ts(body) == card[1]
            await after_change(runtime, client, changed, previous_card=card)
            if not from_card:
                await _refresh(runtime, body, client, respond, changed.complaint, actor)

        await on_clicked(body, action, respond, client, change)

    def status_button(action_id: ComplaintAction, step: LifecycleStep) -> None:
        """*Mark responded* and *Resolve*: one lifecycle step, without a note."""

        @app.action(action_id)
        async def listener(
            ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
        ) -> None:
            await ack()

            async def change(session: Any, actor: Actor, complaint_id: int) -> lifecycle.Change:
                return await step(session, actor, complaint_id, "", runtime.now())

            await act(body, action, respond, client, change)

    status_button(ComplaintAction.MARK_RESPONDED, lifecycle.respond)
    status_button(ComplaintAction.RESOLVE, lifecycle.resolve)

    @app.action(ComplaintAction.TAKE)
    async def take(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def change(session: Any, actor: Actor, complaint_id: int) -> lifecycle.Change:
            current = await service.locked(session, actor, complaint_id)  # who owns it now, not when the page loaded
            if current.owner_id and current.owner_id != actor.user_id:
                raise UserError(f"{service.label(current)} was already taken by <@{current.owner_id}>.")
            return await lifecycle.assign(session, actor, complaint_id, actor.user_id, runtime.now())

        await act(body, action, respond, client, change)

    @app.action(ComplaintAction.REASSIGN)
    async def reassign(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        owner_id = action.get("selected_user")
        if not owner_id:
            return

        async def change(session: Any, actor: Actor, complaint_id: int) -> lifecycle.Change:
            return await lifecycle.assign(session, actor, complaint_id, str(owner_id), runtime.now())

        await act(body, action, respond, client, change)

    @app.action(ComplaintAction.SNOOZE)
    async def snooze(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        choice = str((action.get("selected_option") or {}).get("value") or "").partition(":")[2]

        async def change(session: Any, actor: Actor, complaint_id: int) -> lifecycle.Change:
            person = await runtime.directory.person(client, actor.team_id, actor.user_id)
            now = runtime.now()
            until = lifecycle.snooze_until(choice, now, person.tz)
            return await lifecycle.snooze(session, actor, complaint_id, until, now)

        await act(body, action, respond, client, change)

    @app.action(ComplaintAction.VIEW)
    async def view(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def open_card(actor: Actor, complaint_id: int) -> None:
            async with runtime.database.unit_of_work() as session:
                shown = await queries.detail(session, actor.team_id, complaint_id)
            modal = complaint_views.complaint_view_modal(
                shown, runtime.now(), can_act=service.may_act(actor, shown.complaint)
            )
            await open_or_push(client, body, modal)

        await on_clicked(body, action, respond, client, open_card)

    @app.action(ComplaintAction.ADD_DETAILS)
    async def add_details(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def open_form(actor: Actor, complaint_id: int) -> None:
            async with runtime.database.unit_of_work() as session:
                complaint = await service.get_complaint(session, actor.team_id, complaint_id)
                tags = await service.tags_of(session, complaint)
            if not service.may_edit(actor, complaint):
                raise PermissionDenied(
                    f"Only the owner <@{complaint.owner_id}>, the person who logged it or an admin can edit "
                    f"{service.label(complaint)}."
                )
            meta = ComplaintModalMeta(complaint_id=complaint.id)
            modal = complaint_views.complaint_modal(complaint_views.draft_of(complaint, tags), meta, editing=complaint)
            await open_or_push(client, body, modal)

        await on_clicked(body, action, respond, client, open_form)

    @app.action(re.compile(f"^{ComplaintAction.PAGE}_(prev|next)$"))
    async def page(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        filter_name, _, number = str(action.get("value") or "").partition("|")
        parsed = queries.parse_filter(f"{filter_name} page {number}")
        if parsed is None:
            return
        actor = await actor_of(runtime, client, body)
        async with runtime.database.unit_of_work() as session:
            shown = await queries.list_complaints(session, actor, parsed[0], parsed[1], runtime.now())
        await respond(replace_original=True, **complaint_views.complaint_list(shown))


def _message_ts(body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    return container.get("message_ts") if container.get("type") == "message" else None


async def _refresh(
    runtime: Runtime, body: dict[str, Any], client: AsyncWebClient, respond: Respond, complaint: Any, actor: Actor
) -> None:
    """Show the new state where the person clicked: the card modal, the Home tab, or the message."""
    container = body.get("container") or {}
    view = body.get("view") or {}
    if container.get("type") == "view" and view.get("type") == "modal":
        async with runtime.database.unit_of_work() as session:
            shown = await queries.detail(session, actor.team_id, complaint.id)
        modal = complaint_views.complaint_view_modal(shown, runtime.now(), can_act=service.may_act(actor, complaint))
        await client.views_update(view_id=view["id"], view=modal)
        await publish_home(runtime, client, actor.team_id, actor.user_id)
    elif view.get("type") == "home":
        await publish_home(runtime, client, actor.team_id, actor.user_id)
    elif body.get("response_url"):
        if container.get("is_ephemeral"):
            async with runtime.database.unit_of_work() as session:
                shown = await queries.detail(session, actor.team_id, complaint.id)
            detail = complaint_views.complaint_detail(shown, runtime.now(), can_act=service.may_act(actor, complaint))
            await respond(replace_original=True, **detail)
        else:
            message = body.get("message") or {}
            blocks = complaint_views.mark_in_post(message.get("blocks") or [], complaint)
            await respond(replace_original=True, text=message.get("text") or service.label(complaint), blocks=blocks)
