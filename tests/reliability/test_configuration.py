"""Each bad environment value stops `herobot serve` before it serves anything: exit status 2 and exactly one
line on standard error, naming the variable — no traceback, no log lines, and no secret echoed back.

Every value goes through the command's entry point (`bot.cli.main`, whose result `herobot` exits with) with a
clean environment and no `.env`; one of each kind of check also runs as the operator runs it, as its own
process (the `herobot` script and `python app.py`). A process costs a second or two of start-up on CI's two
cores, hence not one per value.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEROBOT = str(Path(sys.executable).with_name("herobot"))
AT_ONCE = 4


@dataclass(frozen=True)
class Case:
    variable: str  # the variable the one line must start with
    environment: dict[str, str]
    secret: str | None = None  # a value that must not appear in the output

    @property
    def name(self) -> str:
        return f"{self.variable}={next(iter(self.environment.values()), '')!r}"


def cases(tmp_path: Path, busy_port: int) -> list[Case]:
    broken_checklist = tmp_path / "checklist.yaml"
    broken_checklist.write_text("version: 1\nquestions:\n  - id: vpn\n    text: [unclosed\n", encoding="utf-8")
    oauth = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "client-secret"}
    return [
        Case("SLACK_BOT_TOKEN", {"SLACK_BOT_TOKEN": "not-a-bot-token-xyzzy"}, secret="xyzzy"),
        Case("SLACK_BOT_TOKEN", {"SLACK_BOT_TOKEN": ""}),
        Case("SLACK_SIGNING_SECRET", {"SLACK_SIGNING_SECRET": ""}),
        Case("SLACK_APP_TOKEN", {"SLACK_APP_TOKEN": "xoxb-plugh-in-the-wrong-place"}, secret="plugh"),
        Case("SLACK_CLIENT_SECRET", {"SLACK_CLIENT_ID": "1111.2222"}),
        Case("SLACK_CLIENT_ID", {"SLACK_CLIENT_SECRET": "client-secret-quux"}, secret="quux"),
        Case("SLACK_SCOPES", {**oauth, "SLACK_SCOPES": "chat:write"}),
        Case("SLACK_BOT_TOKEN", {**oauth, "SLACK_BOT_TOKEN": "xoxb-both"}),
        Case("SLACK_API_URL", {"SLACK_API_URL": "slack.com/api"}),
        Case("DATABASE_URL", {"DATABASE_URL": "mysql://root@localhost/hero"}),
        Case("DATABASE_URL", {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}),
        Case("HOST", {"HOST": "256.256.256.256"}),
        Case("PORT", {"PORT": "abc"}),
        Case("PORT", {"PORT": "70000"}),
        Case("PORT", {"PORT": str(busy_port)}),
        Case("HERO_PROJECTS_CHANNEL", {"HERO_PROJECTS_CHANNEL": "#hero-projects"}),
        Case("HERO_COMPLAINTS_CHANNEL", {"HERO_COMPLAINTS_CHANNEL": "complaints"}),
        Case("HERO_CRISIS_CHANNEL", {"HERO_CRISIS_CHANNEL": "C1"}),
        Case("HERO_IT_REVIEW_CHANNEL", {"HERO_IT_REVIEW_CHANNEL": "U0INGRID"}),
        Case("HERO_IT_REVIEWERS_GROUP", {"HERO_IT_REVIEWERS_GROUP": " "}),
        Case("HERO_IT_REVIEWERS_GROUP", {"HERO_IT_REVIEWERS_GROUP": "it reviewers"}),
        Case("HERO_ADMINS", {"HERO_ADMINS": "sam, U0SAM"}),
        Case("HERO_COMPLAINT_EMOJI", {"HERO_COMPLAINT_EMOJI": "red flag!"}),
        Case("HERO_SLA_MINUTES", {"HERO_SLA_MINUTES": "critical=soon"}),
        Case("HERO_SLA_MINUTES", {"HERO_SLA_MINUTES": "urgent=5"}),
        Case("HERO_SLA_MINUTES", {"HERO_SLA_MINUTES": "low=nan"}),
        Case("HERO_REMINDER_INTERVAL_SECONDS", {"HERO_REMINDER_INTERVAL_SECONDS": "0"}),
        Case("HERO_REMINDER_INTERVAL_SECONDS", {"HERO_REMINDER_INTERVAL_SECONDS": "often"}),
        Case("HERO_CRISIS_THRESHOLD", {"HERO_CRISIS_THRESHOLD": "five"}),
        Case("HERO_CRISIS_THRESHOLD", {"HERO_CRISIS_THRESHOLD": "0/60m"}),
        Case("HERO_RETENTION_DAYS", {"HERO_RETENTION_DAYS": "0"}),
        Case("HERO_RETENTION_DAYS", {"HERO_RETENTION_DAYS": "a year"}),
        Case("HERO_CHECKLIST_PATH", {"HERO_CHECKLIST_PATH": "/nowhere/checklist.yaml"}),
        Case("HERO_CHECKLIST_PATH", {"HERO_CHECKLIST_PATH": str(broken_checklist)}),
    ]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, values: dict[str, str]) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in list(os.environ):
        if name.startswith(("SLACK_", "HERO_")) or name in ("DATABASE_URL", "HOST", "PORT"):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def base_environment(tmp_path: Path, busy_port: int) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-config-test",
        "SLACK_SIGNING_SECRET": "config-test-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: start-up stops first
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/herobot.db",
        "HOST": "127.0.0.1",
        "PORT": str(busy_port + 1 if busy_port < 65535 else busy_port - 1),
    }


def problem(case: Case, status: int, output: str) -> str | None:
    lines = output.strip().splitlines()
    expected = f"herobot: configuration error: {case.variable}: "
    if status != 2 or len(lines) != 1 or not lines[0].startswith(expected) or "Traceback" in output:
        return f"{case.name}: exit {status}, output:\n{output.strip()[:600]}"
    if case.secret and case.secret in output:
        return f"{case.name}: the secret value was echoed: {lines[0]}"
    return None


def test_each_bad_value_stops_start_up_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, busy_port: int
) -> None:
    from app import main as app_main

    problems = []
    for case in cases(tmp_path, busy_port):
        with monkeypatch.context() as patched:
            clean_environment(patched, tmp_path, base_environment(tmp_path, busy_port) | case.environment)
            patched.setattr(sys, "argv", ["herobot", "serve"])
            status = app_main()
        captured = capsys.readouterr()
        found = problem(case, status, captured.out + captured.err)
        if found:
            problems.append(found)
    assert not problems, "\n\n".join(problems)


async def run(command: list[str], environment: dict[str, str], cwd: Path, gate: asyncio.Semaphore) -> tuple[int, str]:
    async with gate:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=environment,
            cwd=cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
            return -1, "still running: the bad value was accepted"
        return int(process.returncode or 0), (out + err).decode("utf-8", "replace")


# One of each kind of check: a value's own rule (on a secret), the database, the address, the port.
AS_PROCESSES = [
    "SLACK_BOT_TOKEN='not-a-bot-token-xyzzy'",
    "DATABASE_URL='postgresql+asyncpg://nobody@127.0.0.1:1/none'",
    "HOST='256.256.256.256'",
]


async def test_bad_values_stop_the_real_process(tmp_path: Path, busy_port: int) -> None:
    chosen = [case for case in cases(tmp_path, busy_port) if case.name in AS_PROCESSES]
    chosen.append(Case("PORT", {"PORT": str(busy_port)}))
    assert len(chosen) == len(AS_PROCESSES) + 1
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **base_environment(tmp_path, busy_port)}
    gate = asyncio.Semaphore(AT_ONCE)
    commands = [
        [sys.executable, str(ROOT / "app.py"), "serve"] if index % 3 == 0 else [HEROBOT, "serve"]
        for index in range(len(chosen))
    ]
    # Each its own database file: several instances migrating one new SQLite file at once is not a set-up we run.
    results = await asyncio.gather(
        *(
            run(
                command,
                base | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/{n}.db"} | case.environment,
                tmp_path,
                gate,
            )
            for n, (command, case) in enumerate(zip(commands, chosen, strict=True))
        )
    )
    problems = [
        found
        for case, (status, output) in zip(chosen, results, strict=True)
        if (found := problem(case, status, output))
    ]
    assert not problems, "\n\n".join(problems)
