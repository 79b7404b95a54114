"""Credentials for each way of running: one clear line naming the variable, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from bot.manifest import BOT_SCOPES
from bot.settings import ConfigurationError, Settings, load_settings


def settings(**values: Any) -> Settings:
    return load_settings(_env_file=None, **values)


def refusal(**values: Any) -> str:
    with pytest.raises(ConfigurationError) as refused:
        settings(**values)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_client_id_without_secret_names_the_secret() -> None:
    assert refusal(slack_client_id="123.456").startswith("SLACK_CLIENT_SECRET: required with SLACK_CLIENT_ID")


def test_client_secret_without_id_names_the_id() -> None:
    assert refusal(slack_client_secret="shh").startswith("SLACK_CLIENT_ID: required with SLACK_CLIENT_SECRET")


def test_scopes_without_oauth_say_they_are_unused() -> None:
    message = refusal(slack_scopes=",".join(BOT_SCOPES))
    assert message.startswith("SLACK_SCOPES: only used by the OAuth install flow")


def test_scopes_missing_what_the_bot_needs_are_named() -> None:
    message = refusal(slack_client_id="1.2", slack_client_secret="s", slack_scopes="commands")
    assert message.startswith("SLACK_SCOPES: missing ")
    assert "chat:write" in message and "commands," not in message


def test_oauth_scopes_default_to_the_manifest_and_accept_extra_ones() -> None:
    assert settings(slack_client_id="1.2", slack_client_secret="s").oauth_scopes == sorted(set(BOT_SCOPES))
    extra = ",".join([*BOT_SCOPES, "reactions:read"])
    assert "reactions:read" in settings(slack_client_id="1.2", slack_client_secret="s", slack_scopes=extra).oauth_scopes


def test_malformed_scopes_are_refused() -> None:
    assert refusal(slack_client_id="1.2", slack_client_secret="s", slack_scopes="chat write!").startswith(
        "SLACK_SCOPES: expected comma-separated bot scopes"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("slack_bot_token", "xapp-1-abc", "xoxb-"), ("slack_app_token", "xoxb-123", "xapp-")],
)
def test_a_token_of_the_wrong_kind_is_refused_without_echoing_it(name: str, value: str, expected: str) -> None:
    message = refusal(**{name: value})
    assert message.startswith(name.upper() + ":") and expected in message
    assert value not in message


def test_socket_needs_the_app_token() -> None:
    with pytest.raises(ConfigurationError, match=r"^SLACK_APP_TOKEN: required for `herobot socket`"):
        settings(slack_bot_token="xoxb-1").check_for("socket")
    settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1").check_for("socket")


def test_serve_needs_the_signing_secret_and_a_token_or_oauth() -> None:
    with pytest.raises(ConfigurationError, match=r"^SLACK_SIGNING_SECRET: required for `herobot serve`"):
        settings(slack_bot_token="xoxb-1").check_for("serve")
    with pytest.raises(ConfigurationError, match=r"^SLACK_BOT_TOKEN: required for `herobot serve`"):
        settings(slack_signing_secret="s").check_for("serve")
    settings(slack_signing_secret="s", slack_bot_token="xoxb-1").check_for("serve")
    settings(slack_signing_secret="s", slack_client_id="1.2", slack_client_secret="c").check_for("serve")


def test_a_bot_token_and_oauth_together_are_refused() -> None:
    both = settings(slack_signing_secret="s", slack_bot_token="xoxb-1", slack_client_id="1.2", slack_client_secret="c")
    with pytest.raises(ConfigurationError, match=r"^SLACK_BOT_TOKEN: set either SLACK_BOT_TOKEN"):
        both.check_for("serve")
