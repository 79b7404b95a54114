"""Checks a message, modal or Home tab against Slack's Block Kit limits (SLACK.md), including those
slack_sdk's own block classes don't check (blocks per message, field lengths, max_length)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def _text(value: Any) -> str:
    return value.get("text", "") if isinstance(value, dict) else str(value or "")


def check_message(payload: dict[str, Any]) -> None:
    problems = message_problems(payload)
    assert not problems, "\n".join(problems)


def check_view(view: dict[str, Any]) -> None:
    problems = view_problems(view)
    assert not problems, "\n".join(problems)


def message_problems(payload: dict[str, Any]) -> list[str]:
    problems = []
    if not (payload.get("text") or "").strip():
        problems.append("a message needs a plain `text` fallback")
    blocks = payload.get("blocks") or []
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks in a message (max {MESSAGE_BLOCKS})")
    return problems + blocks_problems(blocks)


def view_problems(view: dict[str, Any]) -> list[str]:
    problems = []
    blocks = view.get("blocks") or []
    if len(blocks) > VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks in a view (max {VIEW_BLOCKS})")
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(_text(view[key])) > 24:
                problems.append(f"modal {key} over 24 characters: {_text(view[key])!r}")
        if not _text(view.get("title")):
            problems.append("a modal needs a title")
    if len(view.get("private_metadata") or "") > 3000:
        problems.append("private_metadata over 3000 characters")
    if len(view.get("callback_id") or "") > 255:
        problems.append("callback_id over 255 characters")
    return problems + blocks_problems(blocks)


def blocks_problems(blocks: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    block_ids = [b["block_id"] for b in blocks if b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append(f"block_id repeated: {block_ids}")
    for index, block in enumerate(blocks):
        where = f"block {index} ({block.get('type')})"
        problems += [f"{where}: {p}" for p in _block_problems(block)]
        try:
            parsed = Block.parse(block)
            assert parsed is not None, "slack_sdk does not know this block"
            parsed.validate_json()
        except Exception as error:  # slack_sdk raises SlackObjectFormationError
            problems.append(f"{where}: slack_sdk refuses it: {error}")
    return problems


def _block_problems(block: dict[str, Any]) -> list[str]:
    problems = []
    kind = block.get("type")
    if len(block.get("block_id") or "") > 255:
        problems.append("block_id over 255")
    if kind == "section":
        if "text" in block and len(_text(block["text"])) > 3000:
            problems.append("section text over 3000")
        if "text" in block and not _text(block["text"]).strip():
            problems.append("empty section text")
        fields = block.get("fields") or []
        if len(fields) > 10:
            problems.append("more than 10 fields")
        problems += [f"field over 2000: {_text(f)[:40]!r}" for f in fields if len(_text(f)) > 2000]
        if block.get("accessory"):
            problems += _element_problems(block["accessory"])
    elif kind == "header":
        if len(_text(block.get("text"))) > 150:
            problems.append("header over 150")
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= 10:
            problems.append(f"{len(elements)} context elements (1 to 10)")
        problems += ["context text over 3000" for e in elements if len(_text(e.get("text"))) > 3000]
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= 25:
            problems.append(f"{len(elements)} elements in an actions block (1 to 25)")
        action_ids = [e.get("action_id") for e in elements]
        if len(action_ids) != len(set(action_ids)):
            problems.append(f"action_id repeated in one block: {action_ids}")
        for element in elements:
            problems += _element_problems(element)
    elif kind == "input":
        if len(_text(block.get("label"))) > 2000 or len(_text(block.get("hint"))) > 2000:
            problems.append("input label or hint over 2000")
        problems += _element_problems(block.get("element") or {})
    return problems


def _element_problems(element: dict[str, Any]) -> list[str]:
    problems = []
    kind = element.get("type")
    if len(element.get("action_id") or "") > 255:
        problems.append("action_id over 255")
    if kind == "button":
        if len(_text(element.get("text"))) > 75:
            problems.append(f"button text over 75: {_text(element.get('text'))!r}")
        if len(element.get("value") or "") > 2000:
            problems.append("button value over 2000")
    options = list(element.get("options") or [])
    if kind in ("static_select", "multi_static_select") and not 1 <= len(options) <= 100:
        problems.append(f"{len(options)} options in a select (1 to 100)")
    if kind in ("checkboxes", "radio_buttons") and not 1 <= len(options) <= 10:
        problems.append(f"{len(options)} options in {kind} (1 to 10)")
    for option in options:
        if len(_text(option.get("text"))) > 75 or len(option.get("value") or "") > 150:
            problems.append(f"option over 75/150: {_text(option.get('text'))[:40]!r}")
    if kind == "plain_text_input":
        limit = element.get("max_length", 3000)
        if limit > 3000:
            problems.append("max_length over 3000")
        if len(element.get("initial_value") or "") > limit:
            problems.append("initial_value longer than max_length")
    return problems
