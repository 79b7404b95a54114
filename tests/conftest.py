"""Shared fixtures: a real database (SQLite file, and PostgreSQL when HERO_TEST_DATABASE_URL is set),
a fake Slack Web API server on loopback, and the real app served over HTTP with signed requests."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from bot.application import HeroApp, build_client, create_app
from bot.console import demo
from bot.console.emulator import Emulator, http_sender
from bot.console.fake_slack import FakeSlack
from bot.settings import Settings
from handlers import register_all
from storage.db import Database
from storage.models import Base

SIGNING_SECRET = "test-signing-secret"
OUTBOX_STOP_SECONDS = 5.0
_pg_prepared: set[str] = set()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per run; each test gets a copy, so every test starts from an empty, current schema."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "herobot.db"

    async def build() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await database.migrate()
        await database.dispose()

    asyncio.run(build())
    return path


def postgres_url() -> str:
    url = os.environ.get("HERO_TEST_DATABASE_URL", "").strip()
    on_ci = os.environ.get("CI", "").lower() == "true"
    if not url:
        if on_ci:
            pytest.fail("CI=true but HERO_TEST_DATABASE_URL is not set: the PostgreSQL tests must run on CI")
        pytest.skip("HERO_TEST_DATABASE_URL is not set")
    return url


async def _prepare_postgres(url: str) -> Database:
    on_ci = os.environ.get("CI", "").lower() == "true"
    database = Database(url, pool_size=5)
    try:
        async with database.engine.begin() as connection:
            if url not in _pg_prepared:
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:
        await database.dispose()
        if on_ci:
            pytest.fail(f"PostgreSQL at HERO_TEST_DATABASE_URL is unreachable on CI: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    if url not in _pg_prepared:
        await database.migrate()
        _pg_prepared.add(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def database(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "herobot.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        db = await _prepare_postgres(postgres_url())
    yield db
    await db.dispose()


@dataclass
class Harness:
    """The real app on loopback, a fake Slack beside it, and a Slack client emulator that signs requests."""

    hero: HeroApp
    fake: FakeSlack
    slack: Emulator
    database: Database
    settings: Settings
    url: str
    http: aiohttp.ClientSession
    process_before_response: bool = True
    servers: list[TestServer] = field(default_factory=list)

    async def restart(self, **overrides: Any) -> None:
        """Stop this instance and start a new one on the same database and the same fake Slack, as a deploy
        or a crash would: nothing survives in memory, only what the database and Slack hold. `overrides`
        change settings, as a redeploy with new configuration would."""
        await _stop(self.hero, self.servers[-1])
        if overrides:
            self.settings = self.settings.model_copy(update=overrides)
        self.hero, server = await _serve(self.settings, self.database, self.http, self.process_before_response)
        self.servers.append(server)
        self.url = str(server.make_url("")).rstrip("/")
        self.slack.send = http_sender(self.http, self.url + "/slack/events")

    async def post(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.http.post(self.url + path, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.http.get(self.url + path, **kwargs)


def test_settings(api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api_url,
        "hero_projects_channel": demo.PROJECTS,
        "hero_complaints_channel": demo.TRIAGE,
        "hero_crisis_channel": demo.CRISIS,
        "hero_it_review_channel": demo.IT_REVIEW,
        "hero_admins": demo.SAM,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


MakeHarness = Callable[..., Awaitable[Harness]]


async def _serve(
    settings: Settings, database: Database, http: aiohttp.ClientSession, process_before_response: bool
) -> tuple[HeroApp, TestServer]:
    hero = create_app(
        settings,
        database,
        register=register_all,
        client=build_client(settings, http),
        process_before_response=process_before_response,
    )
    server = TestServer(hero.web, host="127.0.0.1")
    await server.start_server()
    assert hero.runtime.outbox is not None
    await hero.runtime.outbox.start()
    return hero, server


async def _stop(hero: HeroApp, server: TestServer) -> None:
    """As `herobot serve` stops: no more requests, then the outbox's drainer (what it holds goes back)."""
    await server.close()
    if hero.runtime.outbox is not None:
        await hero.runtime.outbox.stop(OUTBOX_STOP_SECONDS)


@pytest.fixture
async def make_harness(database: Database) -> AsyncIterator[MakeHarness]:
    started: list[Harness] = []
    own_fakes: list[FakeSlack] = []
    own_databases: list[Database] = []

    async def make(
        *, process_before_response: bool = True, replica_of: Harness | None = None, **overrides: Any
    ) -> Harness:
        """The app on loopback with its own fake Slack — or, with `replica_of`, another replica of that app:
        its own Runtime, Bolt app, HTTP server and database pool, on the same database and the same fake
        Slack, with the same settings (changed by `overrides`), as a second `herobot serve` behind one URL."""
        if replica_of is None:
            fake = demo.demo_slack()
            settings = test_settings(await fake.start(), **overrides)
            own_fakes.append(fake)
            db = database
        else:
            fake = replica_of.fake
            settings = replica_of.settings.model_copy(update=overrides)
            db = database if database.is_sqlite else Database(database.url, pool_size=5)
            if db is not database:
                own_databases.append(db)
        http = aiohttp.ClientSession()
        hero, server = await _serve(settings, db, http, process_before_response)
        url = str(server.make_url("")).rstrip("/")
        send = http_sender(http, url + "/slack/events")
        slack = replica_of.slack.via(send) if replica_of else Emulator(fake, SIGNING_SECRET, send)
        harness = Harness(hero, fake, slack, db, settings, url, http, process_before_response, [server])
        started.append(harness)
        return harness

    yield make
    for harness in started:
        for server in harness.servers[:-1]:
            await server.close()
        await _stop(harness.hero, harness.servers[-1])
        await harness.http.close()
    for db in own_databases:
        await db.dispose()
    for fake in own_fakes:
        await fake.stop()
        assert not fake.problems, f"the bot called Slack wrongly: {fake.problems}"


@pytest.fixture
async def harness(make_harness: MakeHarness) -> Harness:
    return await make_harness()
