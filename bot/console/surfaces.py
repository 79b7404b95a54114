"""Reading what the bot showed: every text of a surface, and finding a button or select in it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

INTERACTIVE = (
    "button",
    "static_select",
    "overflow",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "radio_buttons",
    "datepicker",
    "checkboxes",
    "multi_static_select",
)


def texts(blocks: list[dict[str, Any]]) -> str:
    """All human-readable text of some blocks, one piece a line."""
    out: list[str] = []
    for block in blocks or []:
        for key in ("text", "label", "title"):
            value = block.get(key)
            if isinstance(value, dict) and value.get("text"):
                out.append(value["text"])
        for item in block.get("fields") or []:
            out.append(item.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                if isinstance(element.get("text"), dict):
                    out.append(element["text"].get("text", ""))
                elif isinstance(element.get("text"), str):
                    out.append(element["text"])
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and isinstance(accessory.get("text"), dict):
            out.append(accessory["text"].get("text", ""))
    return "\n".join(out)


def interactive_elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every button and select, in reading order."""
    for index, block in enumerate(blocks or []):
        block_id = block.get("block_id") or f"b{index}"
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in INTERACTIVE:
                yield block_id, element


def find_element(blocks: list[dict[str, Any]], wanted: str) -> tuple[str, dict[str, Any]]:
    """The first button or select whose label or action_id is `wanted` (labels match case-insensitively)."""
    for block_id, element in interactive_elements(blocks):
        label = ((element.get("text") or element.get("placeholder") or {}).get("text") or "").lower()
        if element.get("action_id") == wanted or label == wanted.lower():
            return block_id, element
    raise LookupError(f"no button or select {wanted!r} here")
