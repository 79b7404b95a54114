"""What happens to a complaint after it is logged: new → assigned → responded → resolved, or dismissed.

Each step locks the complaint, checks on the server who is acting (the owner, an admin, or anyone while
nobody owns it), refuses a step the status does not allow with the reason, and leaves a note and an
audit row. Functions take an open session; they flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.complaints.fields import due_at, url_key
from bot.complaints.service import (
    NOTE_MAX,
    ComplaintDraft,
    label,
    locked,
    may_act,
    may_edit,
    require,
    require_open,
    snapshot,
    tags_of,
)
from bot.errors import InvalidInput, NotFound, UserError
from bot.ids import Kind, format_id
from bot.permissions import Actor
from bot.runtime import Runtime
from bot.text import clean_text
from storage.models import Complaint, ComplaintNote, Project
from storage.repositories.audit import AuditRepository
from storage.repositories.complaints import ComplaintRepository


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
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_act(actor, complaint))
    require_open(complaint, "reassigned")
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
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_act(actor, complaint))
    require_open(complaint, "responded to")
    if complaint.status == "new":
        raise UserError(
            f"{label(complaint)} has no owner yet: take it first with `/complaint assign {label(complaint)} @you`."
        )
    if complaint.status == "responded" and not body:
        # A second *Mark responded* (a double click, two people at once) changes nothing; a note still may.
        raise UserError(
            f"{label(complaint)} is already *responded*. To record a further reply: "
            f"`/complaint respond {label(complaint)} <note>`."
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
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_act(actor, complaint))
    require_open(complaint, "resolved")
    if complaint.status != "responded":
        raise UserError(
            f"{label(complaint)} is *{complaint.status}*: respond to the customer first "
            f"(`/complaint respond {label(complaint)} <note>`), then resolve it — or dismiss it."
        )
    return await _close(session, actor, complaint, "resolved", body, now)


async def dismiss(session: AsyncSession, actor: Actor, complaint_id: int, reason: str, now: datetime) -> Change:
    body = _clean_note(reason, "why it is dismissed", required=True)
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_act(actor, complaint))
    require_open(complaint, "dismissed")
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
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_act(actor, complaint))
    require_open(complaint, "snoozed")
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
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_edit(actor, complaint))
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
    complaint = await locked(session, actor, complaint_id)
    require(actor, complaint, may_edit(actor, complaint))
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
