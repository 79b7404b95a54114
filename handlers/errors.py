"""The one error handler: the log gets the traceback, the person a short sentence, Slack a 200 or 500."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common import tell, warning

log = logging.getLogger("herobot.errors")

SORRY = "Something went wrong on our side and nothing was changed. Please try again in a moment."


def register(app: AsyncApp) -> None:
    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: Any,
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        log.exception("listener failed: %s", type(error).__name__, exc_info=error)
        try:
            if body.get("type") not in ("event_callback",):
                await tell(body, client, respond, warning(SORRY))
        except Exception:
            log.exception("could not tell the user about the failure")
        return response
