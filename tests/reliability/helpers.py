"""What the reliability tests share: the whole database as data, raw signed requests, a submitted review, and
`herobot serve` as a real process to kill."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

import handlers.ingest
from bot.console import demo
from bot.console.emulator import Emulator, Reply
from bot.console.fake_slack import FakeSlack, OpenView
from bot.console.surfaces import texts
from storage.db import Database
from storage.models import Base
from tests.conftest import SIGNING_SECRET, Harness
from tests.integration.risk_helpers import LOW_RISK, dm, live_prompt, press, run_checklist
from tests.integration.test_running import free_port

Snapshot = dict[str, list[tuple[str, ...]]]
Attempt = Callable[[], Awaitable[Reply | None]]


async def snapshot(database: Database) -> Snapshot:
    """Every row of every table, so a test can tell that a refused request changed nothing at all."""
    taken: Snapshot = {}
    async with database.unit_of_work() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            taken[table.name] = sorted(tuple(repr(value) for value in row) for row in rows)
    return taken


async def ingested_notices_sent() -> None:
    """The ingestion API sends its notices after its answer (the outbox deletes each row once sent): wait
    for them, so that a snapshot taken next is not changed by a notice going out meanwhile."""
    while pending := [task for task in handlers.ingest._background if not task.done()]:
        await asyncio.gather(*pending)


async def sqlite_database(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """The `database` fixture on SQLite only, for tests about Slack or the process rather than the database."""
    path = tmp_path / "herobot.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


class Recorder:
    """A sender that keeps what the emulator would deliver instead of delivering it."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, dict[str, str]]] = []

    async def __call__(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        self.requests.append((body, dict(headers)))
        return 200, ""


def recording(
    fake: FakeSlack, *, team_id: str | None = None, secret: str = SIGNING_SECRET
) -> tuple[Emulator, Recorder]:
    recorder = Recorder()
    return Emulator(fake, secret, recorder, team_id=team_id), recorder


async def send_raw(harness: Harness, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with harness.http.post(harness.url + "/slack/events", data=body, headers=headers) as response:
        return response.status, await response.text()


async def submitted_review(harness: Harness, answers: dict[str, Any] = LOW_RISK) -> None:
    """Maya logs HERO-1, answers its risk check and submits it: RISK-1 waits for IT."""
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")
    await run_checklist(harness, demo.MAYA, answers)
    await press(harness, demo.MAYA, live_prompt(harness, demo.MAYA), "Submit for IT review")


def everything_shown(fake: FakeSlack) -> list[str]:
    """Every text a person could read: ephemerals, messages, modals and Home tabs."""
    shown = [e.text + "\n" + texts(e.blocks) for e in fake.ephemerals]
    for messages in fake.messages.values():
        shown += [m.text + "\n" + texts(m.blocks) for m in messages]
    for stack in fake.modals.values():
        shown += [texts(v.view.get("blocks") or []) for v in stack]
    shown += [texts(v.view.get("blocks") or []) for v in fake.homes.values()]
    return shown


def no_traceback(fake: FakeSlack) -> None:
    leaks = [text for text in everything_shown(fake) if "Traceback" in text or 'File "' in text]
    assert not leaks, f"a traceback was shown to a user: {leaks[0][:300]}"


def told(harness: Harness, user: str, since: tuple[int, int, int], reply: Reply | None) -> str:
    """What `user` was shown since `since` (ephemerals, DMs, modals) and any inline modal errors."""
    ephemerals, dms, modal_calls = since
    shown = [e.text + texts(e.blocks) for e in harness.fake.ephemerals[ephemerals:] if e.user == user]
    shown += [m.text + texts(m.blocks) for m in dm(harness, user)[dms:]]
    shown += [texts(c["view"].get("blocks") or []) for c in harness.fake.calls_to("views.push")[modal_calls:]]
    if reply is not None and reply.json.get("response_action") == "errors":
        shown += list(reply.json["errors"].values())
    return "\n".join(shown)


async def assert_refused(harness: Harness, name: str, attempt: Attempt, user: str) -> str:
    """`attempt` by `user` is refused: told why, the database and everyone else's Slack unchanged."""
    before = await snapshot(harness.database)
    since = (len(harness.fake.ephemerals), len(dm(harness, user)), len(harness.fake.calls_to("views.push")))
    calls = len(harness.fake.calls)
    reply = await attempt()
    assert reply is None or reply.status == 200, f"{name}: HTTP {reply.status}"
    assert await snapshot(harness.database) == before, f"{name}: the database changed"
    changed = [
        c.method
        for c in harness.fake.calls[calls:]
        if c.method in ("chat.update", "chat.delete", "views.update")
        or (c.method == "chat.postMessage" and c.params.get("channel") not in (user, harness.fake.dm_channel(user)))
        or (c.method == "views.open")
    ]
    assert not changed, f"{name}: Slack was changed for others or a modal opened: {changed}"
    shown = told(harness, user, since, reply)
    assert shown.strip(), f"{name}: the person was not told anything"
    no_traceback(harness.fake)
    return shown


def forged_modal(harness: Harness, user: str, callback_id: str, metadata: str, block_id: str) -> None:
    """A modal the person never opened, put in their hands as a forger's client would submit it."""
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": "Forged"},
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": block_id,
                "label": {"type": "plain_text", "text": "value"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    harness.fake.modals[user] = [OpenView(id=f"VFORGED{callback_id}", user=user, view=view, hash="h")]


HEROBOT = str(Path(sys.executable).with_name("herobot"))


class Server:
    """`herobot serve` as its own process, as an operator runs it."""

    def __init__(self, fake: FakeSlack, database: Database, workdir: Path, **env: str) -> None:
        """`env`: more of the environment, e.g. HERO_INGEST_TOKEN or channels."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "herobot.log"
        self.env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-crash",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.base_url + "/api/",
            "DATABASE_URL": database.url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "HERO_IT_REVIEW_CHANNEL": demo.IT_REVIEW,
            **env,
        }
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [HEROBOT, "serve"], env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )

    async def start(self, http: aiohttp.ClientSession) -> None:
        self.spawn()
        assert self.process is not None
        for _ in range(300):
            assert self.process.poll() is None, self.log.read_text()
            try:
                async with http.get(self.url + "/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("herobot serve never became healthy:\n" + self.log.read_text())

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
