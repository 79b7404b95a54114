"""Complaint use cases. Functions take an open session and plain data; they flush, never commit.

Logging recognises a complaint seen before (same normalised URL, same external ID, same Slack
message) and returns it instead of a second row. The unique keys make that hold under races too: a
concurrent insert of the same post fails the flush with an IntegrityError, and the boundary runs its
unit of work again, which then finds the stored complaint (see `handlers.complaints_flow.logged`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient
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
from storage.models import Complaint, ComplaintNote, Project
from storage.repositories.audit import AuditRepository
from storage.repositories.complaints import OPEN_STATUSES, ComplaintRepository

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
    session: AsyncSession,
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    created_by: str,
    drafts: Sequence[ComplaintDraft],
) -> list[Logged]:
    """Store the new ones among `drafts` (already validated), route them, and return one result per draft."""
    repository = ComplaintRepository(session)
    keyed = [_keys(draft) for draft in drafts]
    known_rows = await repository.find_known(
        team_id,
        url_keys=[value for keys in keyed for kind, value in keys if kind == "url"],
        external_ids=[value for keys in keyed for kind, value in keys if kind == "external"],
        slack_messages=[value for keys in keyed for kind, value in keys if kind == "slack"],
    )
    known: dict[tuple[str, Any], Complaint] = {key: row for row in known_rows for key in _keys_of(row)}
    now = runtime.now()
    sla = runtime.settings.sla_minutes
    slots: list[Complaint] = []
    fresh: list[tuple[Complaint, ComplaintDraft]] = []
    for draft, keys in zip(drafts, keyed, strict=True):
        existing = next((known[key] for key in keys if key in known), None)
        if existing is not None:
            slots.append(existing)
            continue
        complaint = Complaint(
            team_id=team_id,
            network=draft.network,
            url=draft.url,
            url_key=next((value for kind, value in keys if kind == "url"), None),
            external_id=draft.external_id,
            slack_channel=draft.slack_channel if draft.slack_ts else None,
            slack_ts=draft.slack_ts if draft.slack_channel else None,
            author=draft.author,
            text=draft.text,
            region=draft.region,
            severity=draft.severity,
            status="new",
            source=draft.source,
            created_by=created_by,
            posted_at=draft.posted_at,
            created_at=now,
            updated_at=now,
            due_at=due_at(now, draft.severity, sla),
        )
        for key in keys:
            known[key] = complaint  # the same post twice in one batch is one complaint
        fresh.append((complaint, draft))
        slots.append(complaint)
    if fresh:
        # Core bulk statements: a batch of a thousand is a handful of round trips, not thousands.
        await repository.insert_many([complaint for complaint, _ in fresh])
        await repository.insert_tags(
            [
                {"complaint_id": complaint.id, "tag": tag, "team_id": team_id, "created_at": now}
                for complaint, draft in fresh
                for tag in draft.tags
            ]
        )
    fresh_tags = {id(complaint): list(draft.tags) for complaint, draft in fresh}
    routes: dict[int, routing.Route] = {}
    trail: list[dict[str, Any]] = []
    for complaint, draft in fresh:
        chosen = await routing.route(session, runtime, client, complaint, draft.tags)
        _apply_route(complaint, chosen)
        routes[id(complaint)] = chosen
        after = {**snapshot(complaint, draft.tags), "source": complaint.source, "rule_id": chosen.rule_id}
        trail.append(
            {
                "team_id": team_id,
                "entity_type": "complaint",
                "entity_id": complaint.id,
                "action": "created",
                "actor_id": created_by,
                "before": None,
                "after": after,
                "created_at": now,
            }
        )
    if fresh:
        await repository.save_routes([complaint for complaint, _ in fresh])
        await AuditRepository(session).record_many(trail)
    stored_tags = await repository.tags_of(sorted({c.id for c in slots if id(c) not in fresh_tags}))
    answered: set[int] = set()
    answers: list[Logged] = []
    for complaint in slots:
        # Known ones, and repeats inside the batch, answer with the complaint they repeat.
        first = id(complaint) in fresh_tags and id(complaint) not in answered
        answered.add(id(complaint))
        tags = fresh_tags[id(complaint)] if id(complaint) in fresh_tags else stored_tags.get(complaint.id, [])
        answers.append(Logged(complaint, list(tags), created=first, route=routes.get(id(complaint)) if first else None))
    return answers


def _apply_route(complaint: Complaint, chosen: routing.Route) -> None:
    complaint.rule_id = chosen.rule_id
    complaint.routed_channel = chosen.channel
    if chosen.owner_id:
        complaint.owner_id = chosen.owner_id
        complaint.status = "assigned"


async def log_complaint(
    session: AsyncSession,
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    created_by: str,
    draft: ComplaintDraft,
) -> Logged:
    return (await log_complaints(session, runtime, client, team_id, created_by, [draft.validated()]))[0]


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


def _require(actor: Actor, complaint: Complaint, allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(
            f"Only the owner <@{complaint.owner_id}> or an admin can change {label(complaint)}. "
            f"Ask them to reassign it to you."
        )


async def _locked(session: AsyncSession, actor: Actor, complaint_id: int) -> Complaint:
    complaint = await ComplaintRepository(session).get(actor.team_id, complaint_id, for_update=True)
    if complaint is None:
        raise NotFound(f"There is no complaint {label(complaint_id)}. Try `/complaint list`.")
    return complaint


def _require_open(complaint: Complaint, doing: str) -> None:
    if complaint.status not in OPEN_STATUSES:
        raise UserError(f"{label(complaint)} is already *{complaint.status}*: it cannot be {doing}.")


# ---- changes ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    complaint: Complaint
    action: str
    before_status: str
    before_owner: str | None
    note: str = ""


def _note(session: AsyncSession, actor: Actor, complaint: Complaint, kind: str, body: str, now: datetime) -> None:
    ComplaintRepository(session).add_note(
        ComplaintNote(
            team_id=actor.team_id,
            complaint_id=complaint.id,
            author_id=actor.user_id,
            kind=kind,
            body=body,
            created_at=now,
        )
    )


def _audit(
    session: AsyncSession, actor: Actor, complaint: Complaint, action: str, before: dict[str, Any], **extra: Any
) -> None:
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="complaint",
        entity_id=complaint.id,
        action=action,
        actor_id=actor.user_id,
        before=before,
        after={**snapshot(complaint), **extra},
    )


def _clean_note(text: str, what: str, *, required: bool) -> str:
    body = clean_text(text)
    if required and not body:
        raise InvalidInput(f"Write {what} after the complaint's ID.", "note")
    if len(body) > NOTE_MAX:
        raise InvalidInput(f"Keep the note under {NOTE_MAX} characters.", "note")
    return body


async def assign(
    session: AsyncSession, actor: Actor, complaint_id: int, owner_id: str, now: datetime, note: str = ""
) -> Change:
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_act(actor, complaint))
    _require_open(complaint, "reassigned")
    if complaint.owner_id == owner_id:
        raise UserError(f"{label(complaint)} is already <@{owner_id}>'s.")
    before, before_status, before_owner = snapshot(complaint), complaint.status, complaint.owner_id
    complaint.owner_id = owner_id
    if complaint.status == "new":
        complaint.status = "assigned"
    complaint.owner_dm_channel = None
    complaint.owner_dm_ts = None
    complaint.updated_at = now
    body = clean_text(note)[:NOTE_MAX] or (f"from <@{before_owner}>" if before_owner else "")
    _note(session, actor, complaint, "assigned", body, now)
    _audit(session, actor, complaint, "assigned", before)
    await session.flush()
    return Change(complaint, "assigned", before_status, before_owner, body)


async def respond(session: AsyncSession, actor: Actor, complaint_id: int, text: str, now: datetime) -> Change:
    body = _clean_note(text, "how you responded", required=False)
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_act(actor, complaint))
    _require_open(complaint, "responded to")
    if complaint.status == "new":
        raise UserError(
            f"{label(complaint)} has no owner yet: take it first with `/complaint assign {label(complaint)} @you`."
        )
    before, before_status = snapshot(complaint), complaint.status
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    complaint.status = "responded"
    complaint.updated_at = now
    _note(session, actor, complaint, "response", body, now)
    _audit(session, actor, complaint, "responded", before, first_response_at=complaint.first_response_at.isoformat())
    await session.flush()
    return Change(complaint, "responded", before_status, complaint.owner_id, body)


async def resolve(session: AsyncSession, actor: Actor, complaint_id: int, text: str, now: datetime) -> Change:
    body = _clean_note(text, "how it was resolved", required=False)
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_act(actor, complaint))
    _require_open(complaint, "resolved")
    if complaint.status != "responded":
        raise UserError(
            f"{label(complaint)} is *{complaint.status}*: respond to the customer first "
            f"(`/complaint respond {label(complaint)} <note>`), then resolve it — or dismiss it."
        )
    return await _close(session, actor, complaint, "resolved", body, now)


async def dismiss(session: AsyncSession, actor: Actor, complaint_id: int, reason: str, now: datetime) -> Change:
    body = _clean_note(reason, "why it is dismissed", required=True)
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_act(actor, complaint))
    _require_open(complaint, "dismissed")
    return await _close(session, actor, complaint, "dismissed", body, now)


async def _close(
    session: AsyncSession, actor: Actor, complaint: Complaint, status: str, body: str, now: datetime
) -> Change:
    before, before_status = snapshot(complaint), complaint.status
    complaint.status = status
    complaint.closed_at = now
    complaint.snoozed_until = None
    complaint.updated_at = now
    _note(session, actor, complaint, status, body, now)
    _audit(session, actor, complaint, status, before)
    await session.flush()
    return Change(complaint, status, before_status, complaint.owner_id, body)


def snooze_until(choice: str, now: datetime, tz: str) -> datetime:
    """1h, 4h, or tomorrow at 9:00 in the person's own time zone."""
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "4h":
        return now + timedelta(hours=4)
    if choice == "tomorrow":
        try:
            zone = ZoneInfo(tz)
        except (KeyError, ValueError):
            zone = ZoneInfo("UTC")
        local = now.astimezone(zone)
        morning = datetime.combine(local.date() + timedelta(days=1), time(9, 0), tzinfo=zone)
        return morning.astimezone(now.tzinfo)
    raise InvalidInput("Snooze for 1h, 4h or until tomorrow.", "snooze")


async def snooze(session: AsyncSession, actor: Actor, complaint_id: int, until: datetime, now: datetime) -> Change:
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_act(actor, complaint))
    _require_open(complaint, "snoozed")
    before, before_status = snapshot(complaint), complaint.status
    complaint.snoozed_until = until
    complaint.updated_at = now
    _note(session, actor, complaint, "snoozed", f"until {until.isoformat()}", now)
    _audit(session, actor, complaint, "snoozed", before, snoozed_until=until.isoformat())
    await session.flush()
    return Change(complaint, "snoozed", before_status, complaint.owner_id)


async def link_project(
    session: AsyncSession, actor: Actor, complaint_id: int, project_id: int, now: datetime
) -> Change:
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_edit(actor, complaint))
    project = await session.get(Project, project_id)
    if project is None or project.team_id != actor.team_id:
        raise NotFound(f"There is no project {format_id(Kind.PROJECT, project_id)}. Try `/hero list all`.")
    if complaint.project_id == project_id:
        raise UserError(f"{label(complaint)} is already linked to {format_id(Kind.PROJECT, project_id)}.")
    before, before_status = {**snapshot(complaint), "project_id": complaint.project_id}, complaint.status
    complaint.project_id = project_id
    complaint.updated_at = now
    _note(session, actor, complaint, "linked", format_id(Kind.PROJECT, project_id), now)
    _audit(session, actor, complaint, "linked", before, project_id=project_id)
    await session.flush()
    return Change(complaint, "linked", before_status, complaint.owner_id, format_id(Kind.PROJECT, project_id))


async def update_details(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    complaint_id: int,
    draft: ComplaintDraft,
) -> tuple[Complaint, list[str]]:
    """Edit what was logged (Add details): text, link, network, handle, severity, tags, region."""
    clean = draft.validated()
    complaint = await _locked(session, actor, complaint_id)
    _require(actor, complaint, may_edit(actor, complaint))
    repository = ComplaintRepository(session)
    before = snapshot(complaint, await tags_of(session, complaint))
    new_key = url_key(clean.url)
    if new_key and new_key != complaint.url_key:
        clash = await repository.find_known(actor.team_id, url_keys=[new_key])
        if any(other.id != complaint.id for other in clash):
            raise InvalidInput(f"That link is already logged as {label(clash[0])}.", "url")
    complaint.text = clean.text
    complaint.url, complaint.url_key = clean.url, new_key
    complaint.network = clean.network
    complaint.author = clean.author
    complaint.region = clean.region
    if clean.severity != complaint.severity:
        complaint.severity = clean.severity
        complaint.due_at = due_at(complaint.created_at, clean.severity, runtime.settings.sla_minutes)
    complaint.updated_at = runtime.now()
    await repository.replace_tags(complaint, clean.tags)
    _audit(session, actor, complaint, "details_updated", before, tags=clean.tags)
    await session.flush()
    return complaint, clean.tags


# ---- reading ----------------------------------------------------------------------------------------
LIST_FILTERS = ("open", "mine", "overdue", "all")
PAGE_SIZE = 10


@dataclass(frozen=True)
class ComplaintPage:
    complaints: Sequence[Complaint]
    tags: dict[int, list[str]]
    total: int
    filter_name: str  # open | mine | overdue | all | tag:<tag>
    page: int
    page_size: int
    now: datetime

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def parse_filter(text: str) -> tuple[str, int] | None:
    """`open`, `mine page 2`, `tag:refunds 3` → (filter, page); None when it is not a list I know."""
    words = text.lower().split()
    page = 1
    if len(words) >= 2 and words[-2] == "page" and words[-1].isdigit():
        page, words = int(words[-1]), words[:-2]
    elif len(words) >= 2 and words[-1].isdigit():
        page, words = int(words[-1]), words[:-1]
    if len(words) > 1 or page < 1:
        return None
    name = words[0] if words else "open"
    if name.startswith("tag:") or name.startswith("#"):
        tag = normalise_tags([name.removeprefix("tag:")])
        return (f"tag:{tag[0]}", page) if tag else None
    return (name, page) if name in LIST_FILTERS else None


async def list_complaints(
    session: AsyncSession, actor: Actor, filter_name: str, page: int, now: datetime, page_size: int = PAGE_SIZE
) -> ComplaintPage:
    repository = ComplaintRepository(session)
    options: dict[str, Any] = {"limit": page_size, "offset": (page - 1) * page_size}
    if filter_name == "open":
        options["statuses"] = OPEN_STATUSES
    elif filter_name == "mine":
        options.update(statuses=OPEN_STATUSES, owner_id=actor.user_id)
    elif filter_name == "overdue":
        options.update(statuses=OPEN_STATUSES, overdue_at=now)
    elif filter_name.startswith("tag:"):
        options["tag"] = filter_name.removeprefix("tag:")
    rows, total = await repository.page(actor.team_id, **options)
    tags = await repository.tags_of([row.id for row in rows])
    return ComplaintPage(rows, tags, total, filter_name, page, page_size, now)


@dataclass(frozen=True)
class ComplaintDetail:
    complaint: Complaint
    tags: list[str]
    notes: Sequence[ComplaintNote]
    trail: Sequence[Any]


async def detail(session: AsyncSession, team_id: str, complaint_id: int) -> ComplaintDetail:
    complaint = await get_complaint(session, team_id, complaint_id)
    repository = ComplaintRepository(session)
    return ComplaintDetail(
        complaint,
        await tags_of(session, complaint),
        await repository.notes(team_id, complaint_id),
        await repository.audit_trail(team_id, complaint_id),
    )


@dataclass(frozen=True)
class HomeComplaints:
    complaints: Sequence[Complaint]
    total: int
    now: datetime


async def home(session: AsyncSession, actor: Actor, now: datetime, limit: int = 8) -> HomeComplaints:
    rows, total = await ComplaintRepository(session).owned_open(actor.team_id, actor.user_id, limit)
    return HomeComplaints(rows, total, now)


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    return complaint.status in OPEN_STATUSES and complaint.first_response_at is None and complaint.due_at < now


async def remember_owner_card(session: AsyncSession, team_id: str, complaint_id: int, channel: str, ts: str) -> None:
    complaint = await ComplaintRepository(session).get(team_id, complaint_id, for_update=True)
    if complaint is not None:
        complaint.owner_dm_channel, complaint.owner_dm_ts = channel, ts


async def remember_thread_reply(session: AsyncSession, team_id: str, complaint_id: int, ts: str) -> None:
    complaint = await ComplaintRepository(session).get(team_id, complaint_id, for_update=True)
    if complaint is not None and complaint.thread_ts is None:
        complaint.thread_ts = ts
