"""*Acknowledge* on a crisis alert: anyone in the crisis channel may; the first one is recorded and shown."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import crisis, crisis_store
from bot.complaints.crisis_views import already_acknowledged
from bot.complaints.routing_ids import CrisisAction
from bot.ids import parse_record_number
from bot.runtime import Runtime
from handlers.common import Respond, team_of, tell, user_of, warning


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(CrisisAction.ACKNOWLEDGE)
    async def acknowledge(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        alert_id = parse_record_number(action.get("value"))
        if alert_id is None:  # only a rewritten payload carries anything else
            return
        team_id, user_id = team_of(body), user_of(body)
        window = runtime.settings.crisis_threshold.window
        async with runtime.database.unit_of_work() as session:
            alert, counted = await crisis_store.acknowledge(session, team_id, alert_id, user_id, runtime.now())
            shown = await crisis_store.summary(session, alert, window) if alert is not None else None
        if shown is None:
            await tell(body, client, respond, warning("This crisis alert no longer exists."))
            return
        if counted:
            await crisis.refresh(runtime, client, team_id, shown.alert_id)
        elif shown.acknowledged_by != user_id:
            await tell(body, client, respond, already_acknowledged(shown))
