"""`herobot manifest`: the full app manifest, and the bot scopes the code needs — no fewer."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli import main
from bot.console.fake_slack import FakeSlack
from bot.manifest import BOT_EVENTS, BOT_SCOPES, SHORTCUTS, SLASH_COMMANDS, build_manifest, render
from bot.slack_scopes import accepted_scopes, missing_scope
from handlers import register_all

ROOT = Path(__file__).resolve().parents[2]
# The product's code; the console's fake Slack and emulator play Slack's side and are left out.
SOURCE_DIRS = ("bot", "handlers", "storage")
EXCLUDED = ("bot/console/",)


def web_api_methods() -> dict[str, str]:
    """slack_sdk's client method name → the Web API method it calls (`chat_postMessage` → `chat.postMessage`)."""
    found: dict[str, str] = {}
    for name, function in inspect.getmembers(AsyncWebClient, inspect.iscoroutinefunction):
        match = re.search(r'api_call\(\s*"([A-Za-z0-9.]+)"', inspect.getsource(function))
        if match and not name.startswith("_"):
            found[name] = match.group(1)
    return found


def methods_called_in(source: str, by_name: dict[str, str]) -> set[str]:
    called = {by_name[name] for name in re.findall(r"\.([a-z][A-Za-z0-9_]*)\(", source) if name in by_name}
    called |= set(re.findall(r'api_call\(\s*"([A-Za-z0-9.]+)"', source))
    return called


def methods_called_by_the_code() -> dict[str, set[str]]:
    by_name = web_api_methods()
    calls: dict[str, set[str]] = {}
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(EXCLUDED):
                continue
            for method in methods_called_in(path.read_text(encoding="utf-8"), by_name):
                calls.setdefault(method, set()).add(relative)
    return calls


def test_the_code_calls_slack_and_the_scan_finds_it() -> None:
    calls = methods_called_by_the_code()
    assert {"chat.postMessage", "views.open", "users.info", "usergroups.users.list"} <= set(calls)


def test_every_method_the_code_calls_has_its_scope_in_the_manifest() -> None:
    granted = set(build_manifest()["oauth_config"]["scopes"]["bot"])
    missing = {
        method: sorted(needed)
        for method, _files in methods_called_by_the_code().items()
        if (needed := missing_scope(method, granted)) is not None
    }
    assert not missing, f"add one of these scopes to BOT_SCOPES in bot/manifest.py: {missing}"


def test_the_scope_check_catches_a_call_whose_scope_is_missing() -> None:
    by_name = web_api_methods()
    source = "async def mark(client):\n    await client.reactions_add(channel=c, timestamp=ts, name='eyes')\n"
    called = methods_called_in(source, by_name)
    assert called == {"reactions.add"}
    assert missing_scope("reactions.add", set(BOT_SCOPES)) == {"reactions:write"}
    assert missing_scope("reactions.add", {*BOT_SCOPES, "reactions:write"}) is None


def test_conversation_scopes_are_granted_per_kind_of_conversation() -> None:
    assert accepted_scopes("conversations.history") == {
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
    }
    assert missing_scope("conversations.history", {"channels:history"}) is None
    assert accepted_scopes("views.open") == frozenset()
    assert accepted_scopes("conversations.join") == {"channels:join"}


async def test_the_fake_slack_refuses_a_call_whose_scope_was_not_granted() -> None:
    fake = FakeSlack(scopes=list(BOT_SCOPES))
    api = await fake.start()
    try:
        client = AsyncWebClient(token="xoxb-test", base_url=api)
        answer = await client.api_call("auth.test")
        assert answer["team_id"] == fake.team_id
        from slack_sdk.errors import SlackApiError

        with pytest.raises(SlackApiError) as refused:
            await client.reactions_add(channel="C1", timestamp="1.2", name="eyes")
        assert refused.value.response["error"] == "missing_scope"
        assert fake.problems == ["reactions.add needs one of the scopes reactions:write, not granted"]
    finally:
        await fake.stop()


def test_the_manifest_lists_every_command_shortcut_event_and_the_home_tab() -> None:
    manifest = build_manifest("https://hero.example.com")
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == [c["command"] for c in SLASH_COMMANDS]
    assert all(
        c["usage_hint"] and c["url"] == "https://hero.example.com/slack/events" for c in features["slash_commands"]
    )
    assert {s["callback_id"] for s in features["shortcuts"]} == {s["callback_id"] for s in SHORTCUTS}
    assert features["app_home"]["home_tab_enabled"] is True
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert {"app_home_opened", "app_uninstalled", "tokens_revoked"} <= set(BOT_EVENTS)
    assert manifest["settings"]["interactivity"]["request_url"] == "https://hero.example.com/slack/events"
    assert manifest["oauth_config"]["redirect_urls"] == ["https://hero.example.com/slack/oauth_redirect"]


def test_slacks_manifest_limits_hold() -> None:
    manifest = build_manifest("https://hero.example.com")
    info = manifest["display_information"]
    assert len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    for command in manifest["features"]["slash_commands"]:
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", command["command"])
        assert len(command["description"]) <= 2000 and len(command["usage_hint"]) <= 1000
    for shortcut in manifest["features"]["shortcuts"]:
        assert (
            len(shortcut["name"]) <= 80 and len(shortcut["description"]) <= 150 and len(shortcut["callback_id"]) <= 255
        )


def test_a_url_given_with_the_events_path_is_not_doubled() -> None:
    manifest = build_manifest("https://hero.example.com/slack/events/")
    assert manifest["settings"]["event_subscriptions"]["request_url"] == "https://hero.example.com/slack/events"


def test_socket_mode_has_no_request_urls() -> None:
    manifest = build_manifest(socket_mode=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])
    assert "redirect_urls" not in manifest["oauth_config"]


def test_the_command_prints_json_or_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--url", "https://hero.example.com"], register=register_all) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == build_manifest("https://hero.example.com")
    assert main(["manifest", "--socket", "--format", "yaml"], register=register_all) == 0
    assert yaml.safe_load(capsys.readouterr().out) == build_manifest(socket_mode=True)
    assert render(build_manifest(), "yaml").startswith("_metadata:")


def test_a_url_that_is_not_https_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--url", "http://hero.example.com"], register=register_all) == 2
    err = capsys.readouterr().err.strip()
    assert err == "herobot manifest: --url must be the bot's public https:// address, got 'http://hero.example.com'"
