"""Slack's message formatting, read the way Slack's client shows it to one person.

`<@U…>` becomes @name, `<#C…>` #channel, `<!date^…>` a time in the reader's own time zone, links
their label and address; `*bold*`, `_italic_` and `~strike~` become terminal styles (or plain text in
a transcript), `&lt; &gt; &amp;` are unescaped and `:emoji:` names become emoji.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from bot.console.emoji import EMOJI
from bot.console.style import Style


@dataclass
class Reader:
    """Who reads a surface: the names they see for IDs, their time zone and the time it is now."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    tz: tzinfo = UTC
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    emoji: bool = True


_TOKEN = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-']+):(?::skin-tone-\d:)?")
_CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.DOTALL)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(text: str, reader: Reader) -> str:
    if not reader.emoji:
        return text
    return _EMOJI.sub(lambda m: EMOJI.get(m[1], m[0]), text)


def plain_text(text: str, reader: Reader) -> str:
    """A `plain_text` object: shown as written, only emoji names are replaced."""
    return emojize(text or "", reader)


def mrkdwn(text: str, reader: Reader, style: Style) -> str:
    """A `mrkdwn` text object (or a message's `text`) as the reader sees it."""
    text = _tokens(text or "", reader)
    # Code is shown as written; it is set aside so bold around it (*`/hero` help*) still works.
    spans: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        spans.append(match[0])
        return f"\ue000{len(spans) - 1}\ue001"

    text = emojize(_CODE.sub(set_aside, text), reader)
    text = _BOLD.sub(lambda m: style.bold(m[1]), text)
    text = _ITALIC.sub(lambda m: style.italic(m[1]), text)
    text = _STRIKE.sub(lambda m: style.strike(m[1]), text)
    text = re.sub("\ue000(\\d+)\ue001", lambda m: style.code(spans[int(m[1])]), text)
    return unescape(text)


def _tokens(text: str, reader: Reader) -> str:
    return _TOKEN.sub(lambda m: _token(m[1], reader), text)


def _token(inner: str, reader: Reader) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = target[1:]
        return "@" + (reader.users.get(user) or label or user)
    if target.startswith("#"):
        channel = target[1:]
        return "#" + (reader.channels.get(channel) or label or channel)
    if target.startswith("!date^"):
        return _date_token(target, label, reader)
    if target.startswith("!subteam^"):
        group = target[len("!subteam^") :]
        return "@" + (reader.groups.get(group) or label.lstrip("@") or group)
    if target.startswith("!"):
        return "@" + (label or target[1:]).lstrip("@")
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    if label and label != target:
        return f"{label} ({target})"
    return target


def _date_token(target: str, fallback: str, reader: Reader) -> str:
    parts = target.split("^")
    try:
        moment = datetime.fromtimestamp(int(parts[1]), UTC)
    except (IndexError, ValueError, OverflowError, OSError):
        return fallback
    template = parts[2] if len(parts) > 2 else "{date_short} {time}"
    shown = format_date(moment, template, reader.tz, reader.now)
    return f"{shown} ({parts[3]})" if len(parts) > 3 and parts[3] else shown


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _relative_day(local: datetime, today: datetime) -> str | None:
    delta = (local.date() - today.date()).days
    return {0: "today", -1: "yesterday", 1: "tomorrow"}.get(delta)


def ago(moment: datetime, now: datetime) -> str:
    seconds = (now - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def format_date(moment: datetime, template: str, tz: tzinfo, now: datetime) -> str:
    """Slack's `<!date^…^{token}>` tokens in the reader's time zone (24-hour clock)."""
    local = moment.astimezone(tz)
    today = now.astimezone(tz)
    relative = _relative_day(local, today)
    full = f"{local:%B} {_ordinal(local.day)}, {local.year}"
    short = f"{local:%b} {local.day}, {local.year}"
    long = f"{local:%A}, {full}"
    values = {
        "date_num": f"{local:%Y-%m-%d}",
        "date_slash": f"{local:%m/%d/%Y}",
        "date": full,
        "date_short": short,
        "date_long": long,
        "date_pretty": relative or full,
        "date_short_pretty": relative or short,
        "date_long_pretty": relative or long,
        "time": f"{local:%H:%M}",
        "time_secs": f"{local:%H:%M:%S}",
        "ago": ago(moment, now),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), template)


def tz_offset_label(moment: datetime, tz: tzinfo) -> str:
    offset = moment.astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
