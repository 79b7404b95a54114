"""Record IDs as people see them (HERO-12, COMP-34, RISK-5) and the shared Slack identifiers."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import Field

# Record IDs are 32-bit integers in the database: a bigger number names nothing (and would make the
# query itself fail), so whatever a payload or a command carries is bounded before it reaches a query.
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Step = Annotated[int, Field(ge=0, le=MAX_ID)]


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
    return number if 0 < number <= MAX_ID else None


_NUMBER = re.compile(r"^\s*(?P<number>[0-9]{1,10})\s*$")


def parse_record_number(raw: object) -> int | None:
    """A record's number as a button or a modal carries it (`12`); anything else — words, signs, other
    digits than 0-9, numbers past MAX_ID — names no record."""
    match = _NUMBER.match(str(raw or ""))
    if not match:
        return None
    number = int(match["number"])
    return number if 0 < number <= MAX_ID else None


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
