"""action_id / callback_id values of the complaint surfaces, and what their buttons and modals carry.

Buttons carry only the complaint's number; who may act is decided on the server from the stored
complaint and the person's roles, never from the payload.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class ComplaintAction(StrEnum):
    SHORTCUT_LOG = "complaint_log_shortcut"  # the message shortcut "Log social complaint"
    MODAL = "complaint_modal"  # logging from the shortcut, or editing (Add details)
    ADD_DETAILS = "complaint_add_details"
    MARK_RESPONDED = "complaint_mark_responded"
    RESOLVE = "complaint_resolve"
    REASSIGN = "complaint_reassign"  # users_select
    SNOOZE = "complaint_snooze"  # static_select: "<id>:1h" / "<id>:4h" / "<id>:tomorrow"
    TAKE = "complaint_take"
    VIEW = "complaint_view"
    VIEW_MODAL = "complaint_card"
    PAGE = "complaint_list_page"  # value "<filter>|<page>"


# The block of a complaint's action buttons: `complaint_<id>`. The Reassign user picker carries no value
# of its own, so its complaint is read from this block id.
ACTIONS_BLOCK_PREFIX = "complaint_"


def actions_block_id(complaint_id: int) -> str:
    return f"{ACTIONS_BLOCK_PREFIX}{complaint_id}"


class ComplaintModalMeta(BaseModel):
    """What the complaint modal carries between opening and submission."""

    complaint_id: int | None = None  # editing an existing complaint
    channel: str | None = None  # the Slack message it is logged from
    ts: str | None = None
    thread_ts: str | None = None  # the message's thread, when it is a reply


SNOOZE_CHOICES: dict[str, str] = {"1h": "1 hour", "4h": "4 hours", "tomorrow": "Until tomorrow 9:00"}
