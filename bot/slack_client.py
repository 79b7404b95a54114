"""The Slack Web API client: one shared aiohttp session, retries, and a count of every call for /metrics."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import Metrics
from bot.settings import Settings


class InstrumentedWebClient(AsyncWebClient):
    """An AsyncWebClient that counts its calls and failures by method in the app's Metrics.

    Every Web API method of slack_sdk goes through `api_call`, so this one override sees them all.
    """

    metrics: Metrics | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.monotonic()
        error: str | None = None
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as failure:
            error = str(failure.response.get("error") or f"http_{failure.response.status_code}")
            raise
        except Exception as failure:
            error = type(failure).__name__
            raise
        finally:
            if self.metrics is not None:
                self.metrics.api_called(api_method, error, time.monotonic() - started)


def build_client(settings: Settings, session: aiohttp.ClientSession | None, token: str | None = None) -> AsyncWebClient:
    """The one Web API client: shared aiohttp session, retries on connection errors, 429 and 5xx."""
    secret = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token is not None else None
    return InstrumentedWebClient(
        token=token if token is not None else secret,
        base_url=settings.slack_api_url,
        session=session,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def copy_client(
    client: AsyncWebClient, metrics: Metrics | None, *, token: str | None = None, team_id: str | None = None
) -> InstrumentedWebClient:
    """A client like `client` (same URL, session and retries) that reports to `metrics`, as Bolt copies per request."""
    copied = InstrumentedWebClient(
        token=token if token is not None else client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=dict(client.headers),
        team_id=team_id if team_id is not None else client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers) if client.retry_handlers is not None else None,
    )
    copied.metrics = metrics
    return copied
