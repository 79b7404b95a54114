"""What changed in the fake workspace since the console last looked, so each line prints only news.

The fake Slack keeps the state (messages, ephemerals, modals, Home tabs, calls, problems); the feed
remembers what it has already reported and hands out short references (m1, m2, …) for messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.console.fake_slack import Ephemeral, FakeSlack, Message, OpenView


@dataclass
class EphemeralShown:
    index: int
    ephemeral: Ephemeral


@dataclass
class MessagePosted:
    message: Message
    ref: str
    edited: bool


@dataclass
class MessageDeleted:
    ref: str
    channel: str


@dataclass
class ModalShown:
    user: str
    view: OpenView
    updated: bool
    covers: str | None  # title of the modal it was pushed on


@dataclass
class ModalClosed:
    user: str
    title: str
    uncovered: str | None  # title of the modal now on top again


@dataclass
class HomePublished:
    user: str
    view: OpenView


@dataclass
class Problem:
    text: str


Event = EphemeralShown | MessagePosted | MessageDeleted | ModalShown | ModalClosed | HomePublished | Problem


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def view_title(view: dict[str, Any]) -> str:
    title = view.get("title") or {}
    return str(title.get("text") if isinstance(title, dict) else title) or "modal"


class Feed:
    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self._refs: dict[tuple[str, str], str] = {}
        self._by_ref: dict[str, tuple[str, str]] = {}
        self._messages: dict[tuple[str, str], str] = {}
        self._ephemerals = 0
        self._modals: dict[str, tuple[str, str, str]] = {}  # view id → (user, fingerprint, title)
        self._calls = 0
        self._problems = 0

    # ---- message references ----------------------------------------------------------------------
    def ref_of(self, message: Message) -> str:
        key = (message.channel, message.ts)
        if key not in self._refs:
            ref = f"m{len(self._refs) + 1}"
            self._refs[key] = ref
            self._by_ref[ref] = key
        return self._refs[key]

    def known_ref(self, channel: str, ts: str) -> str | None:
        return self._refs.get((channel, ts))

    def message(self, ref: str) -> Message | None:
        key = self._by_ref.get(ref.strip().lower())
        return self.fake.find_message(*key) if key else None

    def is_ref(self, ref: str) -> bool:
        return ref.strip().lower() in self._by_ref

    # ---- what changed --------------------------------------------------------------------------
    def changes(self) -> list[Event]:
        events: list[Event] = [Problem(p) for p in self.fake.problems[self._problems :]]
        self._problems = len(self.fake.problems)
        events += self._modal_changes()
        events += [EphemeralShown(i, e) for i, e in enumerate(self.fake.ephemerals) if i >= self._ephemerals]
        self._ephemerals = len(self.fake.ephemerals)
        events += self._message_changes()
        events += self._home_changes()
        return events

    def _modal_changes(self) -> list[Event]:
        events: list[Event] = []
        now: dict[str, tuple[str, str, str]] = {}
        for user, stack in self.fake.modals.items():
            for position, opened in enumerate(stack):
                fingerprint = _fingerprint(opened.view)
                now[opened.id] = (user, fingerprint, view_title(opened.view))
                before = self._modals.get(opened.id)
                if before is None or before[1] != fingerprint:
                    covers = view_title(stack[position - 1].view) if position else None
                    events.append(ModalShown(user, opened, updated=before is not None, covers=covers))
        for view_id, (user, _, title) in self._modals.items():
            if view_id not in now:
                stack = self.fake.modals.get(user) or []
                back_on_top = stack and stack[-1].id in self._modals
                uncovered = view_title(stack[-1].view) if back_on_top else None
                events.insert(0, ModalClosed(user, title, uncovered))
        self._modals = now
        return events

    def _message_changes(self) -> list[Event]:
        events: list[Event] = []
        present: dict[tuple[str, str], str] = {}
        everything = [m for messages in self.fake.messages.values() for m in messages]
        for message in sorted(everything, key=lambda m: m.ts):
            key = (message.channel, message.ts)
            fingerprint = _fingerprint([message.text, message.blocks, message.files])
            present[key] = fingerprint
            before = self._messages.get(key)
            if before != fingerprint:
                events.append(MessagePosted(message, self.ref_of(message), edited=before is not None))
        for key in self._messages:
            if key not in present:
                events.append(MessageDeleted(self._refs.get(key, "a message"), key[0]))
        self._messages = present
        return events

    def _home_changes(self) -> list[Event]:
        published: list[str] = []
        for call in self.fake.calls[self._calls :]:
            user = call.params.get("user_id")
            if call.method == "views.publish" and user in self.fake.homes and user not in published:
                published.append(user)
        self._calls = len(self.fake.calls)
        return [HomePublished(user, self.fake.homes[user]) for user in published]
