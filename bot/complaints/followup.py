"""Follow-up by SLA: remind the owner once when the first-response time passes, escalate once at twice the target.

A job every HERO_REMINDER_INTERVAL_SECONDS looks, workspace by workspace, for open complaints (new or
assigned, no first response, not snoozed) whose due time passed. A snooze that ends asks for one more
reminder; the escalation still happens once. Each reminder and escalation is
claimed in the database before it is sent — `UPDATE complaints SET reminded_at = :now WHERE id = :id AND
reminded_at IS NULL` — and sent only by whoever's update hit the row: once across restarts and across
instances sharing one PostgreSQL. When Slack refuses the post, the claim is released, so the next run
tries again: never lost, never doubled.

The first-response target of a severity is HERO_SLA_MINUTES; a complaint is due at created_at + target
(`due_at`, set when it is logged) and is escalated at created_at + 2 × target.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.complaints.followup_views import escalation_message, reminder_message
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.settings import SEVERITIES
from bot.workspaces import WorkspaceNotInstalled
from storage.models import Complaint
from storage.repositories.audit import AuditRepository

log = logging.getLogger("herobot.complaints.followup")

JOB_ID = "complaints-followup"
BATCH = 200
OPEN_STATUSES = ("new", "assigned")
FALLBACK_SEVERITY = "medium"


def register_jobs(scheduler: Scheduler) -> None:
    scheduler.every(JOB_ID, scheduler.runtime.settings.hero_reminder_interval_seconds, run_followup)


# ---- SLA arithmetic (pure) ------------------------------------------------------------------------


def sla_target(severity: str, sla_minutes: dict[str, float]) -> timedelta:
    minutes = sla_minutes.get(severity, sla_minutes[FALLBACK_SEVERITY])
    return timedelta(minutes=minutes)


def first_response_due(created_at: datetime, severity: str, sla_minutes: dict[str, float]) -> datetime:
    return created_at + sla_target(severity, sla_minutes)


def escalation_due(created_at: datetime, severity: str, sla_minutes: dict[str, float]) -> datetime:
    return created_at + 2 * sla_target(severity, sla_minutes)


def escalation_cutoffs(now: datetime, sla_minutes: dict[str, float]) -> dict[str, datetime]:
    """Per severity, the latest created_at that is due for escalation at `now`."""
    return {severity: now - 2 * sla_target(severity, sla_minutes) for severity in SEVERITIES}


# ---- which complaints are due ---------------------------------------------------------------------


def _waiting(team_id: str, now: datetime) -> list[Any]:
    """Open, without a first response, past due, not snoozed: indexed by (team_id, due_at)."""
    return [
        Complaint.team_id == team_id,
        Complaint.due_at <= now,
        Complaint.status.in_(OPEN_STATUSES),
        Complaint.first_response_at.is_(None),
        or_(Complaint.snoozed_until.is_(None), Complaint.snoozed_until <= now),
    ]


def _escalation_age(now: datetime, sla_minutes: dict[str, float]) -> Any:
    cutoffs = escalation_cutoffs(now, sla_minutes)
    known = [
        and_(Complaint.severity == severity, Complaint.created_at <= cutoff) for severity, cutoff in cutoffs.items()
    ]
    other = and_(Complaint.severity.not_in(SEVERITIES), Complaint.created_at <= cutoffs[FALLBACK_SEVERITY])
    return or_(*known, other)


def _not_reminded() -> Any:
    """Never reminded — or reminded before a snooze that has since ended: a snooze asks for a new reminder."""
    return or_(
        Complaint.reminded_at.is_(None),
        and_(Complaint.snoozed_until.is_not(None), Complaint.reminded_at < Complaint.snoozed_until),
    )


def _unclaimed(column: InstrumentedAttribute[Any]) -> Any:
    return _not_reminded() if column.key == "reminded_at" else column.is_(None)


async def reminders_due(session: AsyncSession, team_id: str, now: datetime, limit: int = BATCH) -> list[Complaint]:
    query = (
        select(Complaint)
        .where(*_waiting(team_id, now), _not_reminded())
        .order_by(Complaint.due_at, Complaint.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def escalations_due(
    session: AsyncSession, team_id: str, now: datetime, sla_minutes: dict[str, float], limit: int = BATCH
) -> list[Complaint]:
    query = (
        select(Complaint)
        .where(*_waiting(team_id, now), Complaint.escalated_at.is_(None), _escalation_age(now, sla_minutes))
        .order_by(Complaint.due_at, Complaint.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


# ---- claims -------------------------------------------------------------------------------------


async def claim(runtime: Runtime, column: InstrumentedAttribute[Any], complaint_id: int, now: datetime) -> bool:
    """Take the right to send: True only for the one caller whose update finds the column still empty."""
    async with runtime.database.unit_of_work() as session:
        result = await session.execute(
            update(Complaint)
            .where(
                Complaint.id == complaint_id,
                _unclaimed(column),
                Complaint.status.in_(OPEN_STATUSES),
                Complaint.first_response_at.is_(None),
            )
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


async def release(
    runtime: Runtime,
    column: InstrumentedAttribute[Any],
    complaint_id: int,
    claimed_at: datetime,
    previous: datetime | None,
) -> None:
    """Give the claim back after a failed post, so the next run sends it."""
    async with runtime.database.unit_of_work() as session:
        await session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id, column == claimed_at)
            .values({column.key: previous})
            .execution_options(synchronize_session=False)
        )


async def _record(runtime: Runtime, complaint: Complaint, action: str, channel: str) -> None:
    async with runtime.database.unit_of_work() as session:
        AuditRepository(session).record(
            team_id=complaint.team_id,
            entity_type="complaint",
            entity_id=complaint.id,
            action=action,
            actor_id="herobot",
            after={"to": channel},
        )


async def _send_claimed(
    runtime: Runtime,
    client: AsyncWebClient,
    complaint: Complaint,
    column: InstrumentedAttribute[Any],
    channel: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    if not await claim(runtime, column, complaint.id, now):
        return False  # another instance (or an earlier run) has it
    try:
        await client.chat_postMessage(channel=channel, **payload)
    except Exception as error:  # SlackApiError, a timeout, a dropped connection: try again next run
        reason = error.response.get("error") if isinstance(error, SlackApiError) else repr(error)
        log.warning("could not send the %s of complaint %s to %s: %s", column.key, complaint.id, channel, reason)
        await release(runtime, column, complaint.id, now, getattr(complaint, column.key))
        return False
    await _record(runtime, complaint, "reminded" if column.key == "reminded_at" else "escalated", channel)
    return True


# ---- the job --------------------------------------------------------------------------------------


@dataclass
class FollowupRun:
    reminded: int = 0
    escalated: int = 0


async def _team_ids(runtime: Runtime) -> list[str]:
    if runtime.workspaces is not None:
        return await runtime.workspaces.team_ids()
    async with runtime.database.unit_of_work() as session:
        return list((await session.scalars(select(Complaint.team_id).distinct())).all())


async def run_followup(runtime: Runtime) -> FollowupRun:
    done = FollowupRun()
    for team_id in await _team_ids(runtime):
        try:
            client = await runtime.client_for(team_id)
        except WorkspaceNotInstalled:
            continue
        await _follow_up_team(runtime, client, team_id, done)
    return done


async def _follow_up_team(runtime: Runtime, client: AsyncWebClient, team_id: str, done: FollowupRun) -> None:
    settings = runtime.settings
    sla = settings.sla_minutes
    now = runtime.now()
    async with runtime.database.unit_of_work(background=True) as session:
        reminders = await reminders_due(session, team_id, now)
        escalations = await escalations_due(session, team_id, now, sla) if settings.hero_complaints_channel else []
    for complaint in reminders:
        to = complaint.owner_id or complaint.routed_channel or settings.hero_complaints_channel
        if to and await _send_claimed(
            runtime, client, complaint, Complaint.reminded_at, to, reminder_message(complaint), now
        ):
            done.reminded += 1
    triage = settings.hero_complaints_channel
    for complaint in escalations:
        assert triage is not None
        target = sla_target(complaint.severity, sla)
        payload = escalation_message(complaint, target, now)
        if await _send_claimed(runtime, client, complaint, Complaint.escalated_at, triage, payload, now):
            done.escalated += 1
