"""Submission of the complaint modal: a new complaint from the message shortcut, or edited details."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import lifecycle, service
from bot.complaints import views as complaint_views
from bot.complaints.ids import ComplaintAction, ComplaintModalMeta
from bot.complaints.service import Logged
from bot.errors import InvalidInput, UserError
from bot.projects.views import notice_modal
from bot.runtime import Runtime
from handlers.common import actor_of, log, post_safely, team_of, user_of
from handlers.complaints_flow import announce, log_drafts, refresh_owner_card, reply_in_thread

FIELDS = ("text", "url", "network", "author", "severity", "tags", "region")


async def _refuse(ack: Any, error: UserError) -> None:
    field = error.field if isinstance(error, InvalidInput) and error.field in FIELDS else "text"
    await ack(response_action="errors", errors={field: str(error)})


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.view(ComplaintAction.MODAL)
    async def complaint_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        meta = ComplaintModalMeta.model_validate_json(view.get("private_metadata") or "{}")
        draft = complaint_views.draft_from_state(view["state"]["values"])
        if meta.complaint_id is not None:
            await _edit(ack, body, client, meta.complaint_id, draft)
        else:
            await _log(ack, body, client, meta, draft)

    async def _log(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, meta: ComplaintModalMeta, draft: service.ComplaintDraft
    ) -> None:
        draft.slack_channel, draft.slack_ts, draft.source = meta.channel, meta.ts, "shortcut"
        try:
            clean = draft.validated()
        except UserError as error:
            await _refuse(ack, error)
            return
        team_id = team_of(body)
        logged = (await log_drafts(runtime, client, team_id, user_of(body), [clean]))[0]
        if not logged.created:
            already = (
                f":information_source: This is already *{service.label(logged.complaint)}*: nothing new was logged."
            )
            await ack(response_action="update", view=notice_modal(already))
            return
        await ack()
        await _reply(client, meta, logged)
        await announce(runtime, [logged])

    async def _reply(client: AsyncWebClient, meta: ComplaintModalMeta, logged: Logged) -> None:
        payload = complaint_views.logged_reply(logged, runtime.now(), add_details=False)
        if meta.channel and meta.ts:
            await reply_in_thread(runtime, client, logged.complaint, meta.channel, meta.thread_ts or meta.ts, payload)
        else:
            await post_safely(client, logged.complaint.created_by, payload)

    async def _edit(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, complaint_id: int, draft: service.ComplaintDraft
    ) -> None:
        actor = await actor_of(runtime, client, body)
        try:
            async with runtime.database.unit_of_work() as session:
                complaint, tags = await lifecycle.update_details(session, runtime, actor, complaint_id, draft)
        except UserError as error:
            await _refuse(ack, error)
            return
        await ack()
        if complaint.slack_channel and complaint.thread_ts:
            reply = complaint_views.logged_reply(Logged(complaint, tags, created=True), runtime.now(), add_details=True)
            try:
                await client.chat_update(channel=complaint.slack_channel, ts=complaint.thread_ts, **reply)
            except SlackApiError as error:
                log.info("could not update the thread reply of %s: %s", complaint.id, error.response.get("error"))
        await _confirm(client, complaint.slack_channel, actor.user_id, complaint_views.details_saved(complaint))
        await refresh_owner_card(runtime, client, complaint)


async def _confirm(client: AsyncWebClient, channel_id: str | None, user_id: str, payload: dict[str, Any]) -> None:
    """Confirm ephemerally in the complaint's channel, or by DM when that channel can't be used."""
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info("ephemeral confirmation in %s failed (%s); sending a DM", channel_id, error.response.get("error"))
    await post_safely(client, user_id, payload)
