"""Message shortcut: Log social complaint — opens the complaint modal prefilled from the message."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import service
from bot.complaints import views as complaint_views
from bot.complaints.capture import draft_from_message
from bot.complaints.ids import ComplaintAction, ComplaintModalMeta
from bot.projects.views import notice_modal
from bot.runtime import Runtime
from handlers.common import actor_of
from handlers.complaints_flow import permalink
from storage.repositories.complaints import ComplaintRepository


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.shortcut(ComplaintAction.SHORTCUT_LOG)
    async def log_complaint_shortcut(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        ts = message.get("ts") or body.get("message_ts") or ""
        actor = await actor_of(runtime, client, body)
        async with runtime.database.unit_of_work() as session:
            known = await ComplaintRepository(session).find_known(actor.team_id, slack_messages=[(channel, ts)])
            tags = await service.tags_of(session, known[0]) if known else []
        if known:
            existing = known[0]
            if not service.may_edit(actor, existing):
                text = (
                    f":information_source: This message is already *{service.label(existing)}*, owned by "
                    f"{complaint_views.owner_text(existing)}. See it with `/complaint show {service.label(existing)}`."
                )
                await client.views_open(trigger_id=body["trigger_id"], view=notice_modal(text))
                return
            meta = ComplaintModalMeta(complaint_id=existing.id)
            note = f":information_source: This message is already *{service.label(existing)}*: saving updates it."
            view = complaint_views.complaint_modal(
                complaint_views.draft_of(existing, tags), meta, editing=existing, note=note
            )
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        link = await permalink(client, channel, ts) if channel and ts else None
        draft = draft_from_message(message.get("text") or "", channel=channel, ts=ts, permalink=link, source="shortcut")
        meta = ComplaintModalMeta(channel=channel or None, ts=ts or None, thread_ts=message.get("thread_ts"))
        await client.views_open(trigger_id=body["trigger_id"], view=complaint_views.complaint_modal(draft, meta))
