"""The Slack app manifest: what the bot offers, for `herobot manifest` and the app's settings page."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.complaints.ids import ComplaintAction
from bot.ids import ProjectAction

SLASH_COMMANDS: list[dict[str, Any]] = [
    {
        "command": "/hero",
        "description": "Log and follow HERO projects",
        "usage_hint": "new | list [mine|all|<stage>] | show HERO-12 | update HERO-12 <note> | stage HERO-12 <stage> | stats | compact | help",
    },
    {
        "command": "/complaint",
        "description": "Log, route and follow up social-media complaints",
        # Slack sends @mentions as <@U…|name>, so `assign COMP-12 @maya` names a person unambiguously.
        "should_escape": True,
        "usage_hint": "add <link or text> | list [open|mine|overdue|tag:<tag>] | show COMP-12 | assign COMP-12 @user | respond COMP-12 <note> | resolve COMP-12 <note> | dismiss COMP-12 <reason> | link COMP-12 HERO-3 | rules | help",
    },
    {
        "command": "/risk",
        "description": "Run IT's risk check for a HERO project; IT reviews it",
        "usage_hint": "start HERO-12 | resume [RISK-5] | list [mine|pending] | show RISK-5 | help",
    },
    {
        "command": "/council",
        "description": "Councils and their scheduled digests of projects, complaints and risk reviews",
        "usage_hint": "create | list | show <name> | preview <name> | post <name> | edit <name> | pause <name> | resume <name> | delete <name> | help",
    },
]

SHORTCUTS: list[dict[str, str]] = [
    {
        "name": "New HERO project",
        "type": "global",
        "callback_id": ProjectAction.SHORTCUT_NEW.value,
        "description": "Log a customer-facing HERO project",
    },
    {
        "name": "Log social complaint",
        "type": "message",
        "callback_id": ComplaintAction.SHORTCUT_LOG.value,
        "description": "Log this message as a social complaint, routed to its owner",
    },
]

BOT_EVENTS: list[str] = [
    "app_home_opened",
    "reaction_added",  # the complaint emoji logs the message it was added to (reactions:read)
    # No scope needed: an uninstall or a revoked token removes that workspace's installation (OAuth).
    "app_uninstalled",
    "tokens_revoked",
]

# Each scope is here because the code calls a method that needs it.
BOT_SCOPES: list[str] = [
    "commands",  # slash commands and shortcuts
    "chat:write",  # chat.postMessage, chat.postEphemeral, chat.update, chat.getPermalink
    "users:read",  # users.info: workspace admins and time zones
    "usergroups:read",  # usergroups.list, usergroups.users.list: IT reviewers
    "im:write",  # direct messages to owners and reviewers
    "reactions:read",  # reaction_added events: the complaint emoji
    "channels:history",  # conversations.history/replies: the text of a message flagged as a complaint
    "groups:history",  # …in private channels the bot was invited to
    "channels:read",  # conversations.info: is the bot in a council's public channel?
    "groups:read",  # conversations.info on a council's private channel the bot was invited to
    "channels:join",  # conversations.join: the bot joins a council's public channel itself
    "files:write",  # files.getUploadURLExternal + files.completeUploadExternal: the digest's chart
]


EVENTS_PATH = "/slack/events"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"


def base_url(request_url: str | None) -> str:
    """The public base URL, given with or without /slack/events; Slack only calls https URLs."""
    url = (request_url or "https://herobot.example.com").strip().rstrip("/")
    if not re.match(r"^https://[^\s/]+", url):
        raise ValueError(f"--url must be the bot's public https:// address, got {request_url!r}")
    return url.removesuffix(EVENTS_PATH)


def build_manifest(request_url: str | None = None, *, socket_mode: bool = False) -> dict[str, Any]:
    url = base_url(request_url)
    events_url = url + EVENTS_PATH
    commands = [dict(c) for c in SLASH_COMMANDS]
    if not socket_mode:
        for command in commands:
            command["url"] = events_url
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": sorted(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if not socket_mode:
        settings["event_subscriptions"]["request_url"] = events_url
        settings["interactivity"]["request_url"] = events_url
    oauth_config: dict[str, Any] = {"scopes": {"bot": sorted(set(BOT_SCOPES))}}
    if request_url:
        # Where Slack sends an installer back in the multi-workspace install flow (SLACK_CLIENT_ID…).
        oauth_config["redirect_urls"] = [url + OAUTH_REDIRECT_PATH]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "herobot",
            "description": "HERO projects, social complaints, IT risk reviews and council digests",
            "background_color": "#1d3557",
            "long_description": (
                "herobot helps employees who fix customers' problems in public on social media. "
                "Log HERO projects, tag and route social complaints until they are answered, run IT's "
                "risk-assessment checklist as a conversation that IT reviewers approve, and post "
                "scheduled digests to cross-functional councils."
            ),
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "herobot", "always_online": True},
            "slash_commands": commands,
            "shortcuts": [dict(s) for s in SHORTCUTS],
        },
        "oauth_config": oauth_config,
        "settings": settings,
    }


def render(manifest: dict[str, Any], fmt: str = "json") -> str:
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
    return json.dumps(manifest, indent=2)
