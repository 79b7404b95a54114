"""Whether a routing rule matches a complaint: pure functions, no database, no Slack.

A rule's conditions all have to hold; a condition left empty matches every complaint.

- keyword: one or more comma-separated keywords; one is enough. A keyword matches, ignoring case,
  where a word starts: `refund` matches "Refunds" and "refunded", not "nonrefundable"; the spaces of
  `late delivery` match any run of spaces or line breaks.
- regular expression: searched anywhere in the text, ignoring case.
- tag: the complaint carries that tag (case ignored; `late delivery` is the tag `late-delivery`).
- network, severity: equal.
- region: equal, case ignored; `DE, AT` names several regions, one is enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Only this much of a complaint's text is searched: it bounds the cost of any pattern.
MATCH_TEXT_MAX = 4000
PATTERN_MAX = 200


@dataclass(frozen=True)
class Conditions:
    """A rule's conditions (None or "" = any)."""

    pattern: str | None = None
    pattern_is_regex: bool = False
    tag: str | None = None
    network: str | None = None
    region: str | None = None
    severity: str | None = None

    @property
    def is_catch_all(self) -> bool:
        return not any((self.pattern, self.tag, self.network, self.region, self.severity))


@dataclass(frozen=True)
class Facts:
    """What routing looks at in a complaint."""

    text: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)
    network: str = ""
    region: str | None = None
    severity: str = "medium"

    @classmethod
    def of(cls, *, text: str, tags: Iterable[str], network: str, region: str | None, severity: str) -> Facts:
        return cls(
            text=(text or "")[:MATCH_TEXT_MAX],
            tags=frozenset(tag_key(t) for t in tags if t and t.strip()),
            network=(network or "").strip().casefold(),
            region=region,
            severity=(severity or "").strip().casefold(),
        )


def tag_key(raw: str | None) -> str:
    """A tag as complaints store it: `#Late delivery` → `late-delivery`."""
    return re.sub(r"\s+", "-", (raw or "").strip().lstrip("#").strip().lower())


def split_list(raw: str | None) -> list[str]:
    """`refund, late delivery` → ['refund', 'late delivery']: the alternatives of a keyword or region."""
    return [" ".join(part.split()) for part in (raw or "").split(",") if part.strip()]


@lru_cache(maxsize=512)
def keyword_regex(keywords: str) -> re.Pattern[str] | None:
    alternatives = [
        r"(?<!\w)" + r"\s+".join(re.escape(word) for word in keyword.split()) for keyword in split_list(keywords)
    ]
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


@lru_cache(maxsize=512)
def user_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None


def text_matches(conditions: Conditions, text: str) -> bool:
    if not conditions.pattern:
        return True
    compiled = user_regex(conditions.pattern) if conditions.pattern_is_regex else keyword_regex(conditions.pattern)
    # A stored pattern that no longer compiles matches nothing rather than everything.
    return compiled is not None and compiled.search(text[:MATCH_TEXT_MAX]) is not None


def matches(conditions: Conditions, facts: Facts) -> bool:
    if conditions.tag and tag_key(conditions.tag) not in facts.tags:
        return False
    if conditions.network and conditions.network.casefold() != facts.network:
        return False
    if conditions.severity and conditions.severity.casefold() != facts.severity:
        return False
    if conditions.region:
        wanted = {region.casefold() for region in split_list(conditions.region)}
        if " ".join((facts.region or "").split()).casefold() not in wanted:
            return False
    return text_matches(conditions, facts.text)


def first_match(rules: Sequence[tuple[Any, Conditions]], facts: Facts) -> Any | None:
    """The first rule (in the order given) whose conditions hold; None when none does."""
    return next((rule for rule, conditions in rules if matches(conditions, facts)), None)


# ---- checking a pattern before it is saved ------------------------------------------------------


def keyword_problem(raw: str) -> str | None:
    if len(raw) > PATTERN_MAX:
        return f"Keep the keywords under {PATTERN_MAX} characters."
    if not any(re.search(r"\w", keyword) for keyword in split_list(raw)):
        return "Give at least one keyword with a letter or digit, e.g. `refund, late delivery`."
    return None


def regex_problem(pattern: str) -> str | None:
    """Why a regular expression is refused: too long, not valid, or slow on some texts."""
    if len(pattern) > PATTERN_MAX:
        return f"Keep the regular expression under {PATTERN_MAX} characters."
    try:
        re.compile(pattern)
    except re.error as error:
        return f"This is not a valid regular expression: {error}."
    except (RecursionError, OverflowError):
        return "This regular expression is too complex."
    if _has_nested_repeat(pattern):
        return (
            "A repeat inside a repeat, like `(a+)+` or `(\\w*)*`, can take very long on some texts; "
            "write it with a single repeat."
        )
    return None


def _has_nested_repeat(pattern: str) -> bool:
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found]
        from re._constants import MAXREPEAT  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover — another Python: the length limit still bounds the pattern
        return False
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:
        return False
    repeats = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}

    def walk(items: Any, inside_unbounded: bool) -> bool:
        for op, arg in items:
            name = str(op)
            if name in repeats:
                low, high, sub = arg
                unbounded = high == MAXREPEAT or high > 50
                if inside_unbounded and high > 1 and high != low:
                    return True
                if walk(sub, inside_unbounded or unbounded):
                    return True
            elif name in ("SUBPATTERN",):
                if walk(arg[-1], inside_unbounded):
                    return True
            elif name == "BRANCH":
                if any(walk(branch, inside_unbounded) for branch in arg[1]):
                    return True
            elif name in ("ASSERT", "ASSERT_NOT"):
                if walk(arg[1], inside_unbounded):
                    return True
            elif name == "ATOMIC_GROUP":
                if walk(arg, inside_unbounded):
                    return True
            elif name == "GROUPREF_EXISTS" and (
                walk(arg[1], inside_unbounded) or (arg[2] is not None and walk(arg[2], inside_unbounded))
            ):
                return True
        return False

    return walk(parsed, False)
