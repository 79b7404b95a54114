from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import ConfigurationError, load_settings, parse_crisis_threshold, parse_sla_minutes


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("PORT", "DATABASE_URL", "HERO_SLA_MINUTES", "HERO_CRISIS_THRESHOLD", "HERO_ADMINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "abc", "PORT: "),
        ("PORT", "70000", "PORT: "),
        ("HERO_SLA_MINUTES", "critical=soon", "HERO_SLA_MINUTES: critical must be a number of minutes, got 'soon'"),
        ("HERO_SLA_MINUTES", "urgent=5", "HERO_SLA_MINUTES: expected severity=minutes"),
        ("HERO_SLA_MINUTES", "low=-1", "HERO_SLA_MINUTES: low must be a positive number"),
        ("DATABASE_URL", "mysql://root@localhost/hero", "DATABASE_URL: unsupported driver 'mysql'"),
        ("HERO_CRISIS_THRESHOLD", "five", "HERO_CRISIS_THRESHOLD: expected <count>/<minutes>m"),
        ("HERO_ADMINS", "sam", "HERO_ADMINS: expected Slack user IDs"),
        ("HERO_PROJECTS_CHANNEL", "#general", "HERO_PROJECTS_CHANNEL: expected a channel ID"),
        ("HERO_REMINDER_INTERVAL_SECONDS", "0", "HERO_REMINDER_INTERVAL_SECONDS: "),
        ("HERO_CHECKLIST_PATH", "/nowhere/checklist.yaml", "HERO_CHECKLIST_PATH: no such file"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL: must be an http(s) URL"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "xoxb-very-secret" not in str(raised.value)
    settings = load_settings(port=3000)
    assert "xoxb-very-secret" not in repr(settings)


def test_defaults_and_parsed_forms() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./herobot.db"
    assert settings.sla_minutes == {"critical": 60, "high": 240, "medium": 1440, "low": 4320}
    assert settings.crisis_threshold.count == 5 and settings.crisis_threshold.window == timedelta(minutes=60)
    assert settings.hero_it_reviewers_group == "it-reviewers"


def test_plain_postgres_urls_use_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://hero@db/hero")
    assert load_settings().database_url == "postgresql+asyncpg://hero@db/hero"


def test_sla_fractions_and_partial_overrides() -> None:
    assert parse_sla_minutes("critical=0.5") == {"critical": 0.5, "high": 240, "medium": 1440, "low": 4320}


def test_crisis_threshold_in_hours() -> None:
    threshold = parse_crisis_threshold("10/2h")
    assert (threshold.count, threshold.window) == (10, timedelta(hours=2))
