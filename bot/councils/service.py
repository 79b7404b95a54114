"""Council use cases: create, edit, pause, resume, delete, look up. Functions take an open session and
plain data; they flush, never commit, and never call Slack. Only admins change councils."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.councils.cadence import Cadence, Frequency, parse_local_time
from bot.councils.digest import SECTIONS, Digest, compose_digest
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.permissions import Actor
from bot.text import one_line
from storage.models import Council, CouncilRun
from storage.repositories.audit import AuditRepository
from storage.repositories.councils import CouncilRepository

NAME_MIN = 2
NAME_MAX = 80
COUNCILS_MAX = 50


def name_key(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def cadence_of(council: Council) -> Cadence:
    return Cadence(
        frequency=Frequency(council.frequency),
        at=time.fromisoformat(council.at_time),
        zone_name=council.timezone,
        weekday=council.weekday,
        day_of_month=council.day_of_month,
        cron=council.cron,
    )


@dataclass
class CouncilDraft:
    """What the council modal holds, as typed: validated into a council by `validated()`."""

    name: str = ""
    channel_id: str = ""
    frequency: str = Frequency.WEEKLY.value
    weekday: int | None = 0
    day_of_month: int | None = 1
    cron: str = ""
    at: str = "09:00"
    zone: str = "UTC"
    sections: list[str] = field(default_factory=lambda: list(SECTIONS))
    skip_quiet: bool = False

    def validated(self) -> CouncilDraft:
        name = one_line(self.name)
        if len(name) < NAME_MIN:
            raise InvalidInput(f"Give the council a name of at least {NAME_MIN} characters.", "name")
        if len(name) > NAME_MAX:
            raise InvalidInput(f"Keep the name under {NAME_MAX} characters.", "name")
        if not self.channel_id or self.channel_id[:1] not in ("C", "G"):
            raise InvalidInput("Pick the channel where the digest is posted.", "channel")
        try:
            frequency = Frequency(self.frequency)
        except ValueError:
            raise InvalidInput("Pick how often the digest comes.", "frequency") from None
        at = parse_local_time(self.at)
        cadence = Cadence(
            frequency,
            at,
            (self.zone or "").strip(),
            weekday=self.weekday if frequency == Frequency.WEEKLY else None,
            day_of_month=self.day_of_month if frequency == Frequency.MONTHLY else None,
            cron=" ".join(self.cron.split()) if frequency == Frequency.CRON else None,
        ).validated()
        sections = [s for s in SECTIONS if s in set(self.sections)]
        if not sections or len(sections) != len(set(self.sections)):
            raise InvalidInput("Pick at least one section: projects, complaints or risk reviews.", "sections")
        return CouncilDraft(
            name=name,
            channel_id=self.channel_id,
            frequency=frequency.value,
            weekday=cadence.weekday,
            day_of_month=cadence.day_of_month,
            cron=cadence.cron or "",
            at=at.strftime("%H:%M"),
            zone=cadence.zone_name,
            sections=sections,
            skip_quiet=self.skip_quiet,
        )


def draft_of(council: Council) -> CouncilDraft:
    return CouncilDraft(
        name=council.name,
        channel_id=council.channel_id,
        frequency=council.frequency,
        weekday=council.weekday,
        day_of_month=council.day_of_month,
        cron=council.cron or "",
        at=council.at_time,
        zone=council.timezone,
        sections=[s for s in council.sections.split(",") if s],
        skip_quiet=council.skip_quiet,
    )


def snapshot(council: Council) -> dict[str, object]:
    return {
        "name": council.name,
        "channel_id": council.channel_id,
        "cadence": cadence_of(council).describe(),
        "sections": council.sections,
        "skip_quiet": council.skip_quiet,
        "paused": council.paused,
    }


def require_admin(actor: Actor, doing: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"Only admins can {doing}. Ask a workspace admin, or someone listed in HERO_ADMINS.")


async def find(session: AsyncSession, team_id: str, name: str, *, for_update: bool = False) -> Council:
    council = await CouncilRepository(session).by_name(team_id, name_key(name), for_update=for_update)
    if council is None:
        raise NotFound(f"There is no council “{one_line(name)[:NAME_MAX]}”. `/council list` shows them.")
    return council


async def get(session: AsyncSession, team_id: str, council_id: int) -> Council:
    council = await CouncilRepository(session).get(team_id, council_id)
    if council is None:
        raise NotFound("That council no longer exists. `/council list` shows them.")
    return council


async def list_councils(session: AsyncSession, team_id: str) -> Sequence[Council]:
    return await CouncilRepository(session).list(team_id)


async def choices(session: AsyncSession, team_id: str) -> list[tuple[int, str]]:
    """(id, name) of the workspace's councils, for pickers such as the project modal's."""
    return [(council.id, council.name) for council in await CouncilRepository(session).list(team_id)]


def _apply(council: Council, draft: CouncilDraft) -> bool:
    """Copy a validated draft onto the council; True when its schedule changed."""
    before = (council.frequency, council.weekday, council.day_of_month, council.cron, council.at_time, council.timezone)
    council.name = draft.name
    council.name_key = name_key(draft.name)
    council.channel_id = draft.channel_id
    council.frequency = draft.frequency
    council.weekday = draft.weekday
    council.day_of_month = draft.day_of_month
    council.cron = draft.cron or None
    council.at_time = draft.at
    council.timezone = draft.zone
    council.sections = ",".join(draft.sections)
    council.skip_quiet = draft.skip_quiet
    after = (council.frequency, council.weekday, council.day_of_month, council.cron, council.at_time, council.timezone)
    return before != after


async def _ensure_unique_name(session: AsyncSession, team_id: str, name: str, council_id: int | None = None) -> None:
    existing = await CouncilRepository(session).by_name(team_id, name_key(name))
    if existing is not None and existing.id != council_id:
        raise InvalidInput(f"There is already a council called “{existing.name}”. Pick another name.", "name")


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Two admins saving the same name at the same moment: the second is told, the transaction rolls back.
        raise InvalidInput(f"There is already a council called “{name}”. Pick another name.", "name") from None


async def create_council(session: AsyncSession, actor: Actor, draft: CouncilDraft, *, now: datetime) -> Council:
    require_admin(actor, "create councils")
    clean = draft.validated()
    await _ensure_unique_name(session, actor.team_id, clean.name)
    repository = CouncilRepository(session)
    if await repository.count(actor.team_id) >= COUNCILS_MAX:
        raise InvalidInput(f"A workspace can have at most {COUNCILS_MAX} councils; delete one first.", "name")
    council = Council(team_id=actor.team_id, created_by=actor.user_id, created_at=now, updated_at=now, active_since=now)
    council.paused = False
    _apply(council, clean)
    repository.add(council)
    await _flush_unique(session, clean.name)
    _record(session, actor, council, "created", after=snapshot(council))
    return council


async def update_council(
    session: AsyncSession, actor: Actor, council_id: int, draft: CouncilDraft, *, now: datetime
) -> Council:
    require_admin(actor, "edit councils")
    clean = draft.validated()
    council = await CouncilRepository(session).get(actor.team_id, council_id, for_update=True)
    if council is None:
        raise InvalidInput("That council was deleted meanwhile. `/council list` shows the others.", "name")
    await _ensure_unique_name(session, actor.team_id, clean.name, council.id)
    before = snapshot(council)
    if _apply(council, clean):
        council.active_since = now  # periods of the old schedule are not caught up
    council.updated_at = now
    await _flush_unique(session, clean.name)
    _record(session, actor, council, "updated", before=before, after=snapshot(council))
    return council


async def set_paused(session: AsyncSession, actor: Actor, name: str, paused: bool, *, now: datetime) -> Council:
    require_admin(actor, "pause and resume councils")
    council = await find(session, actor.team_id, name, for_update=True)
    if council.paused == paused:
        state = "paused" if paused else "running"
        raise InvalidInput(f"“{council.name}” is already {state}.")
    council.paused = paused
    council.updated_at = now
    if not paused:
        council.active_since = now  # what was missed while paused stays missed
    _record(session, actor, council, "paused" if paused else "resumed")
    return council


async def delete_council(session: AsyncSession, actor: Actor, council_id: int) -> Council:
    require_admin(actor, "delete councils")
    repository = CouncilRepository(session)
    council = await repository.get(actor.team_id, council_id, for_update=True)
    if council is None:
        raise NotFound("That council was already deleted.")
    _record(session, actor, council, "deleted", before=snapshot(council))
    await repository.delete(council)
    await session.flush()
    return council


def _record(
    session: AsyncSession,
    actor: Actor,
    council: Council,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """An audit row of what `actor` did to `council`."""
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="council",
        entity_id=council.id,
        action=action,
        actor_id=actor.user_id,
        before=before,
        after=after,
    )


async def recent_runs(session: AsyncSession, council: Council, limit: int = 10) -> Sequence[CouncilRun]:
    return await CouncilRepository(session).recent_runs(council.id, limit)


def record_manual_post(
    session: AsyncSession, actor: Actor, council: Council, ts: str | None, reason: str | None
) -> None:
    _record(
        session,
        actor,
        council,
        "posted_now" if ts else "post_failed",
        after={"ts": ts, "channel_id": council.channel_id, "reason": reason},
    )


async def digest_so_far(session: AsyncSession, council: Council, *, now: datetime) -> Digest:
    """The digest of the period under way, up to now, against the full period before (preview, post now)."""
    cadence = cadence_of(council)
    period = cadence.period_so_far(now)
    return await compose_digest(session, council, period, cadence.previous(period), now=now, so_far=True)
