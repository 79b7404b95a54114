"""Submissions of the council modal (new and edit). Invalid fields get inline errors; the admin check is
made on the server, whatever the payload says."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.councils import service
from bot.councils import views as council_views
from bot.councils.channel import ensure_member
from bot.councils.scheduling import reschedule
from bot.councils.views import CouncilModalMeta, draft_from_state
from bot.errors import InvalidInput, UserError
from bot.ids import CouncilAction
from bot.runtime import Runtime
from handlers.common import actor_of, log, post_safely


def _meta(view: dict[str, Any]) -> CouncilModalMeta:
    try:
        return CouncilModalMeta.model_validate_json(view.get("private_metadata") or "{}")
    except ValueError:
        return CouncilModalMeta()


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.view(CouncilAction.CREATE_MODAL)
    async def council_created(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        await _saved(runtime, ack, body, view, client, editing=False)

    @app.view(CouncilAction.EDIT_MODAL)
    async def council_edited(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        await _saved(runtime, ack, body, view, client, editing=True)


async def _saved(
    runtime: Runtime, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, *, editing: bool
) -> None:
    actor = await actor_of(runtime, client, body)
    meta = _meta(view)
    draft = draft_from_state(view.get("state", {}).get("values", {}))
    try:
        async with runtime.database.unit_of_work() as session:
            if editing:
                if meta.council_id is None:
                    raise InvalidInput("This form lost track of its council; open it again with `/council edit`.")
                council = await service.update_council(session, actor, meta.council_id, draft, now=runtime.now())
            else:
                council = await service.create_council(session, actor, draft, now=runtime.now())
    except UserError as error:
        field = error.field if isinstance(error, InvalidInput) and error.field else "name"
        await ack(response_action="errors", errors={field: str(error)})
        return
    await ack()
    reschedule(runtime, council)
    note = await ensure_member(client, council.channel_id)
    confirmation = council_views.saved_confirmation(council, runtime.now(), created=not editing, channel_note=note)
    await _confirm(client, meta.channel_id, actor.user_id, confirmation)


async def _confirm(client: AsyncWebClient, channel_id: str | None, user_id: str, payload: dict[str, Any]) -> None:
    """Confirm ephemerally where the admin typed the command, or by DM when that channel can't be used."""
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info("ephemeral confirmation in %s failed (%s); sending a DM", channel_id, error.response.get("error"))
    await post_safely(client, user_id, payload)
