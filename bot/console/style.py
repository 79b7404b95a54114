"""Terminal styling for the console: ANSI colours on a terminal, plain text in transcripts and pipes.

Everything the console prints goes through a `Style`, so a transcript (a file, a pipe, a test) is
exactly the text a terminal shows minus the colours — and `expect` compares against that text.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import TextIO

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
RESET = "\x1b[0m"
NBSP = "\u00a0"


def keep_together(text: str) -> str:
    """Spaces a line may not be broken at (a button's number and label, one option of a select).

    `Output` prints them as ordinary spaces once lines are wrapped."""
    return text.replace(" ", NBSP)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def wants_colour(stream: TextIO) -> bool:
    """Colours only on a real terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}{RESET}" if self.colour and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def italic(self, text: str) -> str:
        return self._wrap("3", text)

    def strike(self, text: str) -> str:
        return self._wrap("9", text)

    def code(self, text: str) -> str:
        return self._wrap("36", text)

    def accent(self, text: str) -> str:
        return self._wrap("1;36", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        return self._wrap("1;31", text)

    def warn(self, text: str) -> str:
        return self._wrap("33", text)

    def person(self, text: str) -> str:
        return self._wrap("1;35", text)

    def place(self, text: str) -> str:
        return self._wrap("1;34", text)

    def button(self, text: str, kind: str | None = None) -> str:
        codes = {"primary": "1;32", "danger": "1;31"}
        return self._wrap(codes.get(kind or "", "1"), text)


def char_width(char: str) -> int:
    if unicodedata.combining(char) or char in "\u200d\ufe0e\ufe0f":
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F") or ord(char) >= 0x1F000:
        return 2
    return 1


def width(text: str) -> int:
    """How many terminal columns `text` takes (emoji and CJK count two, colour codes none)."""
    return sum(char_width(c) for c in strip_ansi(text))


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def wrap(text: str, columns: int) -> list[str]:
    """Break one line into lines of at most `columns` visible columns, at spaces, keeping colours.

    Continuation lines keep the first line's indentation. A colour that is open at a break is closed
    at the line end and reopened on the next line, so a gutter in front never takes on its colour.
    """
    if columns < 20 or width(text) <= columns:
        return [text]
    plain = strip_ansi(text)
    indent = " " * min(len(plain) - len(plain.lstrip(" ")), columns // 2)
    lines: list[str] = []
    current, current_width, open_codes = "", 0, ""
    for token in re.split(r"( )", text):
        token_width = width(token)
        if current_width + token_width > columns and current.strip():
            lines.append(current.rstrip() + (RESET if open_codes else ""))
            current, current_width = indent + open_codes, len(indent)
            if token == " ":
                continue
        current += token
        current_width += token_width
        for code in _ANSI.findall(token):
            open_codes = "" if code == RESET else open_codes + code
    if strip_ansi(current).strip():
        lines.append(current)
    return lines or [text]
