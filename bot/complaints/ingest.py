"""The ingestion API's contract: what `POST /api/complaints` accepts, and its answers' shapes.

A body is one JSON object or an array of them. Each is checked on its own so a refusal lists every bad
item by index and field; nothing is stored unless all are good (the HTTP handler's one transaction).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from bot.blocks import clip
from bot.complaints.fields import TAG_MAX, TAGS_MAX, URL_MAX, is_web_url, normalise_tags
from bot.complaints.service import AUTHOR_MAX, EXTERNAL_ID_MAX, REGION_MAX, TEXT_MAX, ComplaintDraft, label
from bot.errors import InvalidInput
from bot.networks import NETWORKS, parse_network
from bot.settings import SEVERITIES

MAX_BODY_BYTES = 1024 * 1024
MAX_ITEMS = 1000
TEAM_HEADER = "X-Hero-Team-Id"
LONGEST = {"url": URL_MAX, "text": TEXT_MAX, "author": AUTHOR_MAX, "external_id": EXTERNAL_ID_MAX, "region": REGION_MAX}


class IngestItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str
    url: str
    text: str
    author: str
    external_id: str | None = None
    region: str | None = None
    tags: list[str] | None = None
    severity: str | None = None
    posted_at: datetime | None = None

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        network = parse_network(value)
        if network is None:
            raise ValueError(f"unknown network {clip(value, 40)!r}: one of {', '.join(NETWORKS)}")
        return network

    # Every over-long field is named at once (the draft's own checks stop at the first).
    @field_validator(*LONGEST)
    @classmethod
    def _not_too_long(cls, value: str | None, info: ValidationInfo) -> str | None:
        limit = LONGEST[str(info.field_name)]
        if value is not None and len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not is_web_url(value):
            raise ValueError("not an http(s) URL")
        return value

    @field_validator("external_id", "region")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if len(value) > TAGS_MAX:
            raise ValueError(f"at most {TAGS_MAX} tags")
        if any(len(tag) > TAG_MAX for tag in value):
            raise ValueError(f"a tag is longer than {TAG_MAX} characters")
        return normalise_tags(value)

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.lower() not in SEVERITIES:
            raise ValueError(f"one of {', '.join(SEVERITIES)}")
        return value.lower()

    @field_validator("posted_at")
    @classmethod
    def _posted_at(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def draft(self) -> ComplaintDraft:
        return ComplaintDraft(
            text=self.text,
            url=self.url,
            network=self.source,
            author=self.author,
            region=self.region,
            severity=self.severity or "medium",
            tags=list(self.tags or []),
            external_id=self.external_id,
            posted_at=self.posted_at,
            source="api",
        )


def item_errors(index: int, error: ValidationError) -> list[dict[str, Any]]:
    problems = []
    for detail in error.errors(include_url=False):
        location = [str(part) for part in detail.get("loc", ())]
        message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append({"index": index, "field": location[0] if location else None, "message": message})
    return problems


def parse_items(payload: Any) -> tuple[list[ComplaintDraft], list[dict[str, Any]]]:
    """Drafts for every item, or the problems of every bad one (index and field each)."""
    items = payload if isinstance(payload, list) else [payload]
    drafts: list[ComplaintDraft] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append({"index": index, "field": None, "message": "each complaint must be a JSON object"})
            continue
        try:
            parsed = IngestItem.model_validate(item)
        except ValidationError as error:
            problems.extend(item_errors(index, error))
            continue
        try:
            drafts.append(parsed.draft().validated())
        except InvalidInput as error:
            problems.append({"index": index, "field": error.field, "message": str(error)})
    return drafts, problems


def answer_items(logged: list[Any]) -> dict[str, Any]:
    return {
        "ids": [label(item.complaint) for item in logged],
        "complaints": [
            {
                "index": index,
                "id": label(item.complaint),
                "status": "created" if item.created else "existing",
            }
            for index, item in enumerate(logged)
        ],
    }
