"""Small pure helpers for Block Kit dicts, each keeping within Slack's published limits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
VIEW_TITLE_MAX = 24
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
PRIVATE_METADATA_MAX = 3000


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters with an ellipsis, so Slack never rejects a long value."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """Escape user text for mrkdwn so it cannot forge mentions or links."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = SECTION_TEXT_MAX, emoji: bool = True) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": emoji}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def section(text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields(pairs: list[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [mrkdwn(f"*{name}*\n{value}", FIELD_TEXT_MAX) for name, value in pairs[:10]],
    }


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS_MAX]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id}
    if value:
        element["value"] = clip(value, BUTTON_VALUE_MAX)
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:ACTIONS_ELEMENTS_MAX]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_MAX), "value": clip(value, OPTION_VALUE_MAX)}


def static_select(
    action_id: str, placeholder: str, choices: list[tuple[str, str]], initial: str | None = None
) -> dict[str, Any]:
    options = [option(text, value) for value, text in choices[:OPTIONS_MAX]]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, 150),
        "options": options,
    }
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def text_input(
    block_id: str,
    label: str,
    *,
    action_id: str = "value",
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    max_length: int = 3000,
    placeholder: str = "",
    hint: str = "",
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": min(max_length, 3000),
    }
    if initial:
        element["initial_value"] = clip(initial, element["max_length"])
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return input_block(block_id, label, element, optional=optional, hint=hint)


def input_block(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = "Save",
    close: str = "Cancel",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, VIEW_TITLE_MAX),
        "close": plain(close, VIEW_TITLE_MAX),
        "blocks": blocks[:VIEW_BLOCKS_MAX],
    }
    if submit:
        view["submit"] = plain(submit, VIEW_TITLE_MAX)
    if private_metadata:
        if len(private_metadata) > PRIVATE_METADATA_MAX:
            raise ValueError("private_metadata is over Slack's 3000 characters")
        view["private_metadata"] = private_metadata
    return view


def message(text: str, blocks: list[Block] | None = None) -> dict[str, Any]:
    """A message payload: `text` is what notifications and screen readers show."""
    payload: dict[str, Any] = {"text": clip(text, 3000)}
    if blocks:
        payload["blocks"] = blocks[:MESSAGE_BLOCKS_MAX]
    return payload


def slack_date(moment: datetime, fmt: str = "{date_short_pretty} at {time}") -> str:
    """Rendered by Slack in each reader's own time zone; the fallback is UTC."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def metadata(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))
