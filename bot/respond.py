"""`respond()` over the shared aiohttp session.

Bolt's own respond() opens a new HTTP session for every reply to a response_url; under load that
costs more than the rest of a command. This one reuses the Web API client's session.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient


class PooledRespond(AsyncRespond):
    def __init__(self, *, response_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        message = _build_message(**text) if isinstance(text, dict) else _build_message(text=text, **fields)
        client = AsyncWebhookClient(url=str(self.response_url), session=self.session, timeout=10)
        return await client.send_dict(message)


def response_url_of(body: dict[str, Any]) -> str | None:
    if body.get("response_url"):
        return str(body["response_url"])
    urls = body.get("response_urls") or []
    return str(urls[0]["response_url"]) if urls and urls[0].get("response_url") else None
