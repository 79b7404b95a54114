"""The manifest offers /risk with its usage hint and the scopes the risk check calls need."""

from bot.manifest import build_manifest


def test_risk_command_and_its_scopes_are_in_the_manifest() -> None:
    manifest = build_manifest("https://hero.example.com")
    risk = next(c for c in manifest["features"]["slash_commands"] if c["command"] == "/risk")
    assert risk["usage_hint"].startswith("start HERO-12 | resume") and "list [mine|pending]" in risk["usage_hint"]
    assert risk["url"] == "https://hero.example.com/slack/events"
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # DMs to HEROes and reviewers, chat.update of questions and cards, permalinks, reviewer group look-ups
    assert {"chat:write", "im:write", "usergroups:read", "users:read", "commands"} <= scopes
    assert (
        manifest["features"]["app_home"]["home_tab_enabled"]
        and manifest["features"]["app_home"]["messages_tab_enabled"]
    )
