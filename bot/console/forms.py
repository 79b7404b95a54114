"""Reading what a person types into the console: people, channels, select options, modal fields.

Each finder accepts what a person would naturally type (`leo`, `@leo`, `Leo Park`; `#general`; an
option's number, value or words of its label) and raises `ConsoleError` with the choices otherwise.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from bot.console.fake_slack import FakeSlack
from bot.console.feed import view_title
from bot.console.render import MULTI_SELECTS, SELECTS, TEXT_INPUTS, block_id_of, element_label, options_of


class ConsoleError(Exception):
    """A console line that cannot be carried out; the message says why and what to type instead."""


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def find_user(fake: FakeSlack, text: str) -> str | None:
    wanted = text.strip().strip("<>").lstrip("@").split("|")[0]
    if wanted in fake.users:
        return wanted
    for user in fake.users.values():
        if _norm(wanted) in (_norm(user.name), _norm(user.real_name), _norm(user.real_name.split()[0])):
            return user.id
    return None


def user_names(fake: FakeSlack) -> str:
    return ", ".join(u.name for u in fake.users.values())


def find_users(fake: FakeSlack, text: str) -> list[str]:
    """`leo, ingrid` or `@leo @ingrid` or `Leo Park, sam` → user IDs, in the order given."""
    found: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        whole = find_user(fake, piece) if piece else None
        for word in [piece] if whole else piece.split():
            user_id = whole or find_user(fake, word)
            if user_id is None:
                raise ConsoleError(f"There is nobody called {word!r} here. People: {user_names(fake)}.")
            if user_id not in found:
                found.append(user_id)
    return found


def find_channel(fake: FakeSlack, text: str) -> str | None:
    wanted = text.strip().strip("<>").lstrip("#").split("|")[0]
    if wanted in fake.channels:
        return wanted
    return next((c.id for c in fake.channels.values() if _norm(c.name) == _norm(wanted)), None)


def channel_names(fake: FakeSlack) -> str:
    return ", ".join("#" + c.name for c in fake.channels.values())


def find_option(element: dict[str, Any], text: str) -> dict[str, Any]:
    """An option by its number in the list, its value, its label, or a word of its label."""
    options = options_of(element)
    wanted = text.strip().strip('"')
    if not options:
        raise ConsoleError(f"{element_label(element)!r} has no options to choose from.")
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]

    def label(option: dict[str, Any]) -> str:
        return str((option.get("text") or {}).get("text", ""))

    tests = (
        lambda o: o.get("value") == wanted,
        lambda o: _norm(label(o)) == _norm(wanted) or _norm(str(o.get("value"))) == _norm(wanted),
        lambda o: _norm(wanted) in [_norm(w) for w in label(o).split()],
        lambda o: _norm(wanted) in _norm(label(o)),
    )
    for test in tests if _norm(wanted) else tests[:1]:
        matches = [o for o in options if test(o)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            break
    listing = "; ".join(f"{i}) {label(o)}" for i, o in enumerate(options, start=1))
    raise ConsoleError(f"No single option matches {wanted!r}. Options: {listing}")


def find_input(view: dict[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    """A modal's input block by its block_id, its label, or the start or a word of its label."""
    inputs = [(block_id_of(b, i), b) for i, b in enumerate(view.get("blocks") or []) if b.get("type") == "input"]
    if not inputs:
        raise ConsoleError(f"«{view_title(view)}» has no fields to fill; click its buttons, or close it.")
    wanted = _norm(key.strip().strip('"'))

    def label(block: dict[str, Any]) -> str:
        return str((block.get("label") or {}).get("text", ""))

    tests = (
        lambda bid, b: _norm(bid) == wanted,
        lambda bid, b: _norm(label(b)) == wanted,
        lambda bid, b: _norm(label(b)).startswith(wanted),
        lambda bid, b: wanted in [_norm(w) for w in label(b).split()],
    )
    for test in tests:
        matches = [(bid, b) for bid, b in inputs if wanted and test(bid, b)]
        if len(matches) == 1:
            return matches[0]
    fields = ", ".join(bid if re.fullmatch(r"[A-Za-z][\w.-]*", bid) else repr(label(b)) for bid, b in inputs)
    raise ConsoleError(f"This modal has no single field {key!r}. Fields: {fields}")


def parse_value(element: dict[str, Any], raw: str, fake: FakeSlack, label: str) -> Any:
    """What `set <field> <raw>` puts into an input, in the form Slack's `view.state` carries it."""
    kind = element.get("type", "")
    raw = raw.strip()
    if not raw:
        return [] if kind in MULTI_SELECTS or kind.startswith("multi_") else ""
    if kind in TEXT_INPUTS:
        return _text(element, raw, label)
    if kind in SELECTS:
        return find_option(element, raw)["value"]
    if kind in MULTI_SELECTS:
        return [find_option(element, piece)["value"] for piece in raw.split(",") if piece.strip()]
    if kind == "users_select":
        users = find_users(fake, raw)
        if len(users) != 1:
            raise ConsoleError(f"{label} takes one person, e.g. `leo`.")
        return users[0]
    if kind == "multi_users_select":
        return find_users(fake, raw)
    if kind in ("conversations_select", "channels_select"):
        channel = find_channel(fake, raw)
        if channel is None:
            raise ConsoleError(f"There is no channel {raw!r}. Channels: {channel_names(fake)}.")
        return channel
    if kind == "datepicker":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ConsoleError(f"{label} takes a date as YYYY-MM-DD, e.g. 2025-03-14.") from None
    if kind == "timepicker":
        try:
            return time.fromisoformat(raw).strftime("%H:%M")
        except ValueError:
            raise ConsoleError(f"{label} takes a time as HH:MM, e.g. 09:30.") from None
    raise ConsoleError(f"The console cannot fill a {kind} field yet.")


def _text(element: dict[str, Any], raw: str, label: str) -> str:
    value = raw.replace("\\n", "\n") if element.get("multiline") else raw
    if element.get("type") == "number_input":
        try:
            number = float(value)
        except ValueError:
            raise ConsoleError(f"{label} takes a number.") from None
        if not element.get("is_decimal_allowed") and not number.is_integer():
            raise ConsoleError(f"{label} takes a whole number.")
    longest = element.get("max_length")
    if longest and len(value) > int(longest):
        raise ConsoleError(f"{label} takes at most {longest} characters (that was {len(value)}).")
    return value


def is_empty(value: Any) -> bool:
    return value in (None, "", [])
