"""Slack's Block Kit limits, checked the way Slack checks them before it accepts a message or view.

The fake Slack runs every message and view through `violations`, so each test and each console
session notices a payload that real Slack would reject with `invalid_blocks`.
"""

from __future__ import annotations

from typing import Any

BLOCKS_MAX = {"message": 50, "modal": 100, "home": 100}
ID_MAX = 255


def _text_len(obj: Any) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def violations(payload: dict[str, Any], surface: str = "message") -> list[str]:
    """Every way `payload` (a message with `blocks`, or a view) breaks Slack's published limits."""
    found: list[str] = []
    blocks = payload.get("blocks") or []
    if len(blocks) > BLOCKS_MAX[surface]:
        found.append(f"{len(blocks)} blocks in a {surface} (max {BLOCKS_MAX[surface]})")
    if surface == "message" and blocks and not payload.get("text"):
        found.append("a message with blocks but no text fallback")
    if surface == "modal":
        for key in ("title", "submit", "close"):
            if _text_len(payload.get(key)) > 24:
                found.append(f"modal {key} over 24 characters")
        if len(payload.get("private_metadata") or "") > 3000:
            found.append("private_metadata over 3000 characters")
        if len(payload.get("callback_id") or "") > ID_MAX:
            found.append("callback_id over 255 characters")
    block_ids = [b["block_id"] for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        found.append("duplicate block_id")
    for index, block in enumerate(blocks):
        found += [f"block {index} ({block.get('type')}): {problem}" for problem in _block(block)]
    return found


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    found: list[str] = []
    if len(block.get("block_id") or "") > ID_MAX:
        found.append("block_id over 255 characters")
    if kind == "section":
        if not block.get("text") and not block.get("fields"):
            found.append("section without text or fields")
        if _text_len(block.get("text")) > 3000:
            found.append("section text over 3000 characters")
        fields = block.get("fields") or []
        if len(fields) > 10:
            found.append("more than 10 fields")
        found += ["field over 2000 characters" for f in fields if _text_len(f) > 2000]
        if block.get("accessory"):
            found += _element(block["accessory"])
    elif kind == "header":
        if _text_len(block.get("text")) > 150:
            found.append("header over 150 characters")
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > 25:
            found.append(f"{len(elements)} elements in an actions block (1 to 25)")
        for element in elements:
            found += _element(element)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > 10:
            found.append(f"{len(elements)} elements in a context block (1 to 10)")
        found += ["context text over 3000 characters" for e in elements if _text_len(e) > 3000]
    elif kind == "input":
        if _text_len(block.get("label")) > 2000:
            found.append("input label over 2000 characters")
        found += _element(block.get("element") or {})
    for text_key in ("text",):
        text = block.get(text_key)
        if isinstance(text, dict) and text.get("type") in ("plain_text", "mrkdwn") and not text.get("text"):
            found.append("empty text object")
    return found


def _element(element: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if len(element.get("action_id") or "") > ID_MAX:
        found.append("action_id over 255 characters")
    kind = element.get("type")
    if kind == "button":
        if _text_len(element.get("text")) > 75:
            found.append("button text over 75 characters")
        if len(element.get("value") or "") > 2000:
            found.append("button value over 2000 characters")
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    if kind in ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"):
        if len(options) > 100:
            found.append("more than 100 options")
        for option in options:
            if _text_len(option.get("text")) > 75:
                found.append("option text over 75 characters")
            if len(option.get("value") or "") > 150:
                found.append("option value over 150 characters")
    if kind == "plain_text_input":
        if int(element.get("max_length") or 0) > 3000:
            found.append("max_length over 3000")
        initial = element.get("initial_value") or ""
        if element.get("max_length") and len(initial) > int(element["max_length"]):
            found.append("initial_value longer than max_length")
    return found
