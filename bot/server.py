"""Running the bot: `herobot serve` (HTTP) and `herobot socket` (Socket Mode), and stopping it gracefully.

Both serve /healthz and /metrics (and the OAuth install routes) on HOST:PORT and run the scheduler.
On SIGTERM or SIGINT: no new runs are fired, the socket takes no new envelopes once the ones being
answered are acked, the HTTP server stops accepting and waits for requests in flight, then the work
they and the jobs started (Bolt finishes a listener after its ack) gets up to SHUTDOWN_SECONDS to end.
The outbox's drainer stops last, with what is left of that time: notices it could not send by then stay
in the database for the next start (or another instance).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.application import HeroApp, Register, create_app
from bot.inflight import InFlight
from bot.runtime import MetricSource
from bot.scheduler import JobSource, Scheduler
from bot.settings import ConfigurationError, Settings
from bot.slack_client import build_client
from storage.db import Database
from storage.repositories.folding import migrate_and_fold

log = logging.getLogger("herobot")

# Under the 30 s most orchestrators wait between SIGTERM and SIGKILL.
SHUTDOWN_SECONDS = 25.0


async def serve(
    settings: Settings,
    register: Register,
    *,
    jobs: Sequence[JobSource] = (),
    metric_sources: Sequence[MetricSource] = (),
    stop: asyncio.Event | None = None,
) -> None:
    settings.check_for("serve")
    database = Database(settings.database_url)
    try:
        await _migrate_open(database)
        async with aiohttp.ClientSession() as http_session:
            client = build_client(settings, http_session)
            hero = create_app(settings, database, register=register, client=client, metric_sources=metric_sources)
            await _operate(hero, settings, jobs, stop)
    finally:
        await database.dispose()


async def run_socket(
    settings: Settings,
    register: Register,
    *,
    jobs: Sequence[JobSource] = (),
    metric_sources: Sequence[MetricSource] = (),
    stop: asyncio.Event | None = None,
) -> None:
    settings.check_for("socket")
    assert settings.slack_app_token is not None
    app_token = settings.slack_app_token.get_secret_value()
    database = Database(settings.database_url)
    try:
        await _migrate_open(database)
        async with aiohttp.ClientSession() as http_session:
            client = build_client(settings, http_session)
            hero = create_app(
                settings, database, register=register, client=client, socket_mode=True, metric_sources=metric_sources
            )
            await _check_app_token(hero, app_token)
            handler = AsyncSocketModeHandler(hero.bolt, app_token, web_client=hero.runtime.client)
            await _operate(hero, settings, jobs, stop, socket=handler)
    finally:
        await database.dispose()


def _freeze_startup_objects() -> None:
    """What start-up built (modules, table metadata, compiled statements, Bolt's listeners) lives as long as
    the process: moved out of the garbage collector's reach, the collector's full passes stay short, and
    their pauses stop showing in the slowest acks."""
    gc.collect()
    gc.freeze()


async def _check_app_token(hero: HeroApp, app_token: str) -> None:
    """Refuse a wrong app token at once: the socket client would otherwise retry it forever."""
    try:
        await hero.runtime.client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        raise ConfigurationError(f"SLACK_APP_TOKEN: Slack refused it ({error.response.get('error')})") from None
    except aiohttp.ClientError as error:
        raise ConfigurationError(f"SLACK_API_URL: cannot reach Slack ({type(error).__name__}: {error})") from None


async def _operate(
    hero: HeroApp,
    settings: Settings,
    jobs: Sequence[JobSource],
    stop: asyncio.Event | None,
    *,
    socket: AsyncSocketModeHandler | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    in_flight = hero.runtime.in_flight
    previous_factory = in_flight.install(loop)
    runner = web.AppRunner(hero.web, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as error:
        # Nothing was started yet: the one line naming the variable is all the operator should see.
        await runner.cleanup()
        InFlight.uninstall(loop, previous_factory)
        raise ConfigurationError(_cannot_listen(settings, error)) from None
    scheduler = Scheduler(hero.runtime)
    outbox = hero.runtime.outbox
    assert outbox is not None
    _freeze_startup_objects()
    try:
        scheduler.start(list(jobs))
        await outbox.start()
        if socket is not None:
            await socket.connect_async()
            log.info("herobot is connected over Socket Mode; health and metrics on port %s", settings.port)
        else:
            log.info("herobot is listening on http://%s:%s/slack/events", settings.host, settings.port)
        await (stop.wait() if stop is not None else _until_signalled())
        log.info("stopping: finishing the requests and jobs in flight", extra={"timeout_s": SHUTDOWN_SECONDS})
    finally:
        stopping_by = loop.time() + SHUTDOWN_SECONDS
        scheduler.pause()
        if socket is not None:
            # An ack must go back over the socket its envelope came by: let those being answered finish first.
            await _wait(hero.bolt.answering(), SHUTDOWN_SECONDS)
            await socket.close_async()
        await runner.cleanup()
        unfinished = await scheduler.stop(SHUTDOWN_SECONDS)
        await outbox.stop(stopping_by - loop.time())
        InFlight.uninstall(loop, previous_factory)
        log.info("stopped", extra={"unfinished": unfinished})


def _cannot_listen(settings: Settings, error: OSError) -> str:
    """Which variable to fix: HOST when the address is unknown or not this machine's, else PORT (in use, privileged)."""
    bad_host = isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL
    return (
        f"{'HOST' if bad_host else 'PORT'}: cannot listen on {settings.host}:{settings.port} "
        f"({error.strerror or error})"
    )


async def _wait(tasks: set[asyncio.Task[Any]], within: float) -> None:
    if tasks:
        await asyncio.wait(tasks, timeout=within)


async def _until_signalled() -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        # A second Ctrl-C during the graceful stop interrupts at once.
        for signum in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)


async def _migrate_open(database: Database) -> None:
    try:
        await migrate_and_fold(database)
    except Exception as error:
        raise ConfigurationError(
            f"DATABASE_URL: cannot reach or migrate the database ({type(error).__name__}: {error})"
        ) from None
