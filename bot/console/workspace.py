"""The console's workspace: the fake Slack on loopback, the real app in-process, a clock and the jobs.

The app is the one `herobot serve` runs — same settings parsing, listeners, services, database and
outbox drainer — built with `process_before_response=True`, so when a console line returns, everything
the bot does about it has happened. Requests go straight into Bolt's dispatcher, signed as Slack signs them.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.engine import make_url

from bot.application import HeroApp, Register, build_client, create_app
from bot.console import demo
from bot.console.emulator import Emulator, in_process_sender
from bot.console.fake_slack import FakeSlack
from bot.runtime import Runtime
from bot.scheduler import Job, JobSource, Scheduler
from bot.settings import ConfigurationError, Settings, load_settings
from storage.db import Database
from storage.models import utcnow
from storage.repositories.folding import migrate_and_fold

CONSOLE_DATABASE_URL = "sqlite+aiosqlite:///./herobot-console.db"
# Leaving the console: notices still being sent get this long; the rest wait in the database for next time.
OUTBOX_STOP_SECONDS = 5.0


class Clock:
    """The bot's clock in the console: real time plus however far `clock +2h` moved it."""

    def __init__(self, real: Callable[[], datetime] = utcnow) -> None:
        self.real = real
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.real() + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta | None:
    """`+2h`, `+1d12h`, `+90m`, `+30s`, `+1w` → a positive timedelta; anything else → None."""
    text = text.strip().removeprefix("+").replace(" ", "")
    if not text or _DURATION.sub("", text):
        return None
    seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION.findall(text))
    return timedelta(seconds=seconds) if 0 < seconds <= 366 * 86400 else None


@dataclass
class PlannedJob:
    job_id: str
    job: Job
    next_run: datetime | None
    interval: timedelta | None = None
    trigger: BaseTrigger | None = None


class ManualScheduler(Scheduler):
    """The same job registry as `Scheduler`, but jobs run only when the console says `tick`.

    Due times follow the console's clock, so `clock +2h` then `tick` runs what two hours make due.
    """

    def __init__(self, runtime: Runtime, clock: Clock) -> None:
        super().__init__(runtime)
        self.clock = clock
        self.jobs: dict[str, PlannedJob] = {}

    def every(self, job_id: str, seconds: float, job: Job) -> None:
        interval = timedelta(seconds=seconds)
        self.jobs[job_id] = PlannedJob(job_id, job, self.clock.now() + interval, interval=interval)

    def on(self, job_id: str, trigger: BaseTrigger, job: Job) -> None:
        self.jobs[job_id] = PlannedJob(job_id, job, trigger.get_next_fire_time(None, self.clock.now()), trigger=trigger)

    def remove(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    def job_ids(self, prefix: str = "") -> set[str]:
        return {job_id for job_id in self.jobs if job_id.startswith(prefix)}

    def start(self, sources: list[JobSource]) -> None:
        for source in sources:
            source(self)

    def shutdown(self) -> None:
        self.jobs.clear()

    def due(self) -> list[PlannedJob]:
        now = self.clock.now()
        return [p for p in self.jobs.values() if p.next_run is not None and p.next_run <= now]

    async def tick(self) -> list[str]:
        """Run each due job once (missed runs coalesce into one, as in production); their ids."""
        ran: list[str] = []
        for planned in self.due():
            now = self.clock.now()
            await self._run(planned.job_id, planned.job)
            ran.append(planned.job_id)
            if planned.interval is not None:
                planned.next_run = now + planned.interval
            elif planned.trigger is not None:
                planned.next_run = planned.trigger.get_next_fire_time(planned.next_run, now)
        return ran


@dataclass
class Workspace:
    fake: FakeSlack
    hero: HeroApp
    slack: Emulator
    clock: Clock
    scheduler: ManualScheduler
    database_label: str

    @property
    def runtime(self) -> Runtime:
        return self.hero.runtime

    @property
    def settings(self) -> Settings:
        return self.hero.runtime.settings


def choose_database(*, explicit: str | None, demo_run: bool, scratch: Path) -> tuple[str, str]:
    """Which database the console uses, and how to name it to the person.

    The demo always gets a throwaway file, so it runs the same every time and never touches data
    you made; otherwise DATABASE_URL when set, else the console's own file beside the bot's default.
    """
    if explicit:
        return explicit, _label(explicit)
    if demo_run:
        return f"sqlite+aiosqlite:///{scratch / 'demo.db'}", "a throwaway database (the demo never touches yours)"
    from_env = os.environ.get("DATABASE_URL", "").strip()
    if from_env:
        return from_env, _label(from_env) + " (DATABASE_URL)"
    return CONSOLE_DATABASE_URL, "./herobot-console.db (start over with --fresh)"


def _label(url: str) -> str:
    try:
        parsed = make_url(url)
    except Exception:
        return "the database in DATABASE_URL"
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or "an in-memory SQLite database"
    return parsed.render_as_string(hide_password=True)


def empty_sqlite_file(url: str) -> None:
    """`--fresh`: delete the console's SQLite file; any other database is refused, never wiped."""
    parsed = make_url(load_settings(_env_file=None, database_url=url).database_url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        raise ConfigurationError(
            "--fresh empties only a SQLite file; DATABASE_URL names another database, which the console never wipes"
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(parsed.database + suffix).unlink()


def console_settings(api_url: str, database_url: str, *, demo_run: bool = False) -> Settings:
    """The demo workspace's configuration (channels, admins, reviewers), on top of the environment.

    A `.env` file is not read: it belongs to a real deployment, whose tokens and channels mean
    nothing in the demo workspace. The demo script answers the bundled risk checklist, so it
    ignores HERO_CHECKLIST_PATH (the console itself honours it: try your own checklist there).
    """
    values = {name.lower(): value for name, value in demo.ENVIRONMENT.items()}
    values.update(slack_api_url=api_url, database_url=database_url)
    if demo_run:
        values["hero_checklist_path"] = ""
    return load_settings(_env_file=None, **values)


@asynccontextmanager
async def open_workspace(
    register: Register,
    *,
    database_url: str | None = None,
    demo_run: bool = False,
    fresh: bool = False,
    job_sources: Sequence[JobSource] = (),
) -> AsyncIterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="herobot-console-") as scratch:
        url, label = choose_database(explicit=database_url, demo_run=demo_run, scratch=Path(scratch))
        if fresh and not demo_run:
            empty_sqlite_file(url)
        fake = demo.demo_slack()
        api_url = await fake.start()
        database: Database | None = None
        try:
            settings = console_settings(api_url, url, demo_run=demo_run)
            database = Database(settings.database_url)
            await _migrate(database)
            async with aiohttp.ClientSession() as http:
                client = build_client(settings, http)
                hero = create_app(settings, database, register=register, client=client, process_before_response=True)
                clock = Clock()
                hero.runtime.now = clock.now
                scheduler = ManualScheduler(hero.runtime, clock)
                scheduler.start(list(job_sources))
                secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
                slack = Emulator(fake, secret, in_process_sender(hero.bolt))
                outbox = hero.runtime.outbox
                assert outbox is not None
                await outbox.start()
                try:
                    yield Workspace(fake, hero, slack, clock, scheduler, label)
                finally:
                    await outbox.stop(OUTBOX_STOP_SECONDS)
        finally:
            await fake.stop()
            if database is not None:
                await database.dispose()


async def _migrate(database: Database) -> None:
    try:
        await migrate_and_fold(database)
    except Exception as error:
        raise ConfigurationError(
            f"DATABASE_URL: cannot reach or migrate the database ({type(error).__name__}: {error})"
        ) from None
