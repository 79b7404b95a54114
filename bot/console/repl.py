"""`herobot console`: the interactive loop and the script runner.

Interactive on a terminal; a script from a file, from `-` (standard input), or from standard input
when it is not a terminal; `--demo` runs the bundled `demo.hero`. A script prints a transcript —
each line after the prompt, then what it did — and stops at the first line that fails (exit 1):
later lines usually build on earlier ones, so running on would only bury the first error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bot.application import Register
from bot.console.commands import dispatch
from bot.console.present import Output
from bot.console.session import Session, is_comment, is_expect
from bot.console.style import Style, wants_colour
from bot.console.workspace import Workspace, open_workspace
from bot.scheduler import JobSource

DEMO_SCRIPT = Path(__file__).with_name("demo.hero")
HISTORY_FILE = Path("~/.herobot_console_history").expanduser()
QUIT = ("quit", "exit", "/quit", "/exit")


@contextlib.contextmanager
def quiet_logging() -> Iterator[list[logging.LogRecord]]:
    """Collect the bot's warnings and errors for the console to print with the line that caused them.

    Nothing else reaches the terminal: no start-up chatter, no Bolt hints about unhandled requests
    (the console explains those itself).
    """
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    quiet = {"herobot.bolt": logging.ERROR, "alembic": logging.WARNING}
    saved_levels = {name: logging.getLogger(name).level for name in quiet}
    root.handlers = [Collect(logging.WARNING)]
    root.setLevel(logging.WARNING)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield records
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def run_console(
    register: Register,
    *,
    script: str | None = None,
    demo: bool = False,
    fresh: bool = False,
    job_sources: Sequence[JobSource] = (),
    database_url: str | None = None,
    output: TextIO | None = None,
) -> int:
    """Run the console; the exit status: 0, 1 when a script line failed, 2 for a wrong invocation."""
    stream = output or sys.stdout
    if demo and script:
        print("herobot console: give either --demo or a script, not both", file=sys.stderr)
        return 2
    lines, name = _script_lines(script, demo)
    if lines is None:
        return 2
    interactive = name is None
    style = Style(wants_colour(stream))
    out = Output(stream, style, fit_terminal=style.colour)
    if not out.unicode and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="replace")  # a terminal without UTF-8 gets ? for the frame lines, not a crash
    with quiet_logging() as logs:
        async with open_workspace(
            register, database_url=database_url, demo_run=demo, fresh=fresh, job_sources=job_sources
        ) as workspace:
            session = Session(workspace, out, logs, dispatch)
            try:
                if interactive:
                    return await _interactive(session, workspace)
                return await _run_script(session, workspace, lines, name or "the script", pace=demo and style.colour)
            except BrokenPipeError:  # the reader went away (`| head`): stop quietly
                if stream is sys.stdout:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 1


def _script_lines(script: str | None, demo: bool) -> tuple[list[str] | None, str | None]:
    """The script's lines and a name for it; ([], None) for interactive; (None, None) when unreadable."""
    if demo:
        return DEMO_SCRIPT.read_text(encoding="utf-8").splitlines(), "the demo"
    if script == "-" or (script is None and not (sys.stdin and sys.stdin.isatty())):
        return (sys.stdin.read().splitlines() if sys.stdin else []), "standard input"
    if script is None:
        return [], None
    try:
        return Path(script).read_text(encoding="utf-8").splitlines(), script
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        print(f"herobot console: cannot read the script {script}: {reason}", file=sys.stderr)
        return None, None


def _banner(session: Session, workspace: Workspace, *, interactive: bool) -> None:
    out, style = session.out, session.style
    if not interactive:
        out.write(style.dim(f"herobot console · data: {workspace.database_label}"))
        return
    out.write(
        f"{style.bold('herobot console')} — a pretend Slack workspace with herobot in it. No Slack account needed."
    )
    person = workspace.fake.users[session.user]
    out.write(
        f"You are {style.person(person.name)} ({person.real_name}, a HERO in customer care), in "
        f"{style.place('#general')}. Others here: leo, ingrid (IT reviewer), sam (admin)."
    )
    out.write(style.dim(f"Data: {workspace.database_label}"))
    out.write("")
    out.write(
        f"Try:  {style.code('/hero new Answer refund tweets')}   {style.code('/hero new')} (a form)   "
        f"{style.code('home')}   {style.code('help')}   {style.code('quit')}"
    )
    out.write("")


async def _interactive(session: Session, workspace: Workspace) -> int:
    _banner(session, workspace, interactive=True)
    readline = _setup_readline(session)
    try:
        while True:
            try:
                line = _read_line(session.prompt(for_readline=readline is not None))
            except EOFError:
                session.out.write("")
                break
            except KeyboardInterrupt:
                session.out.write("")
                session.out.write(session.style.dim("(Ctrl-C clears the line; quit or Ctrl-D leaves)"))
                continue
            if line.strip().lower() in QUIT:
                break
            await session.run(line)
            _breathe(session)
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(HISTORY_FILE)
    session.out.write(session.style.dim(f"Bye. The data stays in {workspace.database_label}."))
    return 0


def _read_line(prompt: str) -> str:
    """input() with Ctrl-C raising KeyboardInterrupt, as in a shell, instead of ending asyncio.run."""
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return input(prompt)
    finally:
        signal.signal(signal.SIGINT, previous)


async def _run_script(session: Session, workspace: Workspace, lines: list[str], name: str, *, pace: bool) -> int:
    _banner(session, workspace, interactive=False)
    style, out = session.style, session.out
    ran = 0
    blank_due = False  # a blank line goes after a block of output, but below the expects checking it
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        checking = is_expect(text)
        if not text or (blank_due and not checking):
            out.write("")
            blank_due = False
            if not text:
                continue
        if is_comment(text):
            out.write(style.dim(text))
            continue
        if not checking:
            out.write(session.prompt() + text)
        if text.lower() in QUIT:
            break
        ran += 1
        if not await session.run(text):
            out.write(style.bad(f"✗ stopped at line {number} of {name}: {text}"))
            return 1
        blank_due = blank_due or (not checking and session.out.captured().count("\n") >= 1)
        if pace and not checking:  # the demo on a terminal: give the reader a moment per line
            await asyncio.sleep(0.15)
    out.write(style.good(f"✓ {name}: {ran} line{'' if ran == 1 else 's'}, all passed."))
    return 0


def _breathe(session: Session) -> None:
    """A blank line after a line that printed a block of output, so the next prompt stands out."""
    if session.out.captured().count("\n") >= 1:
        session.out.write("")


def _setup_readline(session: Session):  # type: ignore[no-untyped-def]
    """Line editing, history across runs and tab completion, where the platform has readline."""
    if not sys.stdin.isatty():
        return None
    try:
        import readline
    except ImportError:
        return None
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY_FILE)
    readline.set_history_length(1000)
    readline.set_completer_delims(" \t")
    from bot.console.completion import Completer

    readline.set_completer(Completer(session).complete)
    binding = "bind ^I rl_complete" if "libedit" in (readline.__doc__ or "") else "tab: complete"
    readline.parse_and_bind(binding)
    return readline
