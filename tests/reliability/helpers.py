"""What the reliability tests share: the whole database as data, raw signed requests, a submitted review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Emulator
from bot.console.fake_slack import FakeSlack
from bot.console.surfaces import texts
from storage.db import Database
from storage.models import Base
from tests.conftest import SIGNING_SECRET, Harness
from tests.integration.risk_helpers import LOW_RISK, live_prompt, press, run_checklist

Snapshot = dict[str, list[tuple[str, ...]]]


async def snapshot(database: Database) -> Snapshot:
    """Every row of every table, so a test can tell that a refused request changed nothing at all."""
    taken: Snapshot = {}
    async with database.unit_of_work() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            taken[table.name] = sorted(tuple(repr(value) for value in row) for row in rows)
    return taken


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
