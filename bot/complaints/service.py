"""Complaint use cases. Functions take an open session and plain data; they flush, never commit.

Logging recognises a complaint seen before (same normalised URL, same external ID, same Slack
message) and returns it instead of a second row. The unique keys make that hold under races too: a
concurrent insert of the same post fails the flush with an IntegrityError, and the boundary runs its
unit of work again, which then finds the stored complaint (see `handlers.complaints_flow.logged`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.complaints import routing
from bot.complaints.fields import (
    DEFAULT_SEVERITY,
    TAGS_MAX,
    URL_MAX,
    due_at,
    is_web_url,
    normalise_tags,
    url_key,
)
from bot.errors import InvalidInput, NotFound, PermissionDenied, UserError
from bot.ids import Kind, format_id
from bot.networks import NETWORKS
from bot.permissions import Actor
from bot.runtime import Runtime
from bot.settings import SEVERITIES
from bot.text import clean_text, one_line
from storage.models import Complaint
from storage.models.base import detached
from storage.repositories import complaints as complaints_repository
from storage.repositories.audit import insert_events
from storage.repositories.complaints import INSERTED_COLUMNS, OPEN_STATUSES, ComplaintRepository
from storage.repositories.outbox import Claimed

TEXT_MAX = 10_000
NOTE_MAX = 2900
AUTHOR_MAX = 200
REGION_MAX = 64
EXTERNAL_ID_MAX = 200
STATUSES = ("new", "assigned", "responded", "resolved", "dismissed")
SOURCES = ("command", "shortcut", "reaction", "api")


def label(complaint: Complaint | int) -> str:
    return format_id(Kind.COMPLAINT, complaint if isinstance(complaint, int) else complaint.id)


@dataclass
class ComplaintDraft:
    text: str = ""
    url: str | None = None
    network: str = "other"
    author: str = ""
    region: str | None = None
    severity: str = DEFAULT_SEVERITY
    tags: list[str] = field(default_factory=list)
    external_id: str | None = None
    slack_channel: str | None = None
    slack_ts: str | None = None
    posted_at: datetime | None = None
    source: str = "command"

    def validated(self) -> ComplaintDraft:
        text = clean_text(self.text)
        url = (self.url or "").strip() or None
        if url is not None and (len(url) > URL_MAX or not is_web_url(url)):
            raise InvalidInput("Give the post's link as a web address (https://…).", "url")
        if not text and url is None:
            raise InvalidInput("Write what the customer said, or give the post's link.", "text")
        if len(text) > TEXT_MAX:
            raise InvalidInput(f"Keep the complaint's text under {TEXT_MAX} characters.", "text")
        if self.network not in NETWORKS:
            raise InvalidInput("Pick the social network from the list.", "network")
        if self.severity not in SEVERITIES:
            raise InvalidInput(f"Severity is one of {', '.join(SEVERITIES)}.", "severity")
        author = one_line(self.author)
        if len(author) > AUTHOR_MAX:
            raise InvalidInput(f"Keep the customer's handle under {AUTHOR_MAX} characters.", "author")
        region = one_line(self.region) or None
        if region is not None and len(region) > REGION_MAX:
            raise InvalidInput(f"Keep the region under {REGION_MAX} characters.", "region")
        tags = normalise_tags(self.tags)
        if len(tags) > TAGS_MAX:
            raise InvalidInput(f"A complaint can have at most {TAGS_MAX} tags.", "tags")
        external_id = one_line(self.external_id) or None
        if external_id is not None and len(external_id) > EXTERNAL_ID_MAX:
            raise InvalidInput(f"Keep the external ID under {EXTERNAL_ID_MAX} characters.", "external_id")
        return replace(self, text=text, url=url, author=author, region=region, tags=tags, external_id=external_id)


@dataclass
class Logged:
    """One logged complaint: `created` False when it was already known (the existing one is returned)."""

    complaint: Complaint
    tags: list[str]
    created: bool
    route: routing.Route | None = None
    # Its notice in the outbox when this process is to send it (leased to it from the start, `outbox.enqueue`).
    notice: Claimed | None = None


def snapshot(complaint: Complaint, tags: Sequence[str] | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "status": complaint.status,
        "owner_id": complaint.owner_id,
        "severity": complaint.severity,
        "network": complaint.network,
        "region": complaint.region,
    }
    if tags is not None:
        shown["tags"] = list(tags)
    return shown


def _keys(draft: ComplaintDraft) -> list[tuple[str, Any]]:
    keys: list[tuple[str, Any]] = []
    if draft.url:
        keys.append(("url", url_key(draft.url)))
    if draft.external_id:
        keys.append(("external", draft.external_id))
    if draft.slack_channel and draft.slack_ts:
        keys.append(("slack", (draft.slack_channel, draft.slack_ts)))
    return keys


def _keys_of(complaint: Complaint) -> list[tuple[str, Any]]:
    keys: list[tuple[str, Any]] = []
    if complaint.url_key:
        keys.append(("url", complaint.url_key))
    if complaint.external_id:
        keys.append(("external", complaint.external_id))
    if complaint.slack_channel and complaint.slack_ts:
        keys.append(("slack", (complaint.slack_channel, complaint.slack_ts)))
    return keys


async def log_complaints(
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    created_by: str,
    drafts: Sequence[ComplaintDraft],
    *,
    then: Callable[[Connection, list[Logged]], None] | None = None,
) -> list[Logged]:
    """Store the new ones among `drafts` (already validated), route them, and return one result per draft;
    `then(connection, results)` runs inside the same write (the outbox's notices of the new ones).

    The rules and the members of the user groups that would take turns are read first (a Web API call when
    the directory's cache is cold); then one `Database.write` looks up the known complaints and stores the
    new ones with their tags and audit rows, through Core. A concurrent insert of the same post fails it with
    an IntegrityError (the caller runs it again, see `handlers.complaints_flow.log_drafts`).
    """
    rules = await routing.prepare(runtime, client, team_id, [(draft, draft.tags) for draft in drafts])
    batch = _Batch(
        team_id=team_id,
        created_by=created_by,
        now=runtime.now(),
        sla=runtime.settings.sla_minutes,
        triage=runtime.settings.hero_complaints_channel,
        rules=rules,
    )
    logged = await runtime.database.write(_store, batch, drafts, then)
    runtime.database.grew("complaints", sum(result.created for result in logged))
    return logged


@dataclass(frozen=True)
class _Batch:
    team_id: str
    created_by: str
    now: datetime
    sla: Mapping[str, float]
    triage: str | None
    rules: routing.Rules


def _store(
    connection: Connection,
    batch: _Batch,
    drafts: Sequence[ComplaintDraft],
    then: Callable[[Connection, list[Logged]], None] | None,
) -> list[Logged]:
    team_id, now = batch.team_id, batch.now
    keyed = [_keys(draft) for draft in drafts]
    known_rows = complaints_repository.known_complaints(
        connection,
        team_id,
        url_keys=[value for keys in keyed for kind, value in keys if kind == "url"],
        external_ids=[value for keys in keyed for kind, value in keys if kind == "external"],
        slack_messages=[value for keys in keyed for kind, value in keys if kind == "slack"],
    )
    known: dict[tuple[str, Any], Complaint] = {key: row for row in known_rows for key in _keys_of(row)}
    slots: list[Complaint] = []
    fresh: list[tuple[Complaint, ComplaintDraft]] = []
    for draft, keys in zip(drafts, keyed, strict=True):
        existing = next((known[key] for key in keys if key in known), None)
        if existing is not None:
            slots.append(existing)
            continue
        complaint = detached(
            Complaint,
            {
                "team_id": team_id,
                "network": draft.network,
                "url": draft.url,
                "url_key": next((value for kind, value in keys if kind == "url"), None),
                "external_id": draft.external_id,
                "slack_channel": draft.slack_channel if draft.slack_ts else None,
                "slack_ts": draft.slack_ts if draft.slack_channel else None,
                "author": draft.author,
                "text": draft.text,
                "region": draft.region,
                "severity": draft.severity,
                "status": "new",
                "source": draft.source,
                "created_by": batch.created_by,
                "posted_at": draft.posted_at,
                "created_at": now,
                "updated_at": now,
                "due_at": due_at(now, draft.severity, batch.sla),
                "owner_id": None,
                "routed_channel": None,
                "rule_id": None,
            },
        )
        for key in keys:
            known[key] = complaint  # the same post twice in one batch is one complaint
        fresh.append((complaint, draft))
        slots.append(complaint)
    fresh_tags = {id(complaint): list(draft.tags) for complaint, draft in fresh}
    stored_tags = complaints_repository.tags_by_complaint(
        connection, sorted({c.id for c in slots if id(c) not in fresh_tags})
    )
    routes: dict[int, routing.Route] = {}
    for complaint, draft in fresh:
        chosen = routing.route(connection, batch.rules, batch.triage, complaint, draft.tags)
        _apply_route(complaint, chosen)
        routes[id(complaint)] = chosen
    if fresh:
        ids = complaints_repository.insert_complaints(
            connection, [{name: complaint.__dict__[name] for name in INSERTED_COLUMNS} for complaint, _ in fresh]
        )
        for (complaint, _), new_id in zip(fresh, ids, strict=True):
            complaint.id = new_id
        complaints_repository.insert_tags(
            connection,
            [
                {"complaint_id": complaint.id, "tag": tag, "team_id": team_id, "created_at": now}
                for complaint, draft in fresh
                for tag in draft.tags
            ],
        )
        insert_events(
            connection,
            [
                _created_event(complaint, draft, routes[id(complaint)], batch.created_by, now)
                for complaint, draft in fresh
            ],
        )
    answered: set[int] = set()
    answers: list[Logged] = []
    for complaint in slots:
        # Known ones, and repeats inside the batch, answer with the complaint they repeat.
        first = id(complaint) in fresh_tags and id(complaint) not in answered
        answered.add(id(complaint))
        tags = fresh_tags[id(complaint)] if id(complaint) in fresh_tags else stored_tags.get(complaint.id, [])
        answers.append(Logged(complaint, list(tags), created=first, route=routes.get(id(complaint)) if first else None))
    if then is not None:
        then(connection, answers)
    return answers


def _created_event(
    complaint: Complaint,
    draft: ComplaintDraft,
    chosen: routing.Route,
    created_by: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "team_id": complaint.team_id,
        "entity_type": "complaint",
        "entity_id": complaint.id,
        "action": "created",
        "actor_id": created_by,
        "before": None,
        "after": {**snapshot(complaint, draft.tags), "source": complaint.source, "rule_id": chosen.rule_id},
        "created_at": now,
    }


def _apply_route(complaint: Complaint, chosen: routing.Route) -> None:
    complaint.rule_id = chosen.rule_id
    complaint.routed_channel = chosen.channel
    if chosen.owner_id:
        complaint.owner_id = chosen.owner_id
        complaint.status = "assigned"


async def get_complaint(session: AsyncSession, team_id: str, complaint_id: int) -> Complaint:
    complaint = await ComplaintRepository(session).get(team_id, complaint_id)
    if complaint is None:
        raise NotFound(f"There is no complaint {label(complaint_id)}. Try `/complaint list`.")
    return complaint


async def tags_of(session: AsyncSession, complaint: Complaint) -> list[str]:
    return (await ComplaintRepository(session).tags_of([complaint.id])).get(complaint.id, [])


# ---- who may act ------------------------------------------------------------------------------------
def may_act(actor: Actor, complaint: Complaint) -> bool:
    """The owner and admins may act on a complaint; anyone may on a complaint nobody owns yet."""
    return actor.is_admin or complaint.owner_id is None or complaint.owner_id == actor.user_id


def may_edit(actor: Actor, complaint: Complaint) -> bool:
    return may_act(actor, complaint) or complaint.created_by == actor.user_id


def require(actor: Actor, complaint: Complaint, allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(
            f"Only the owner <@{complaint.owner_id}> or an admin can change {label(complaint)}. "
            f"Ask them to reassign it to you."
        )


async def locked(session: AsyncSession, actor: Actor, complaint_id: int) -> Complaint:
    complaint = await ComplaintRepository(session).get(actor.team_id, complaint_id, for_update=True)
    if complaint is None:
        raise NotFound(f"There is no complaint {label(complaint_id)}. Try `/complaint list`.")
    return complaint


def require_open(complaint: Complaint, doing: str) -> None:
    if complaint.status not in OPEN_STATUSES:
        raise UserError(f"{label(complaint)} is already *{complaint.status}*: it cannot be {doing}.")


def owner_card_of(complaint: Complaint) -> tuple[str, str] | None:
    """Where the owner's DM card is (channel, ts), when one was sent."""
    if complaint.owner_dm_channel and complaint.owner_dm_ts:
        return complaint.owner_dm_channel, complaint.owner_dm_ts
    return None


async def remember_owner_card(session: AsyncSession, team_id: str, complaint_id: int, channel: str, ts: str) -> None:
    complaint = await ComplaintRepository(session).get(team_id, complaint_id, for_update=True)
    if complaint is not None:
        complaint.owner_dm_channel, complaint.owner_dm_ts = channel, ts


async def remember_thread_reply(session: AsyncSession, team_id: str, complaint_id: int, ts: str) -> None:
    complaint = await ComplaintRepository(session).get(team_id, complaint_id, for_update=True)
    if complaint is not None and complaint.thread_ts is None:
        complaint.thread_ts = ts
