"""Configuration from the environment (and a `.env` file), validated once at start-up.

Every variable of the product contract is parsed here, so a bad value stops the bot before it
serves anything, with one line naming the variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SEVERITIES = ("critical", "high", "medium", "low")
DEFAULT_SLA_MINUTES = {"critical": 60.0, "high": 240.0, "medium": 1440.0, "low": 4320.0}
SUPPORTED_DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigurationError(Exception):
    """A configuration value the bot cannot run with; the message is one line for the operator."""


@dataclass(frozen=True)
class CrisisThreshold:
    count: int
    window: timedelta

    def __str__(self) -> str:
        minutes = int(self.window.total_seconds() // 60)
        return f"{self.count}/{minutes}m"


def parse_sla_minutes(raw: str) -> dict[str, float]:
    """`critical=60,high=240` → minutes per severity; severities not named keep their default."""
    result = dict(DEFAULT_SLA_MINUTES)
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in SEVERITIES:
            raise ValueError(f"expected severity=minutes with a severity among {', '.join(SEVERITIES)}, got {part!r}")
        try:
            minutes = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number of minutes, got {value.strip()!r}") from None
        if not (minutes > 0) or minutes == float("inf"):
            raise ValueError(f"{name} must be a positive number of minutes, got {value.strip()!r}")
        result[name] = minutes
    return result


_THRESHOLD = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*([mh])\s*$", re.IGNORECASE)


def parse_crisis_threshold(raw: str) -> CrisisThreshold:
    match = _THRESHOLD.match(raw)
    if not match:
        raise ValueError(f"expected <count>/<minutes>m or <count>/<hours>h, e.g. 5/60m, got {raw!r}")
    count, amount, unit = int(match[1]), float(match[2]), match[3].lower()
    if count < 1 or amount <= 0:
        raise ValueError(f"count and window must both be positive, got {raw!r}")
    window = timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount)
    if window > timedelta(days=31):
        raise ValueError(f"the window may be at most 31 days, got {raw!r}")
    return CrisisThreshold(count=count, window=window)


def normalise_database_url(raw: str) -> str:
    url = raw.strip()
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_DRIVERS:
        raise ValueError(
            f"unsupported driver {scheme or url!r}; use sqlite+aiosqlite:///path.db or "
            "postgresql+asyncpg://user@host/db"
        )
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_scopes: str | None = None
    slack_api_url: str = "https://slack.com/api/"

    database_url: str = "sqlite+aiosqlite:///./herobot.db"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)

    hero_projects_channel: str | None = None
    hero_complaints_channel: str | None = None
    hero_crisis_channel: str | None = None
    hero_it_review_channel: str | None = None
    hero_it_reviewers_group: str = "it-reviewers"
    hero_admins: str = ""
    hero_complaint_emoji: str = "triangular_flag_on_post"
    hero_sla_minutes: str = "critical=60,high=240,medium=1440,low=4320"
    hero_reminder_interval_seconds: float = Field(default=60, gt=0, le=86400)
    hero_crisis_threshold: str = "5/60m"
    hero_ingest_token: SecretStr | None = None
    hero_retention_days: int = Field(default=365, ge=1, le=36500)
    hero_checklist_path: Path | None = None

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_secret",
        "hero_ingest_token",
        "hero_checklist_path",
        "slack_client_id",
        "slack_scopes",
        "hero_projects_channel",
        "hero_complaints_channel",
        "hero_crisis_channel",
        "hero_it_review_channel",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("expected a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError(
                "expected an app-level token starting with xapp- (Basic Information → App-Level Tokens, "
                "with the connections:write scope)"
            )
        return value

    @field_validator("slack_scopes")
    @classmethod
    def _scopes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scopes = split_scopes(value)
        bad = [scope for scope in scopes if not re.fullmatch(r"[a-z]+(?:[.:_-][a-z]+)*", scope)]
        if bad or not scopes:
            raise ValueError(f"expected comma-separated bot scopes such as commands,chat:write, got {value!r}")
        from bot.manifest import BOT_SCOPES

        missing = [scope for scope in BOT_SCOPES if scope not in scopes]
        if missing:
            raise ValueError(
                f"missing {', '.join(missing)}, which the bot needs (leave SLACK_SCOPES unset to ask for "
                "exactly the scopes of `herobot manifest`)"
            )
        return value

    @model_validator(mode="after")
    def _oauth_credentials(self) -> Settings:
        # Model-level messages start with the variable's name: load_settings shows them as they are.
        if self.slack_client_id and self.slack_client_secret is None:
            raise ValueError(
                "SLACK_CLIENT_SECRET: required with SLACK_CLIENT_ID for the OAuth install flow "
                "(Basic Information → App Credentials)"
            )
        if self.slack_client_secret is not None and not self.slack_client_id:
            raise ValueError("SLACK_CLIENT_ID: required with SLACK_CLIENT_SECRET for the OAuth install flow")
        if self.slack_scopes and not self.slack_client_id:
            raise ValueError(
                "SLACK_SCOPES: only used by the OAuth install flow; set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET too"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("hero_sla_minutes")
    @classmethod
    def _sla(cls, value: str) -> str:
        parse_sla_minutes(value)
        return value

    @field_validator("hero_crisis_threshold")
    @classmethod
    def _threshold(cls, value: str) -> str:
        parse_crisis_threshold(value)
        return value

    @field_validator("hero_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for user_id in _split_ids(value):
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
                raise ValueError(f"expected Slack user IDs such as U012ABCDEF, got {user_id!r}")
        return value

    @field_validator("hero_it_reviewers_group")
    @classmethod
    def _reviewers_group(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"@?[^\s@,<>|]+", value):
            raise ValueError(
                f"expected a user-group handle such as it-reviewers or an ID such as S012ABCDEF, got {value!r}"
            )
        return value

    @field_validator("hero_complaint_emoji")
    @classmethod
    def _emoji(cls, value: str) -> str:
        value = value.strip().strip(":")
        if not re.fullmatch(r"[a-z0-9_+\-']+", value):
            raise ValueError(f"expected an emoji name such as triangular_flag_on_post, got {value!r}")
        return value

    @field_validator(
        "hero_projects_channel", "hero_complaints_channel", "hero_crisis_channel", "hero_it_review_channel"
    )
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[CGD][A-Z0-9]{2,}", value):
            raise ValueError(f"expected a channel ID such as C012ABCDEF, got {value!r}")
        return value

    @field_validator("hero_checklist_path")
    @classmethod
    def _checklist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {str(value)!r}")
        return value

    # Parsed forms, so callers never re-parse strings.
    @property
    def sla_minutes(self) -> dict[str, float]:
        return parse_sla_minutes(self.hero_sla_minutes)

    @property
    def crisis_threshold(self) -> CrisisThreshold:
        return parse_crisis_threshold(self.hero_crisis_threshold)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(_split_ids(self.hero_admins))

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def oauth_scopes(self) -> list[str]:
        """The bot scopes the install flow asks for: SLACK_SCOPES, or exactly those of the manifest."""
        if self.slack_scopes:
            return split_scopes(self.slack_scopes)
        from bot.manifest import BOT_SCOPES

        return sorted(set(BOT_SCOPES))

    def require(self, *names: str) -> None:
        """Stop with a clear line when a mode needs variables that are unset."""
        missing = [name.upper() for name in names if getattr(self, name) is None]
        if missing:
            raise ConfigurationError(f"{', '.join(missing)}: required for this command but not set")

    def check_for(self, command: str) -> None:
        """The credentials `herobot serve` or `herobot socket` needs, each refusal one line naming a variable."""
        if command == "socket" and self.slack_app_token is None:
            raise ConfigurationError(
                "SLACK_APP_TOKEN: required for `herobot socket` but not set (an app-level token, xapp-…, "
                "with the connections:write scope)"
            )
        if command == "serve" and self.slack_signing_secret is None:
            raise ConfigurationError(
                "SLACK_SIGNING_SECRET: required for `herobot serve` but not set (Basic Information → Signing Secret)"
            )
        if self.oauth_enabled and self.slack_bot_token is not None:
            raise ConfigurationError(
                "SLACK_BOT_TOKEN: set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (installs in many workspaces), not both"
            )
        if not self.oauth_enabled and self.slack_bot_token is None:
            raise ConfigurationError(
                f"SLACK_BOT_TOKEN: required for `herobot {command}` but not set (or set SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET to install the bot in many workspaces)"
            )


def split_scopes(raw: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", raw.strip()) if part]


def _split_ids(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; raise ConfigurationError with one line per first bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:
            raise ConfigurationError(message) from None
        name = str(first["loc"][0]).upper()
        given = first.get("input")
        if isinstance(given, str) and "got" not in message and name not in SECRET_VARIABLES:
            message += f" (got {given[:60]!r})"
        raise ConfigurationError(f"{name}: {message}") from None


SECRET_VARIABLES = frozenset(
    {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_SECRET", "HERO_INGEST_TOKEN"}
)
