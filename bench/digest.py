"""Digest benchmark (issue #8, figure 3): time to build a council digest over 10k, 100k and 1M complaints
(generated in bulk), and how it grows. Target: < 1 s at 1M and at most 3x from 10k to 1M.

A hook until councils land on main: the run reports "not measured yet" while `bot.councils.digest` is
missing. To fill in: bulk-generate complaints with SQLAlchemy Core (`insert(...).values` in chunks of
10,000, spread over networks, tags, regions and the last 90 days), then time the digest builder the
council job uses, once per size, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import importlib.util

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000,)
TARGET_SECONDS_AT_1M = 1.0
TARGET_GROWTH = 3.0


def available() -> bool:
    return importlib.util.find_spec("bot.councils") is not None


def digest_lines(quick: bool) -> list[str]:
    if not available():
        return ["digest: not measured yet — councils are not on main (bench/digest.py is the hook)"]
    return ["digest: councils are there; the measurement hook (bench/digest.py) is to be filled"]
