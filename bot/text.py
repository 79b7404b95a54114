"""Cleaning text people type or paste before it is stored."""

from __future__ import annotations

import re

# C0 controls and DEL, except tab and newline: invisible, and PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str | None) -> str:
    return _CONTROL.sub("", text or "").replace("\r\n", "\n").strip()


def one_line(text: str | None) -> str:
    return " ".join(clean_text(text).split())
