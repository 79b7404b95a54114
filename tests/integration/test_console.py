"""`herobot console` as a newcomer and a script use it: transcripts in, exit status and output out."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.console import demo
from bot.console.commands import dispatch
from bot.console.completion import Completer
from bot.console.present import Output
from bot.console.repl import run_console
from bot.console.session import Session
from bot.console.style import Style
from bot.console.workspace import open_workspace
from bot.projects import service
from bot.scheduler import Scheduler
from bot.settings import ConfigurationError
from handlers import register_all
from storage.db import Database
from storage.models import Project, ProjectMember

ROOT = Path(__file__).resolve().parents[2]


async def run(script: str, tmp_path: Path, database: Database, **options: Any) -> tuple[int, str]:
    path = tmp_path / "script.hero"
    path.write_text(textwrap.dedent(script).strip() + "\n", encoding="utf-8")
    output = io.StringIO()
    code = await run_console(register_all, script=str(path), database_url=database.url, output=output, **options)
    return code, output.getvalue()


async def projects(database: Database) -> int:
    async with database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(Project)) or 0)


async def test_the_bundled_demo_passes_and_leaves_its_projects(database: Database) -> None:
    output = io.StringIO()
    code = await run_console(register_all, demo=True, database_url=database.url, output=output)
    transcript = output.getvalue()
    assert code == 0, transcript
    assert "✓ the demo:" in transcript and "all passed" in transcript
    assert "HERO-1 cannot launch yet" in transcript
    assert "Traceback" not in transcript
    async with database.unit_of_work() as session:
        stages = {title: stage for title, stage in await session.execute(select(Project.title, Project.stage))}
    assert stages == {"Answer delayed-refund tweets": "launched", "Reply to unboxing videos on YouTube": "proposed"}


async def test_a_transcript_shows_each_surface_where_it_appeared(tmp_path: Path, database: Database) -> None:
    code, transcript = await run(
        """
        /hero new Answer refund tweets
        expect Logged HERO-1
        /hero show HERO-1
        choose "Move to" active
        expect moved it proposed → active
        /in #hero-projects
        show #hero-projects
        """,
        tmp_path,
        database,
    )
    assert code == 0, transcript
    assert "maya #general › /hero new Answer refund tweets" in transcript
    assert "┌─ herobot · only visible to you · #general" in transcript
    assert "│ ✅ Logged HERO-1: Answer refund tweets. You own it." in transcript
    assert "│ [1] Add details  [2] View project" in transcript
    assert "┌─ #hero-projects · herobot · m1" in transcript
    assert "│ 🌱 New HERO project HERO-1: Answer refund tweets by @maya" in transcript
    assert "┌─ #hero-projects · herobot · m2" in transcript and "is now active (was proposed)" in transcript
    assert "  ✓ saw “Logged HERO-1”" in transcript
    assert "maya #hero-projects › show #hero-projects" in transcript
    assert "<@U0MAYA>" not in transcript and "<!date" not in transcript


async def test_filling_a_modal_with_client_and_server_side_errors(tmp_path: Path, database: Database) -> None:
    code, transcript = await run(
        """
        /hero new
        set title ab
        submit
        expect Slack won't send this form yet: please fill in The customer problem, Social channel, How success is measured
        set problem Refunds take three weeks\\non Twitter
        set channel Twitter / X
        set members leo, ingrid
        set success Replies within the hour
        submit
        expect herobot sent the form back
        expect Title: Give the project a title of at least 3 characters.
        show modal
        expect ▸ @leo, @ingrid
        set title Refund tweets
        submit
        expect modal «New HERO project» closed
        expect Logged HERO-1: Refund tweets
        """,
        tmp_path,
        database,
    )
    assert code == 0, transcript
    assert "The customer problem ← Refunds take three weeks\non Twitter" in transcript
    async with database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
        assert (project.title, project.network) == ("Refund tweets", "twitter")
        assert project.problem == "Refunds take three weeks\non Twitter"
        members = await session.scalars(select(ProjectMember.user_id).where(ProjectMember.project_id == project.id))
        assert set(members) == {demo.LEO, demo.INGRID}


async def test_switching_people_channels_and_the_home_tab(tmp_path: Path, database: Database) -> None:
    code, transcript = await run(
        """
        /hero new Refund tweets
        /as leo
        expect You are leo (Leo Park
        /hero stage HERO-1 active
        expect Only the owner @maya
        /in dm
        /hero list all
        expect only visible to you · your DM with herobot
        /as maya
        home
        expect herobot · Home tab · maya
        click View
        expect modal «HERO-1»
        close
        2
        expect modal «New HERO project»
        cancel
        users
        expect ingrid  Ingrid Berg  IT security, @it-reviewers
        channels
        expect #cx-council
        """,
        tmp_path,
        database,
    )
    assert code == 0, transcript
    assert "leo #general › /hero stage HERO-1 active" in transcript
    assert "maya dm › home" in transcript


async def test_an_open_modal_covers_everything_else(tmp_path: Path, database: Database) -> None:
    code, transcript = await run(
        """
        /hero new Refund tweets
        /hero new
        click 1
        """,
        tmp_path,
        database,
    )
    assert code == 1
    assert "✗ «New HERO project» is open: submit or cancel it first" in transcript


async def test_messages_reactions_threads_and_shortcuts(tmp_path: Path, database: Database) -> None:
    code, transcript = await run(
        """
        /in #social-feed
        say @leo look: <script> & "refunds" on #general
        expect #social-feed · maya · m1
        expect @leo look: <script> & "refunds" on #general
        reply m1 on it
        expect reply in the thread of m1
        react m1 eyes
        expect maya reacted 👀 to m1
        shortcut "new hero"
        expect modal «New HERO project»
        cancel
        """,
        tmp_path,
        database,
    )
    assert code == 0, transcript


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("frobnicate now", "I don't know 'frobnicate'"),
        ("/refund everyone", "/refund is not a command herobot offers in this version"),
        ("click 3", "Nothing to click yet"),
        ("submit", "No modal is open"),
        ("react m7 eyes", "There is no message 'm7'"),
        ('shortcut "Log everything"', "herobot has no shortcut 'Log everything'"),
        ("/as bob", "There is nobody called 'bob' here"),
        ("clock -1h", "Move the bot's clock forward like clock +2h"),
        ("expect something that was never shown", "expected to see “something that was never shown”"),
    ],
)
async def test_a_failing_line_stops_the_script_with_exit_1(
    tmp_path: Path, database: Database, line: str, problem: str
) -> None:
    code, transcript = await run(f"/hero help\n{line}\n/hero new Never reached", tmp_path, database)
    assert code == 1
    assert f"✗ {problem}" in transcript
    assert f"✗ stopped at line 2 of {tmp_path / 'script.hero'}: {line}" in transcript
    assert "Never reached" not in transcript.split("stopped at line 2")[1]
    assert "Traceback" not in transcript
    assert await projects(database) == 0


async def test_an_error_in_the_bot_fails_the_line_and_shows_what_happened(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the stats table is on fire")

    monkeypatch.setattr(service, "project_stats", broken)
    code, transcript = await run("/hero stats", tmp_path, database)
    assert code == 1
    assert "Something went wrong on our side" in transcript  # what the person sees in Slack
    assert "RuntimeError: the stats table is on fire" in transcript  # what the developer needs


async def test_a_wrong_slack_call_fails_the_line(database: Database) -> None:
    async with open_workspace(register_all, database_url=database.url) as workspace:
        output = io.StringIO()
        session = Session(workspace, Output(output, Style(False)), [], dispatch)
        assert await session.run("/hero help")
        workspace.fake.problems.append("chat.postMessage missing channel")
        assert not await session.run("/hero help")
        assert "✗ herobot called Slack wrongly: chat.postMessage missing channel" in output.getvalue()


async def test_the_clock_and_tick_run_the_job_sources(tmp_path: Path, database: Database) -> None:
    async def remind(runtime: Any) -> None:
        stamp = runtime.now().strftime("%H:%M")
        await runtime.client.chat_postMessage(channel=demo.PROJECTS, text=f"Reminder sent at {stamp} UTC")

    def source(scheduler: Scheduler) -> None:
        scheduler.every("projects.remind", 3600, remind)

    code, transcript = await run(
        """
        tick
        expect Nothing is due. The next is projects.remind in
        clock +61m
        expect Due now: projects.remind. Type tick to run it.
        tick
        expect Ran projects.remind.
        expect #hero-projects · herobot · m1
        tick
        expect Nothing is due
        """,
        tmp_path,
        database,
        job_sources=[source],
    )
    assert code == 0, transcript


async def test_fresh_starts_from_an_empty_sqlite_file_and_never_wipes_another_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    script = tmp_path / "one.hero"
    script.write_text("/hero new First project\nexpect Logged HERO-1\n", encoding="utf-8")
    for fresh, expected in ((False, 0), (False, 1), (True, 0)):
        code = await run_console(register_all, script=str(script), database_url=url, fresh=fresh, output=io.StringIO())
        assert code == expected
    with pytest.raises(ConfigurationError, match="--fresh empties only a SQLite file"):
        await run_console(
            register_all,
            script=str(script),
            database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
            fresh=True,
            output=io.StringIO(),
        )


async def test_an_unreadable_script_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = await run_console(register_all, script=str(tmp_path / "missing.hero"), output=io.StringIO())
    assert code == 2
    assert "cannot read the script" in capsys.readouterr().err


def test_the_console_reads_a_script_from_standard_input(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'stdin.db'}", "NO_COLOR": "1"}
    script = "/hero new Piped project\nexpect Logged HERO-1: Piped project\n/hero list\n"
    finished = subprocess.run(
        [sys.executable, "app.py", "console", "-"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "maya #general › /hero new Piped project" in finished.stdout
    assert "✓ standard input: 3 lines, all passed." in finished.stdout
    assert finished.stderr == ""


async def test_tab_completion_offers_commands_people_channels_and_subcommands(database: Database) -> None:
    async with open_workspace(register_all, database_url=database.url) as workspace:
        session = Session(workspace, Output(io.StringIO(), Style(False)), [], dispatch)
        completer = Completer(session)
        assert {"/hero", "click", "submit", "/as", "quit"} <= set(completer.candidates("cl"))
        assert completer.candidates("/as ") == ["maya", "leo", "ingrid", "sam"]
        assert "#hero-projects" in completer.candidates("/in ") and "dm" in completer.candidates("/in ")
        assert {"new", "list", "show", "stage", "compact"} <= set(completer.candidates("/hero "))
