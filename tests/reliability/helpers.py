"""What the reliability tests share: the whole database as data, raw signed requests, a submitted review."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Emulator, Reply
from bot.console.fake_slack import FakeSlack, OpenView
from bot.console.surfaces import texts
from storage.db import Database
from storage.models import Base
from tests.conftest import SIGNING_SECRET, Harness
from tests.integration.risk_helpers import LOW_RISK, dm, live_prompt, press, run_checklist

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
