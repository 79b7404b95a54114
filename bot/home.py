"""The App Home tab: each domain contributes its section; this puts them together within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot import blocks as bk


def home_view(sections: list[list[bk.Block]]) -> dict[str, Any]:
    blocks: list[bk.Block] = [
        bk.section("*Welcome to herobot* — fix customer problems in public, safely, and let everyone learn from it."),
        bk.context(
            "Commands: `/hero` projects · `/complaint` social complaints · `/risk` IT risk checks · `/council` digests — each with `help`."
        ),
    ]
    for section_blocks in sections:
        if not section_blocks:
            continue
        blocks.append(bk.divider())
        blocks.extend(section_blocks)
    if len(blocks) > bk.VIEW_BLOCKS_MAX:
        blocks = [
            *blocks[: bk.VIEW_BLOCKS_MAX - 1],
            bk.context("More is waiting: use the slash commands to see everything."),
        ]
    return {"type": "home", "blocks": blocks}
