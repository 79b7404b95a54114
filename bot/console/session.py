"""One person at the console: who and where they are, what they can click, and running one line.

Each line runs a console command (or a slash command), then prints what changed in the workspace,
what the bot logged, and — when something went wrong — one line saying what. A line fails when the
console cannot carry it out, the bot answers with an HTTP error, the fake Slack saw a wrong call, the
bot logged an error, or an `expect` does not find its text.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable

from bot.console import demo
from bot.console.emulator import Reply
from bot.console.feed import Feed, view_title
from bot.console.forms import ConsoleError
from bot.console.present import FormState, Output, Presenter
from bot.console.render import Targets
from bot.console.workspace import Workspace

# A console command: run with the session, the word typed, the rest of the line, and where the numbered
# buttons and selects it shows go (see bot.console.commands).
Handler = Callable[["Session", str, str, Targets], Awaitable[None]]
# Which command a line's first word is (`bot.console.commands.dispatch`); raises ConsoleError for none.
Dispatch = Callable[[str], Handler]

DM = "dm"  # `where` when the person is in their DM with the bot; the channel follows the person


def is_comment(line: str) -> bool:
    text = line.strip()
    return text.startswith("#") and (len(text) == 1 or text[1] in " #!")


def is_expect(line: str) -> bool:
    return line.strip().lower().partition(" ")[0] == "expect"


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


class Session:
    def __init__(self, workspace: Workspace, out: Output, logs: list[logging.LogRecord], dispatch: Dispatch) -> None:
        self.ws = workspace
        self.dispatch = dispatch
        self.fake = workspace.fake
        self.slack = workspace.slack
        self.out = out
        self.style = out.style
        self.logs = logs
        self.feed = Feed(workspace.fake)
        self.forms = FormState()
        self.present = Presenter(workspace, self.feed, out, self.forms)
        self.user = demo.MAYA
        self.where = demo.GENERAL
        self._numbered: list[Targets] = []  # the numbered buttons and selects of recent outputs, newest last
        self.previous_output = ""  # what the previous line printed, for `expect`

    # ---- who and where ---------------------------------------------------------------------------
    @property
    def channel(self) -> str:
        return self.fake.dm_channel(self.user) if self.where == DM else self.where

    @property
    def user_name(self) -> str:
        return self.present.name(self.user)

    def prompt(self, *, for_readline: bool = False) -> str:
        style = self.style
        place = "dm" if self.where == DM else self.present.place(self.where, self.user)
        text = f"{style.person(self.user_name)} {style.place(place)}"
        opened = self.fake.top_modal(self.user)
        if opened is not None:
            text += " " + style.warn(f"«{view_title(opened.view)}»")
        text += " › "
        if for_readline:  # readline must not count colour codes as columns
            text = re.sub(r"(\x1b\[[0-9;]*m)", "\x01\\1\x02", text)
        return text

    # ---- running a line ----------------------------------------------------------------------------
    async def run(self, line: str) -> bool:
        """Run one line; True when it succeeded. Never raises for anything a person can type."""
        text = line.strip()
        if not text or is_comment(text):
            return True
        word, _, rest = text.partition(" ")
        if word.lower() == "expect":
            return self._expect(rest)
        self.out.begin()
        pending = Targets()
        failure: str | None = None
        try:
            handler = self.dispatch(word)
            await handler(self, word, rest.strip(), pending)
        except ConsoleError as error:
            failure = str(error)
        except BrokenPipeError:
            raise
        except Exception as error:  # a bug in the console or the bot: say so, keep the session alive
            failure = f"the console hit an unexpected {type(error).__name__}: {error}"
            self._traceback(error)
        try:
            problems = self.present.show(self.feed.changes(), self.user, pending)
        except BrokenPipeError:
            raise
        except Exception as error:
            problems = [f"the console could not show the result ({type(error).__name__}: {error})"]
            self._traceback(error)
        logged_error = self._print_logs()
        if problems:
            failure = failure or "herobot called Slack wrongly: " + "; ".join(problems)
        elif logged_error and failure is None:
            failure = "herobot logged an error (above)"
        if failure:
            self.out.write(self.style.bad(f"✗ {failure}"))
        if pending.items:
            self._numbered = [*self._numbered[-19:], pending]
        self.previous_output = self.out.captured()
        return failure is None

    @property
    def targets(self) -> Targets:
        """What `click 2` refers to: the latest numbered output, unless it was in a modal since closed.

        Closing a modal takes the person back to what was under it, so its numbers count again.
        """
        for numbered in reversed(self._numbered):
            if not all(t.surface.kind == "modal" and not self._is_open(t.surface.view_id) for t in numbered.items):
                return numbered
        return Targets()

    def _is_open(self, view_id: str) -> bool:
        return any(view.id == view_id for stack in self.fake.modals.values() for view in stack)

    def check(self, reply: Reply | None, what: str) -> None:
        """The bot's HTTP answer to what the console sent: anything but 200 fails the line."""
        if reply is None or reply.status == 200:
            return
        if reply.status == 404:
            raise ConsoleError(f"herobot did not answer {what}: nothing in the app listens for it")
        raise ConsoleError(f"herobot answered {what} with HTTP {reply.status}")

    def _expect(self, rest: str) -> bool:
        wanted = rest.strip()
        if len(wanted) > 1 and wanted[0] == wanted[-1] and wanted[0] in "\"'":
            wanted = wanted[1:-1]
        if not wanted:
            self.out.write(self.style.bad("✗ expect what? e.g. expect Logged HERO-1"))
            return False
        if _squash(wanted) in _squash(self.previous_output):
            self.out.write(self.style.dim(f"  ✓ saw “{wanted}”"))
            return True
        self.out.write(self.style.bad(f"✗ expected to see “{wanted}” in the output of the previous line"))
        return False

    def _print_logs(self) -> bool:
        """Print what the bot logged during the line (warnings and errors only); True if an error."""
        records, self.logs[:] = list(self.logs), []
        errored = False
        shown: set[int] = set()
        for record in records:
            message = record.getMessage().split("\n")[0]
            if record.levelno >= logging.ERROR:
                errored = True
                self.out.write(self.style.bad(f"✗ {record.name}: {message}"))
                if record.exc_info and record.exc_info[1] is not None and id(record.exc_info[1]) not in shown:
                    shown.add(id(record.exc_info[1]))
                    self._traceback(record.exc_info[1])
            else:
                self.out.write(self.style.warn(f"⚠ {record.name}: {message}"))
        return errored

    def _traceback(self, error: BaseException) -> None:
        for line in traceback.format_exception(error):
            for piece in line.rstrip("\n").split("\n"):
                self.out.write(self.style.dim("    " + piece))
