"""A real `herobot serve` process killed with SIGKILL in the middle of a risk conversation — no graceful stop,
in the middle of a click — then started again on the same SQLite file: the conversation resumes at the
question the database says is next, the answers given so far are all there, and the old buttons change
nothing."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Emulator, http_sender
from bot.console.fake_slack import FakeSlack
from storage.db import Database
from storage.models import RiskAssessment
from tests.conftest import SIGNING_SECRET
from tests.integration.risk_helpers import LOW_RISK, live_prompt, press, question_of
from tests.integration.test_running import free_port
from tests.reliability.helpers import sqlite_database

database = pytest.fixture(sqlite_database)
HEROBOT = str(Path(sys.executable).with_name("herobot"))


class Server:
    """`herobot serve` as its own process, as an operator runs it."""

    def __init__(self, fake: FakeSlack, database: Database, workdir: Path) -> None:
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


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = demo.demo_slack()
    await slack.start()
    yield slack
    await slack.stop()


async def stored(database: Database) -> RiskAssessment:
    async with database.unit_of_work() as session:
        found = (await session.scalars(select(RiskAssessment))).one()
        session.expunge(found)
        return found


async def test_sigkill_mid_conversation_then_restart_resumes_at_the_same_question(
    fake: FakeSlack, database: Database, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession() as http:
        server = Server(fake, database, tmp_path)
        await server.start(http)
        try:
            slack = Emulator(fake, SIGNING_SECRET, http_sender(http, server.url + "/slack/events"))
            bot = SimpleNamespace(fake=fake, slack=slack)  # what the risk helpers need to read and press

            def asking() -> str | None:
                """The question of the live prompt in Maya's DM, once there is one."""
                try:
                    return question_of(live_prompt(bot, demo.MAYA))  # type: ignore[arg-type]
                except AssertionError:
                    return None

            async def answer_live_question() -> str:
                prompt = live_prompt(bot, demo.MAYA)  # type: ignore[arg-type]
                question = question_of(prompt)
                assert question is not None
                await press(bot, demo.MAYA, prompt, LOW_RISK[question])  # type: ignore[arg-type]
                return question

            await slack.slash(demo.MAYA, "/hero", "new Refund tweets")
            await slack.slash(demo.MAYA, "/risk", "start HERO-1")
            await fake.wait_for(lambda: asking() == "account")
            answered = []
            for _ in range(3):
                answered.append(await answer_live_question())
                await fake.wait_for(lambda: asking() not in (None, *answered))

            # The fourth click: its answer is stored, then the bot is killed while it updates the message.
            interrupted = copy.deepcopy(live_prompt(bot, demo.MAYA))  # type: ignore[arg-type]
            updates = len(fake.calls_to("chat.update"))
            fake.fail("chat.update", 500, hang_seconds=1.0)
            answered.append(await answer_live_question())
            await fake.wait_for(lambda: len(fake.calls_to("chat.update")) > updates)
            server.kill()

            before_restart = await stored(database)
            assert set(before_restart.answers) == set(answered)  # the interrupted answer is whole, not half
            next_question = before_restart.cursor
            assert next_question is not None and next_question not in answered

            await server.start(http)
            await slack.slash(demo.MAYA, "/risk", "resume")
            await fake.wait_for(lambda: asking() == next_question)
            # The resume retired the prompt the crash left with its buttons; pressed from a stale screen
            # all the same, it changes nothing.
            await press(bot, demo.MAYA, interrupted, LOW_RISK[answered[-1]])  # type: ignore[arg-type]
            await fake.wait_for(lambda: any("RISK-1" in e.text for e in fake.ephemerals if e.user == demo.MAYA))
            assert (await stored(database)).answers == before_restart.answers

            answered.append(await answer_live_question())
            await fake.wait_for(lambda: asking() not in (None, *answered))
            after = await stored(database)
            assert set(after.answers) == set(answered) and after.status == "in_progress"
        finally:
            server.stop()
