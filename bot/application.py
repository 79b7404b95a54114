"""Builds the running bot: Bolt's AsyncApp inside one aiohttp web.Application, with one shared Slack client.

The listeners are handed in (`register`), so this module depends only on the product and storage;
the composition root (`app.py`) passes `handlers.register_all`.

One workspace (SLACK_BOT_TOKEN) or many (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET): with OAuth, Bolt
authorizes each request from the installation store in our database and hands listeners a client with
that workspace's token; `/slack/install` and `/slack/oauth_redirect` run the install flow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.ack_runner import PromptAckRunner
from bot.complaints.outbox import Outbox
from bot.directory import Directory
from bot.logs import bind_request, current_request_id, new_request_id
from bot.metrics import Metrics
from bot.replay import ReplayGuard
from bot.respond import PooledRespond, response_url_of
from bot.runtime import MetricSource, Runtime
from bot.settings import Settings
from bot.slack_client import InstrumentedWebClient, build_client, copy_client
from bot.workspaces import InstalledWorkspaces, SingleWorkspace
from storage.db import Database

__all__ = [
    "RUNTIME_KEY",
    "SLACK_EVENTS_MAX_BYTES",
    "HeroApp",
    "Register",
    "build_client",
    "create_app",
    "request_kind",
]

log = logging.getLogger("herobot")
request_log = logging.getLogger("herobot.requests")

Register = Callable[[AsyncApp, web.Application, Runtime], None]

RUNTIME_KEY = web.AppKey("runtime", Runtime)
BOLT_KEY = web.AppKey("bolt", AsyncApp)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
OAUTH_STATE_SECONDS = 600
MAX_KEPT_CLIENTS = 1000  # workspaces whose Web API clients are kept between requests

# The largest request body served (aiohttp answers 413 past it). Slack's biggest payloads for this bot are
# clicks in a full modal or Home tab (the whole view comes along): a few hundred kilobytes at most.
SLACK_EVENTS_MAX_BYTES = 1024 * 1024


@dataclass
class HeroApp:
    bolt: HeroBolt
    web: web.Application
    runtime: Runtime


def request_kind(body: dict[str, Any]) -> str:
    """What a Slack request is, as a small fixed set of labels for logs and metrics."""
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind in ("block_actions", "interactive_message", "attachment_action"):
        return "action"
    if kind in ("view_submission", "view_closed"):
        return "view"
    if kind in ("shortcut", "message_action"):
        return "shortcut"
    if kind in ("block_suggestion", "dialog_suggestion"):
        return "options"
    if kind == "event_callback":
        return "event"
    if kind == "url_verification" or body.get("ssl_check"):
        return "check"
    return "other"


class HeroBolt(AsyncApp):
    """Bolt's AsyncApp, timing each answer to Slack (HTTP and Socket Mode alike) and binding its ids to the logs.

    `async_dispatch` is what every adapter calls and returns once the listener has acked, so the time it
    takes is the ack latency Slack sees.
    """

    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self._async_listener_runner = PromptAckRunner(self._async_listener_runner)
        self._answering: set[asyncio.Task[Any]] = set()

    def answering(self) -> set[asyncio.Task[Any]]:
        """The requests being answered right now (before their ack)."""
        return {task for task in self._answering if not task.done()}

    def _register_listener(
        self, functions: Any, primary_matcher: AsyncListenerMatcher, *args: Any, **kwargs: Any
    ) -> Any:
        if isinstance(primary_matcher, AsyncBuiltinListenerMatcher) and primary_matcher.arg_names == ["body"]:
            primary_matcher = _BodyMatcher(primary_matcher)
        return super()._register_listener(functions, primary_matcher, *args, **kwargs)

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        kind = request_kind(req.body if isinstance(req.body, dict) else {})
        started = time.monotonic()
        request_id = current_request_id() or new_request_id()
        task = asyncio.current_task()
        if task is not None:
            self._answering.add(task)
        with (
            self.runtime.in_flight.track(),
            bind_request(request_id=request_id, team_id=req.context.team_id, user_id=req.context.user_id, kind=kind),
        ):
            try:
                response = await super().async_dispatch(req)
            finally:
                if task is not None:
                    self._answering.discard(task)
            elapsed = time.monotonic() - started
            self.runtime.metrics.request_answered(kind, response.status, elapsed)
            request_log.info(
                "answered slack request",
                extra={"status": response.status, "ack_ms": round(elapsed * 1000, 1), "mode": req.mode},
            )
        return response


class _BodyMatcher(AsyncListenerMatcher):
    """Bolt's built-in matcher (this command, that action id…), called with the body alone.

    Bolt tries each listener's matcher in turn until one matches, and calls a built-in matcher with
    every argument a listener could ask for, assembled anew each time (the action, view, command,
    event… each parsed out of the body): with this bot's sixty listeners that was a tenth of a
    short request's work. The built-in matchers only ever read the body.
    """

    def __init__(self, builtin: AsyncBuiltinListenerMatcher) -> None:
        self.func = builtin.func

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        return bool(await self.func(body=req.body))  # type: ignore[misc]


def authorize_url(api_url: str) -> str:
    """Slack's authorize page beside its Web API (https://slack.com/api/ → https://slack.com/oauth/v2/authorize)."""
    return urljoin(api_url, "../oauth/v2/authorize")


def _oauth_settings(settings: Settings, database: Database) -> AsyncOAuthSettings:
    assert settings.slack_client_id and settings.slack_client_secret is not None
    logger = logging.getLogger("herobot.oauth")
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=settings.oauth_scopes,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # /slack/install goes straight to Slack's consent page: the link an admin follows to add the bot.
        install_page_rendering_enabled=False,
        authorization_url=authorize_url(settings.slack_api_url),
        installation_store=AsyncSQLAlchemyInstallationStore(
            client_id=settings.slack_client_id, engine=database.engine, logger=logger
        ),
        state_store=AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=OAUTH_STATE_SECONDS, engine=database.engine, logger=logger
        ),
        state_expiration_seconds=OAUTH_STATE_SECONDS,
        logger=logger,
    )


class _TokenSkippedFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client we pass wins; it holds that same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("herobot.bolt")
    if not any(isinstance(f, _TokenSkippedFilter) for f in logger.filters):
        logger.addFilter(_TokenSkippedFilter())
    return logger


def create_app(
    settings: Settings,
    database: Database,
    *,
    register: Register,
    client: AsyncWebClient | None = None,
    process_before_response: bool = False,
    runtime: Runtime | None = None,
    socket_mode: bool = False,
    metric_sources: Sequence[MetricSource] = (),
) -> HeroApp:
    """The Bolt app and the aiohttp application serving /slack/events and the bot's own routes.

    `process_before_response=True` makes each HTTP answer wait for its whole listener: the console and
    the tests use it so a request's effects are visible when it returns; production acks first.
    In Socket Mode Slack's requests arrive over the socket: no /slack/events route.
    """
    client = client or build_client(settings, None)
    runtime = runtime or Runtime(settings=settings, database=database, client=client, directory=Directory(settings))
    runtime.client = copy_client(client, runtime.metrics)
    runtime.outbox = runtime.outbox or Outbox(runtime)
    oauth = _oauth_settings(settings, database) if settings.oauth_enabled else None
    bolt = HeroBolt(
        runtime,
        client=runtime.client,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "",
        process_before_response=process_before_response,
        logger=_bolt_logger(),
        ignoring_self_events_enabled=True,
        oauth_settings=oauth,
    )
    if oauth is not None:
        store = oauth.installation_store
        assert isinstance(store, AsyncSQLAlchemyInstallationStore)
        runtime.workspaces = InstalledWorkspaces(store, runtime.client, runtime.metrics)
        # Uninstalling the app or revoking its token deletes that workspace's installation.
        bolt.enable_token_revocation_listeners()
    else:
        runtime.workspaces = SingleWorkspace(runtime.client)
        _log_lifecycle_events(bolt)
    bolt.use(_RequestClients(runtime.metrics, client.session))

    web_app = web.Application(client_max_size=SLACK_EVENTS_MAX_BYTES, middlewares=[_request_ids])
    web_app[RUNTIME_KEY] = runtime
    web_app[BOLT_KEY] = bolt
    if not socket_mode:
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        web_app.router.add_post("/slack/events", _slack_events(bolt, ReplayGuard(secret)))
    if bolt.oauth_flow is not None:
        _add_install_routes(web_app, bolt.oauth_flow)
    for source in metric_sources:
        source(runtime)
    register(bolt, web_app, runtime)
    return HeroApp(bolt=bolt, web=web_app, runtime=runtime)


def _slack_events(bolt: AsyncApp, replays: ReplayGuard) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        if replays.replayed(bolt_request.raw_body, bolt_request.headers):
            return web.Response(status=401, text="")
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    return slack_events


def _add_install_routes(web_app: web.Application, flow: AsyncOAuthFlow) -> None:
    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def oauth_redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    web_app.router.add_get(INSTALL_PATH, install)
    web_app.router.add_get(REDIRECT_PATH, oauth_redirect)


@web.middleware
async def _request_ids(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    """Every HTTP request gets an id (the load balancer's X-Request-Id when given) on its log lines and answer."""
    request_id = new_request_id(request.headers.get("X-Request-Id"))
    with bind_request(request_id=request_id):
        response = await handler(request)
    response.headers["X-Request-Id"] = request_id
    return response


class _RequestClients(AsyncMiddleware):
    """What a listener talks to Slack with: a Web API client that counts its calls for /metrics, and a
    `respond` that reuses the shared HTTP session (Bolt's own opens one per reply).

    Bolt builds a plain client per request; it is swapped for a counting one per workspace token, kept:
    building a client reads the proxy variables from the environment, which cost more than the rest of a
    short request's Bolt work. Nothing changes a client once Bolt has authorized the request, so requests
    of one workspace can share it. A middleware class rather than a function: Bolt calls a function
    middleware with arguments it assembles for each request.
    """

    def __init__(self, metrics: Metrics, session: Any) -> None:
        self.metrics = metrics
        self.session = session
        self.clients: dict[tuple[str | None, str | None], InstrumentedWebClient] = {}

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        context = req.context
        plain = context.client
        key = (plain.token, plain.default_params.get("team_id"))
        client = self.clients.get(key)
        if client is None:
            if len(self.clients) >= MAX_KEPT_CLIENTS:
                self.clients.clear()
            client = self.clients[key] = copy_client(plain, self.metrics)
        context["client"] = client
        if self.session is not None:
            url = response_url_of(req.body)
            if url:
                context["respond"] = PooledRespond(response_url=url, session=self.session)
        return await next()


def _log_lifecycle_events(bolt: AsyncApp) -> None:
    async def uninstalled(body: dict[str, Any]) -> None:
        log.warning("the app was uninstalled from workspace %s; SLACK_BOT_TOKEN no longer works", body.get("team_id"))

    async def revoked(body: dict[str, Any]) -> None:
        log.warning(
            "Slack revoked tokens of workspace %s: %s", body.get("team_id"), body.get("event", {}).get("tokens")
        )

    bolt.event("app_uninstalled")(uninstalled)
    bolt.event("tokens_revoked")(revoked)
