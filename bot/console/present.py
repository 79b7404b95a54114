"""Printing the workspace: each message, ephemeral, modal and Home tab in a titled frame.

`Output` writes to the terminal (or a transcript) and keeps the plain text of the current line's
output for `expect`. `Presenter` turns the feed's events into frames, numbering what can be clicked.
"""

from __future__ import annotations

import codecs
import shutil
from dataclasses import dataclass, field
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.console.fake_slack import FakeSlack, Message
from bot.console.feed import (
    EphemeralShown,
    Event,
    Feed,
    HomePublished,
    MessageDeleted,
    MessagePosted,
    ModalClosed,
    ModalShown,
    Problem,
    view_title,
)
from bot.console.mrkdwn import Reader, plain_text
from bot.console.render import Canvas, Surface, Targets, render_blocks, render_message
from bot.console.style import NBSP, Style, strip_ansi, wrap
from bot.console.workspace import Workspace

BOT_NAME = "herobot"


class Output:
    def __init__(self, stream: TextIO, style: Style, *, fit_terminal: bool = False) -> None:
        self.stream = stream
        self.style = style
        self.fit_terminal = fit_terminal  # wrap long lines on a terminal; never in a transcript
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            self.unicode = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            self.unicode = False
        self._captured: list[str] = []

    def write(self, text: str = "", *, gutter: str = "") -> None:
        columns = shutil.get_terminal_size().columns - 1 - len(strip_ansi(gutter)) if self.fit_terminal else 0
        for piece in text.split("\n"):
            lines = wrap(piece, columns) if columns else [piece]
            for line in lines:
                line = line.replace(NBSP, " ")
                self.stream.write(f"{gutter}{line}".rstrip() + "\n")
                self._captured.append(strip_ansi(line))
        self.stream.flush()

    def begin(self) -> None:
        self._captured = []

    def captured(self) -> str:
        return "\n".join(self._captured)


@dataclass
class FormState:
    """What a person typed into each open modal with `set`, and the errors the bot answered with."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # view id → block_id → value
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # view id → block_id → message

    def forget(self, view_id: str) -> None:
        self.values.pop(view_id, None)
        self.errors.pop(view_id, None)


class Presenter:
    def __init__(self, workspace: Workspace, feed: Feed, out: Output, forms: FormState) -> None:
        self.ws = workspace
        self.fake: FakeSlack = workspace.fake
        self.feed = feed
        self.out = out
        self.style = out.style
        self.forms = forms

    # ---- names and places -------------------------------------------------------------------
    def reader(self, viewer: str) -> Reader:
        fake = self.fake
        users = {u.id: u.name for u in fake.users.values()}
        users[FakeSlack.BOT_USER] = BOT_NAME
        try:
            tz = ZoneInfo(fake.users[viewer].tz) if viewer in fake.users else ZoneInfo("UTC")
        except ZoneInfoNotFoundError:
            tz = ZoneInfo("UTC")
        return Reader(
            users=users,
            channels={c.id: c.name for c in fake.channels.values()},
            groups={g.id: g.handle for g in fake.usergroups.values()},
            tz=tz,
            now=self.ws.clock.now(),
            emoji=self.out.unicode,
        )

    def name(self, user: str) -> str:
        if user == FakeSlack.BOT_USER:
            return BOT_NAME
        found = self.fake.users.get(user)
        return found.name if found else user

    def dm_owner(self, channel: str) -> str | None:
        """The person whose DM with the bot this is, for a `D…` channel."""
        if not channel.startswith("D"):
            return None
        return next((u for u in self.fake.users if self.fake.dm_channel(u) == channel), None)

    def place(self, channel: str, viewer: str) -> str:
        owner = self.dm_owner(channel)
        if owner is not None:
            return "your DM with herobot" if owner == viewer else f"{self.name(owner)}'s DM with herobot"
        found = self.fake.channels.get(channel)
        return "#" + (found.name if found else channel)

    # ---- frames ----------------------------------------------------------------------------
    def frame(self, title: str, lines: list[str], footer: str = "") -> None:
        bar = self.style.dim("│ ")
        self.out.write(self.style.dim("┌─ ") + title)
        for line in lines:
            self.out.write(line, gutter=bar)
        self.out.write(self.style.dim("└─") + (f" {footer}" if footer else ""))

    def note(self, text: str) -> None:
        self.out.write(self.style.dim("· ") + text)

    def canvas(self, viewer: str, targets: Targets, surface: Surface) -> Canvas:
        values = self.forms.values.get(surface.view_id, {}) if surface.view_id else {}
        errors = self.forms.errors.get(surface.view_id, {}) if surface.view_id else {}
        return Canvas(self.reader(viewer), self.style, targets, surface, values, errors)

    # ---- events ----------------------------------------------------------------------------
    def show(self, events: list[Event], viewer: str, targets: Targets) -> list[str]:
        """Print each event; return the problems the fake Slack recorded (they fail the line)."""
        problems: list[str] = []
        for event in events:
            if isinstance(event, Problem):
                problems.append(event.text)
            elif isinstance(event, EphemeralShown):
                self._ephemeral(event, viewer, targets)
            elif isinstance(event, MessagePosted):
                self.message(event.message, event.ref, viewer, targets, edited=event.edited)
            elif isinstance(event, MessageDeleted):
                self.note(f"{event.ref} in {self.place(event.channel, viewer)} was deleted")
            elif isinstance(event, ModalShown):
                self.modal(event.user, event.view.id, event.view.view, viewer, targets, event.updated, event.covers)
            elif isinstance(event, ModalClosed):
                self.forms_closed()
                whose = "" if event.user == viewer else f" ({self.name(event.user)}'s screen)"
                back = f"; «{event.uncovered}» is on top again" if event.uncovered else ""
                self.note(f"modal «{event.title}» closed{whose}{back}")
            elif isinstance(event, HomePublished):
                if event.user == viewer:
                    self.home(event.user, event.view.view, targets)
                else:
                    self.note(
                        f"{self.name(event.user)}'s Home tab was updated (/as {self.name(event.user)}, then home)"
                    )
        return problems

    def forms_closed(self) -> None:
        open_ids = {v.id for stack in self.fake.modals.values() for v in stack}
        for view_id in list(self.forms.values) + list(self.forms.errors):
            if view_id not in open_ids:
                self.forms.forget(view_id)

    def _ephemeral(self, event: EphemeralShown, viewer: str, targets: Targets) -> None:
        shown = event.ephemeral
        surface = Surface("ephemeral", user=shown.user, channel=shown.channel, index=event.index)
        who = "you" if shown.user == viewer else self.name(shown.user)
        title = f"{self.style.bold(BOT_NAME)} · only visible to {who} · {self.place(shown.channel, viewer)}"
        lines = render_message(shown.text, shown.blocks, self.canvas(viewer, targets, surface))
        self.frame(title, lines)

    def message(self, message: Message, ref: str, viewer: str, targets: Targets, *, edited: bool = False) -> None:
        surface = Surface("message", channel=message.channel, ts=message.ts)
        author = self.name(message.user)
        owner = self.dm_owner(message.channel)
        if owner is not None:
            to = BOT_NAME if message.user == owner else self.name(owner)
            where = f"DM from {self.style.bold(author)} to {to}"
        else:
            where = f"{self.style.place(self.place(message.channel, viewer))} · {self.style.bold(author)}"
        title = f"{where} · {self.style.accent(ref)}"
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self.feed.known_ref(message.channel, message.thread_ts)
            title += f" · reply in the thread of {parent}" if parent else " · reply in a thread"
        if edited:
            title += self.style.dim(" · edited")
        lines = render_message(message.text, message.blocks, self.canvas(viewer, targets, surface))
        for shared in message.files:
            lines.append(f"📎 {shared.get('title') or shared.get('name')} ({shared.get('size', '?')} bytes)")
        self.frame(title, lines, self.reactions(message, viewer))

    def reactions(self, message: Message, viewer: str) -> str:
        reader = self.reader(viewer)
        shown = [
            f"{plain_text(f':{emoji}:', reader)} {', '.join(self.name(u) for u in people)}"
            for emoji, people in message.reactions.items()
            if people
        ]
        return "   ".join(shown)

    def modal(
        self,
        user: str,
        view_id: str,
        view: dict[str, Any],
        viewer: str,
        targets: Targets,
        updated: bool = False,
        covers: str | None = None,
    ) -> None:
        surface = Surface("modal", user=user, view_id=view_id)
        title = f"modal «{self.style.bold(view_title(view))}»"
        if user != viewer:
            title += f" · {self.name(user)}'s screen"
        if covers:
            title += f" · on top of «{covers}»"
        if updated:
            title += self.style.dim(" · updated")
        lines = render_blocks(view.get("blocks") or [], self.canvas(viewer, targets, surface))
        close = plain_text((view.get("close") or {}).get("text", "Cancel"), self.reader(viewer))
        if view.get("submit"):
            submit = plain_text(view["submit"].get("text", "Submit"), self.reader(viewer))
            footer = f"type {self.style.bold('submit')} ({submit}) or {self.style.bold('cancel')} ({close})"
        else:
            footer = f"type {self.style.bold('close')} ({close})"
        self.frame(title, lines, self.style.dim(footer) if not self.style.colour else footer)

    def home(self, user: str, view: dict[str, Any], targets: Targets) -> None:
        surface = Surface("home", user=user, view_id=f"home:{user}")
        lines = render_blocks(view.get("blocks") or [], self.canvas(user, targets, surface))
        self.frame(f"{self.style.bold(BOT_NAME)} · Home tab · {self.name(user)}", lines)
