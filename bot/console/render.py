"""Block Kit as readable terminal text: every block type, buttons and selects numbered to click.

Pure functions: blocks in, lines out. The numbers handed to buttons and selects are collected in a
`Targets` list, which the console keeps so that `click 2` or `choose 3 active` can find them again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.console.mrkdwn import Reader, mrkdwn, plain_text
from bot.console.richtext import rich_text
from bot.console.style import Style, keep_together, pad, width

SELECTS = ("static_select", "external_select", "overflow", "radio_buttons")
MULTI_SELECTS = ("multi_static_select", "multi_external_select", "checkboxes")
TEXT_INPUTS = ("plain_text_input", "number_input", "url_text_input", "email_text_input", "rich_text_input")
FIELD_NAME_MAX = 24
UNSET: Any = object()  # an input nobody typed into with `set`: it shows its initial value


@dataclass(frozen=True)
class Surface:
    """Where a button sits: a message, an ephemeral message, a modal or a Home tab."""

    kind: str  # "message" | "ephemeral" | "modal" | "home"
    user: str = ""  # who sees it (ephemeral, modal, home)
    channel: str = ""
    ts: str = ""
    index: int = -1  # position of an ephemeral message in the fake workspace
    view_id: str = ""


@dataclass
class Target:
    number: int
    surface: Surface
    block_id: str
    element: dict[str, Any]

    @property
    def label(self) -> str:
        return element_label(self.element)


@dataclass
class Targets:
    items: list[Target] = field(default_factory=list)

    def add(self, surface: Surface, block_id: str, element: dict[str, Any]) -> int:
        number = len(self.items) + 1
        self.items.append(Target(number, surface, block_id, element))
        return number


@dataclass
class Canvas:
    """What rendering one surface needs: the reader, the style, and where numbered elements go."""

    reader: Reader
    style: Style
    targets: Targets
    surface: Surface = field(default_factory=lambda: Surface("message"))
    values: dict[str, Any] = field(default_factory=dict)  # a modal's values typed with `set`
    errors: dict[str, str] = field(default_factory=dict)  # a modal's inline errors, by block_id

    def md(self, text: str) -> str:
        return mrkdwn(text, self.reader, self.style)

    def text(self, obj: Any) -> str:
        """A text object (`plain_text` or `mrkdwn`), or a bare string."""
        if isinstance(obj, str):
            return plain_text(obj, self.reader)
        if not isinstance(obj, dict):
            return ""
        raw = str(obj.get("text") or "")
        return self.md(raw) if obj.get("type") == "mrkdwn" else plain_text(raw, self.reader)


def element_label(element: dict[str, Any]) -> str:
    text = element.get("text") or element.get("placeholder") or {}
    label = text.get("text", "") if isinstance(text, dict) else str(text)
    if element.get("type") == "overflow":
        return label or "⋯"
    return label or element.get("action_id", element.get("type", "?"))


def options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options", [])
    return options


def block_id_of(block: dict[str, Any], index: int) -> str:
    """The block's id, or the one the emulator gives blocks that have none (as Slack makes one up)."""
    return block.get("block_id") or f"b{index}"


def render_blocks(blocks: Iterable[dict[str, Any]], canvas: Canvas) -> list[str]:
    lines: list[str] = []
    for index, block in enumerate(blocks or []):
        if isinstance(block, dict):
            lines += render_block(block, block_id_of(block, index), canvas)
    return lines


def render_message(text: str, blocks: list[dict[str, Any]], canvas: Canvas) -> list[str]:
    """A message as Slack shows it: its blocks, or its `text` when it has none."""
    if blocks:
        return render_blocks(blocks, canvas)
    return canvas.md(text).split("\n") if text else [canvas.style.dim("(an empty message)")]


def render_block(block: dict[str, Any], block_id: str, canvas: Canvas) -> list[str]:
    kind = block.get("type")
    style = canvas.style
    if kind == "header":
        title = canvas.text(block.get("text"))
        return [style.bold(title), style.dim("═" * max(3, width(title)))]
    if kind == "section":
        return _section(block, block_id, canvas)
    if kind == "divider":
        return [style.dim("─" * 40)]
    if kind == "context":
        parts = [_context_element(e, canvas) for e in block.get("elements") or []]
        return [style.dim(line) for line in "  ·  ".join(p for p in parts if p).split("\n")]
    if kind == "actions":
        return _actions(block.get("elements") or [], block_id, canvas)
    if kind == "input":
        return _input(block, block_id, canvas)
    if kind == "image":
        title = canvas.text(block.get("title")) if block.get("title") else ""
        return [_image(block, canvas) + (f" {title}" if title else "")]
    if kind == "rich_text":
        return rich_text(block.get("elements") or [], canvas.reader, canvas.style)
    if kind in ("file", "video"):
        name = canvas.text(block.get("title")) if block.get("title") else block.get("external_id", "")
        return [style.dim(f"[{kind}{': ' + name if name else ''}]")]
    return [style.dim(f"[{kind or 'unknown'} block]")]


def _section(block: dict[str, Any], block_id: str, canvas: Canvas) -> list[str]:
    lines = canvas.text(block["text"]).split("\n") if block.get("text") else []
    if block.get("fields"):
        lines += _fields(block["fields"], canvas)
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        if accessory.get("type") == "image":
            lines.append(_image(accessory, canvas))
        else:
            shown, extra = _element(accessory, block_id, canvas)
            if lines:
                lines[-1] = f"{lines[-1]}   {shown}"
            else:
                lines.append(shown)
            lines += extra
    return lines


_FIELD = re.compile(r"^\*([^*\n]{1,60})\*\n(.*)$", re.DOTALL)


def _fields(items: list[dict[str, Any]], canvas: Canvas) -> list[str]:
    """Fields of the form `*Name*\\nvalue` as an aligned table of names and values; others as they are."""
    pairs: list[tuple[str | None, str]] = []
    for item in items:
        raw = str((item or {}).get("text") or "")
        match = _FIELD.match(raw) if item.get("type") == "mrkdwn" else None
        if match:
            pairs.append((canvas.md(match[1]), canvas.md(match[2])))
        else:
            pairs.append((None, canvas.text(item)))
    name_width = min(FIELD_NAME_MAX, max((width(n) for n, _ in pairs if n), default=0))
    lines: list[str] = []
    for name, value in pairs:
        value_lines = value.split("\n") or [""]
        if name is None:
            lines += value_lines
            continue
        head = pad(canvas.style.bold(name), name_width)
        lines.append(f"{head}  {value_lines[0]}")
        lines += [" " * (name_width + 2) + more for more in value_lines[1:]]
    return lines


def _context_element(element: dict[str, Any], canvas: Canvas) -> str:
    if element.get("type") == "image":
        return f"[{element.get('alt_text') or 'image'}]"
    return canvas.text(element)


def _image(block: dict[str, Any], canvas: Canvas) -> str:
    alt = block.get("alt_text") or "image"
    url = block.get("image_url") or ""
    return canvas.style.dim(f"[image: {alt}]" + (f" {url}" if url else ""))


def _actions(elements: list[dict[str, Any]], block_id: str, canvas: Canvas) -> list[str]:
    lines: list[str] = []
    row: list[str] = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        shown, extra = _element(element, block_id, canvas)
        if element.get("type") == "button":
            row.append(shown)
            continue
        if row:
            lines.append("  ".join(row))
            row = []
        lines.append(shown)
        lines += extra
    if row:
        lines.append("  ".join(row))
    return lines


def _element(element: dict[str, Any], block_id: str, canvas: Canvas) -> tuple[str, list[str]]:
    """A numbered button or select, and the lines listing a select's options."""
    style = canvas.style
    kind = element.get("type")
    number = canvas.targets.add(canvas.surface, block_id, element)
    label = plain_text(element_label(element), canvas.reader)
    tag = f"[{number}]"
    if kind == "button":
        shown = style.button(keep_together(f"{tag} {label}"), element.get("style"))
        if element.get("url"):
            shown += style.dim(f" ↗ {element['url']}")
        return shown, []
    if kind in SELECTS or kind in MULTI_SELECTS:
        current = _chosen_labels(element, canvas)
        shown = style.bold(f"{tag} {label} ▾") + (f" {current}" if current else "")
        return shown, _options(options_of(element), canvas)
    hints = {
        "users_select": "a person",
        "multi_users_select": "people",
        "conversations_select": "a channel",
        "channels_select": "a channel",
        "multi_conversations_select": "channels",
        "multi_channels_select": "channels",
        "datepicker": "a date (YYYY-MM-DD)",
        "timepicker": "a time (HH:MM)",
        "datetimepicker": "a date and time",
    }
    current = _initial_value(element, canvas)
    hint = hints.get(str(kind), str(kind))
    shown = style.bold(f"{tag} {label} ▾") + (f" {current}" if current else "") + style.dim(f"  (choose {hint})")
    return shown, []


def _chosen_labels(element: dict[str, Any], canvas: Canvas) -> str:
    chosen = element.get("initial_option")
    picked = [chosen] if chosen else list(element.get("initial_options") or [])
    return ", ".join(canvas.text(o.get("text")) for o in picked if isinstance(o, dict))


def _initial_value(element: dict[str, Any], canvas: Canvas) -> str:
    names = canvas.reader
    if element.get("initial_user"):
        return "@" + names.users.get(element["initial_user"], element["initial_user"])
    if element.get("initial_users"):
        return ", ".join("@" + names.users.get(u, u) for u in element["initial_users"])
    for key in ("initial_conversation", "initial_channel"):
        if element.get(key):
            return "#" + names.channels.get(element[key], element[key])
    return str(element.get("initial_date") or element.get("initial_time") or "")


def _options(options: list[dict[str, Any]], canvas: Canvas) -> list[str]:
    """A select's options, numbered: on one line when they are short, else one a line."""
    shown = [f"{i}) {canvas.text(o.get('text'))}" for i, o in enumerate(options, start=1)]
    if not shown:
        return ["    " + canvas.style.dim("(no options)")]
    if max(width(s) for s in shown) > 32 or sum(width(s) + 3 for s in shown) > 160:
        return ["    " + s for s in shown]
    return ["    " + "   ".join(keep_together(s) for s in shown)]


# ---- modal inputs ------------------------------------------------------------------------------
def field_key(block: dict[str, Any], block_id: str) -> str:
    """What to type after `set`: the block_id when it reads like a word, else the label in quotes."""
    if re.fullmatch(r"[A-Za-z][\w.-]{0,40}", block_id) and not re.fullmatch(r"b\d+", block_id):
        return block_id
    label = str((block.get("label") or {}).get("text") or block_id)
    return f'"{label}"'


def _input(block: dict[str, Any], block_id: str, canvas: Canvas) -> list[str]:
    style = canvas.style
    element = block.get("element") or {}
    kind = element.get("type", "")
    label = canvas.text(block.get("label"))
    optional = style.dim(" (optional)") if block.get("optional") else ""
    what = {
        **dict.fromkeys(SELECTS, "<option>"),
        **dict.fromkeys(MULTI_SELECTS, "<options, comma separated>"),
        "users_select": "<name>",
        "multi_users_select": "<names>",
        "conversations_select": "<#channel>",
        "channels_select": "<#channel>",
        "datepicker": "<YYYY-MM-DD>",
        "timepicker": "<HH:MM>",
    }.get(kind, "<text>")
    lines = [style.bold(label) + optional + style.dim(f"   set {field_key(block, block_id)} {what}")]
    value = current_value(element, canvas.values.get(block_id, UNSET), canvas)
    if value:
        first, *rest = value.split("\n")
        lines.append(f"  ▸ {first}")
        lines += [f"    {more}" for more in rest]
    else:
        placeholder = canvas.text(element.get("placeholder")) if element.get("placeholder") else ""
        lines.append("  " + style.dim(f"(empty — {placeholder})" if placeholder else "(empty)"))
    if kind in SELECTS or kind in MULTI_SELECTS:
        lines += _options(options_of(element), canvas)
    if block.get("hint"):
        lines.append("  " + style.dim(canvas.text(block["hint"])))
    if block_id in canvas.errors:
        lines.append("  " + style.bad(f"✗ {canvas.errors[block_id]}"))
    return lines


def current_value(element: dict[str, Any], typed: Any, canvas: Canvas) -> str:
    """The value an input shows: what was typed with `set`, else its initial value."""
    kind = element.get("type", "")
    users, channels = canvas.reader.users, canvas.reader.channels
    if kind in TEXT_INPUTS:
        return str(element.get("initial_value") or "") if typed is UNSET else str(typed or "")
    if kind in SELECTS:
        if typed is UNSET:
            chosen = element.get("initial_option")
            return canvas.text(chosen.get("text")) if chosen else ""
        return _option_label(element, str(typed), canvas) if typed else ""
    if kind in MULTI_SELECTS:
        if typed is UNSET:
            return ", ".join(canvas.text(o.get("text")) for o in element.get("initial_options") or [])
        return ", ".join(_option_label(element, str(v), canvas) for v in typed or [])
    if kind == "users_select":
        user = element.get("initial_user") if typed is UNSET else typed
        return "@" + users.get(user, user) if user else ""
    if kind == "multi_users_select":
        people = (element.get("initial_users") or []) if typed is UNSET else (typed or [])
        return ", ".join("@" + users.get(u, u) for u in people)
    if kind in ("conversations_select", "channels_select"):
        initial = element.get("initial_conversation") or element.get("initial_channel")
        channel = initial if typed is UNSET else typed
        return "#" + channels.get(channel, channel) if channel else ""
    if typed is UNSET:
        return str(element.get("initial_date") or element.get("initial_time") or "")
    return str(typed or "")


def _option_label(element: dict[str, Any], value: str, canvas: Canvas) -> str:
    found = next((o for o in options_of(element) if o.get("value") == value), None)
    return canvas.text(found.get("text")) if found else value
