"""Record IDs as people see them (HERO-12, COMP-34, RISK-5) and the shared Slack identifiers."""

from __future__ import annotations

import re
from enum import StrEnum


class Kind(StrEnum):
    PROJECT = "HERO"
    COMPLAINT = "COMP"
    RISK = "RISK"


_ID = re.compile(r"^\s*#?(?:(?P<prefix>[A-Za-z]+)-?)?(?P<number>\d{1,9})\s*$")


def format_id(kind: Kind, number: int) -> str:
    return f"{kind.value}-{number}"


def parse_id(kind: Kind, text: str) -> int | None:
    """`HERO-12`, `hero-12`, `HERO12`, `#12` and `12` all name project 12; another prefix names nothing."""
    match = _ID.match(text or "")
    if not match:
        return None
    prefix = match["prefix"]
    if prefix is not None and prefix.upper() != kind.value:
        return None
    number = int(match["number"])
    return number if number > 0 else None


_MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def parse_user_mention(text: str) -> str | None:
    """Slack's escaped `<@U123|name>` or `<@U123>` form, or a bare user ID → the user ID."""
    text = text.strip()
    match = _MENTION.match(text)
    if match:
        return match["id"]
    if re.fullmatch(r"[UW][A-Z0-9]{2,}", text):
        return text
    return None


class ProjectAction(StrEnum):
    """action_id / callback_id values of the HERO project surfaces."""

    NEW_MODAL = "hero_project_new"
    ADD_DETAILS = "hero_project_add_details"
    DETAILS_MODAL = "hero_project_details"
    OPEN_NEW = "hero_project_open_new"
    VIEW = "hero_project_view"
    ADD_NOTE = "hero_project_add_note"
    NOTE_MODAL = "hero_project_note"
    CHANGE_STAGE = "hero_project_change_stage"
    ACCEPT_COMPACT = "hero_compact_accept"
    SHOW_COMPACT = "hero_compact_show"
    VIEW_MODAL = "hero_project_card"
    SHORTCUT_NEW = "hero_project_shortcut"


class CouncilAction(StrEnum):
    """action_id / callback_id values of the council surfaces."""

    CREATE_MODAL = "council_create"
    EDIT_MODAL = "council_edit"
    DELETE = "council_delete"
    KEEP = "council_keep"
