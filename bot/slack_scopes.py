"""Which bot scopes each Slack Web API method needs, from the bundled method list (bot/console/slack_methods.json).

The fake Slack refuses a call whose scope the bot was not granted, as Slack does, and a test checks that
the manifest grants every scope the code's calls need.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

METHODS_FILE = Path(__file__).resolve().parent / "console" / "slack_methods.json"

# The bundled description (2020) names conversations.* scopes by family; Slack grants them per kind of
# conversation, and any one of them lets the call through for that kind.
FAMILIES: dict[str, frozenset[str]] = {
    "conversations:history": frozenset({"channels:history", "groups:history", "im:history", "mpim:history"}),
    "conversations:read": frozenset({"channels:read", "groups:read", "im:read", "mpim:read"}),
    "conversations:write": frozenset({"channels:manage", "groups:write", "im:write", "mpim:write"}),
}
# Where today's scope differs from the description's.
METHOD_SCOPES: dict[str, frozenset[str]] = {"conversations.join": frozenset({"channels:join"})}
# Called with the app-level token (xapp-), whose scopes are not the bot's.
APP_LEVEL_METHODS = frozenset({"apps.connections.open"})
NO_SCOPE = frozenset({"", "none"})


@cache
def methods() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads(METHODS_FILE.read_text(encoding="utf-8"))["methods"]
    return loaded


def accepted_scopes(method: str) -> frozenset[str]:
    """The bot scopes of which any one lets `method` through; empty when it needs none. KeyError if unknown."""
    if method in METHOD_SCOPES:
        return METHOD_SCOPES[method]
    scope = methods()[method]["scopes"]
    if scope in NO_SCOPE or method in APP_LEVEL_METHODS:
        return frozenset()
    return FAMILIES.get(scope, frozenset({scope}))


def missing_scope(method: str, granted: frozenset[str] | set[str]) -> frozenset[str] | None:
    """The scopes to ask for when `granted` does not let `method` through; None when it does."""
    accepted = accepted_scopes(method)
    if not accepted or accepted & set(granted):
        return None
    return accepted
