"""The buttons of the delete confirmation. The admin check is made again here: a button can be forged."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.councils import service
from bot.councils import views as council_views
from bot.councils.scheduling import unschedule
from bot.errors import UserError
from bot.ids import CouncilAction
from bot.runtime import Runtime
from handlers.common import Respond, actor_of, tell, warning


def _council_id(action: dict[str, Any]) -> int | None:
    value = str(action.get("value") or "")
    return int(value) if value.isdigit() else None


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(CouncilAction.DELETE)
    async def delete_confirmed(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        actor = await actor_of(runtime, client, body)
        council_id = _council_id(action)
        try:
            if council_id is None:
                raise UserError("That button is broken; use `/council delete <name>` again.")
            async with runtime.database.unit_of_work() as session:
                council = await service.delete_council(session, actor, council_id)
        except UserError as error:
            await tell(body, client, respond, warning(str(error)))
            return
        unschedule(runtime, council_id)
        text = f":wastebasket: Deleted the council *{council.name}*; its digests stop."
        await respond(replace_original=True, **council_views.notice(text))

    @app.action(CouncilAction.KEEP)
    async def delete_cancelled(ack: Any, respond: Respond) -> None:
        await ack()
        await respond(replace_original=True, **council_views.notice("Kept the council; nothing changed."))
