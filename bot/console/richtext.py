"""Slack's `rich_text` blocks (what people type in the message box) as terminal text."""

from __future__ import annotations

from typing import Any

from bot.console.mrkdwn import Reader, mrkdwn, plain_text
from bot.console.style import Style


def rich_text(elements: list[dict[str, Any]], reader: Reader, style: Style) -> list[str]:
    lines: list[str] = []
    for element in elements:
        kind = element.get("type")
        if kind == "rich_text_list":
            bullet_of = (lambda i: f"{i}.") if element.get("style") == "ordered" else (lambda i: "•")
            for i, item in enumerate(element.get("elements") or [], start=1):
                lines.append(f"{bullet_of(i)} {_runs(item.get('elements') or [], reader, style)}")
        elif kind == "rich_text_preformatted":
            lines += ["    " + line for line in _runs(element.get("elements") or [], reader, style).split("\n")]
        elif kind == "rich_text_quote":
            lines += ["▍ " + line for line in _runs(element.get("elements") or [], reader, style).split("\n")]
        else:
            lines += _runs(element.get("elements") or [], reader, style).split("\n")
    return lines


def _runs(runs: list[dict[str, Any]], reader: Reader, style: Style) -> str:
    out: list[str] = []
    for run in runs:
        kind = run.get("type")
        if kind == "text":
            text = str(run.get("text", ""))
            flags = run.get("style") or {}
            if flags.get("bold"):
                text = style.bold(text)
            if flags.get("italic"):
                text = style.italic(text)
            if flags.get("code"):
                text = style.code(text)
            out.append(text)
        elif kind == "link":
            out.append(f"{run.get('text')} ({run.get('url')})" if run.get("text") else str(run.get("url", "")))
        elif kind == "user":
            out.append("@" + reader.users.get(run.get("user_id", ""), run.get("user_id", "")))
        elif kind == "channel":
            out.append("#" + reader.channels.get(run.get("channel_id", ""), run.get("channel_id", "")))
        elif kind == "usergroup":
            out.append("@" + reader.groups.get(run.get("usergroup_id", ""), run.get("usergroup_id", "")))
        elif kind == "emoji":
            out.append(plain_text(f":{run.get('name', '')}:", reader))
        elif kind == "broadcast":
            out.append("@" + str(run.get("range", "here")))
        elif kind == "date":
            out.append(mrkdwn(f"<!date^{run.get('timestamp')}^{run.get('format', '{date_short}')}|>", reader, style))
    return "".join(out)
