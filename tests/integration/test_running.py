"""`herobot serve` and `herobot socket` as an operator runs them: health and metrics on PORT, Socket Mode
over a WebSocket, the scheduler running, and a graceful stop that finishes the work in flight."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.cli import main
from bot.console import demo
from bot.console.emulator import Emulator, http_sender, socket_sender
from bot.console.fake_slack import FakeSlack
from bot.projects import metrics as project_metrics
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.server import run_socket, serve
from handlers import register_all
from storage.db import Database
from storage.models import Project
from tests import conftest
from tests.conftest import SIGNING_SECRET

Runner = Callable[..., Awaitable[None]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running(run: Runner, database: Database, fake: FakeSlack, **options: Any) -> AsyncIterator[str]:
    """Run `serve` or `run_socket` until the block ends, then stop it as SIGTERM would; yields its base URL."""
    api_url = fake.base_url + "/api/"
    port = free_port()
    overrides = {"host": "127.0.0.1", "port": port, "database_url": database.url, **options.pop("settings", {})}
    settings = conftest.test_settings(api_url, **overrides)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, register_all, stop=stop, **options))
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if task.done():
                await task
            try:
                async with http.get(url + "/healthz") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
    try:
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = demo.demo_slack()
    await slack.start()
    yield slack
    await slack.stop()
    assert not slack.problems, slack.problems


async def stored_titles(database: Database) -> list[str]:
    async with database.unit_of_work() as session:
        return [p.title for p in (await session.scalars(select(Project).order_by(Project.id))).all()]


async def test_socket_mode_answers_over_the_socket_and_serves_health_and_metrics(
    database: Database, fake: FakeSlack
) -> None:
    socket_mode = {"slack_app_token": "xapp-1-test", "slack_signing_secret": None}
    async with (
        running(
            run_socket, database, fake, settings=socket_mode, metric_sources=[project_metrics.register_metrics]
        ) as url,
        aiohttp.ClientSession() as http,
    ):
        await fake.wait_for_socket()
        slack = Emulator(fake, "Socket Mode requests are not signed", socket_sender(fake))
        await slack.slash(demo.MAYA, "/hero", "new Refund tweets")
        await fake.wait_for(lambda: fake.ephemerals)  # answered after the ack, by response_url
        assert fake.ephemerals[-1].text == "Logged HERO-1: Refund tweets"
        await fake.wait_for(lambda: fake.messages.get(demo.PROJECTS))
        await slack.open_home(demo.MAYA)
        await fake.wait_for(lambda: demo.MAYA in fake.homes)

        async with http.get(url + "/healthz") as health:
            assert health.status == 200
        async with http.get(url + "/metrics") as scraped:
            text = await scraped.text()
        assert 'herobot_slack_requests_total{kind="command",status="200"} 1.0' in text
        assert 'herobot_slack_requests_total{kind="event",status="200"} 1.0' in text
        assert 'herobot_projects{stage="proposed"} 1.0' in text
        async with http.post(url + "/slack/events", data=b"{}") as events:
            assert events.status in (404, 405)  # Slack's requests come by the socket, not over HTTP
        opened = [call.token for call in fake.calls if call.method == "apps.connections.open"]
        assert opened == ["xapp-1-test"] * 2  # the start-up check, then the socket's own
    assert fake.sockets == []
    assert await stored_titles(database) == ["Refund tweets"]


async def test_socket_mode_refuses_an_app_token_slack_rejects(database: Database, fake: FakeSlack) -> None:
    fake.fail("apps.connections.open", 200)  # answered ok: false, as Slack does for a revoked token
    from bot.settings import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"^SLACK_APP_TOKEN: Slack refused it"):
        async with running(run_socket, database, fake, settings={"slack_app_token": "xapp-1-revoked"}):
            pass


async def test_serve_finishes_the_work_in_flight_when_stopped(database: Database, fake: FakeSlack) -> None:
    # The announcement's first attempt hangs, fails and is retried: it goes out well after the ack.
    fake.fail("chat.postMessage", 500, hang_seconds=0.5)
    started, finished = asyncio.Event(), []

    async def slow_job(runtime: Runtime) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(runtime.now())

    def jobs(scheduler: Scheduler) -> None:
        scheduler.every("slow", 0.05, slow_job)

    async with (
        running(serve, database, fake, jobs=[jobs]) as url,
        aiohttp.ClientSession() as http,
    ):
        slack = Emulator(fake, SIGNING_SECRET, http_sender(http, url + "/slack/events"))
        reply = await slack.slash(demo.MAYA, "/hero", "new Refund tweets")
        assert reply.status == 200
        assert fake.messages.get(demo.PROJECTS) is None  # acked first; the rest is still running
        await asyncio.wait_for(started.wait(), 5)
    # Stopped: the announcement and the job's run both finished first.
    assert [m.text for m in fake.messages[demo.PROJECTS]] == ["New HERO project HERO-1: Refund tweets"]
    assert len(finished) >= 1
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http, http.get(url + "/healthz"):
            pass


def test_socket_without_the_app_token_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["socket"], register=register_all) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "herobot: configuration error: SLACK_APP_TOKEN: required for `herobot socket` but not set "
        "(an app-level token, xapp-…, with the connections:write scope)"
    ]


def test_serve_with_half_the_oauth_credentials_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.delenv("SLACK_CLIENT_SECRET", raising=False)
    assert main(["serve"], register=register_all) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("herobot: configuration error: SLACK_CLIENT_SECRET: required with")


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    """`herobot manifest | head -1`: the reader closing the pipe is no error worth a traceback."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/pipe.db"}
    command = [sys.executable, str(root / "app.py"), "manifest", "--format", "yaml"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipe" not in errors
