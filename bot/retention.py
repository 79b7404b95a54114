"""Retention: the personal data of complaints closed more than HERO_RETENTION_DAYS ago is removed.

Run daily by the scheduler (actor `system`) and on demand by `herobot purge` (actor `operator:<login>`).
Complaints are purged in batches, each batch its own transaction, so a large backlog never holds one
long transaction; each batch locks its complaints (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two
replicas running the job at the same moment share the work instead of repeating it. Every run that
purged something leaves one audit row per workspace (`entity_type` `retention`, action `purged`) whose
count is kept up to date in the same transaction as each batch, so it always matches what was purged.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import update

from bot.runtime import Runtime
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import AuditEvent
from storage.repositories.audit import AuditRepository
from storage.repositories.retention import RetentionRepository

log = logging.getLogger("herobot.retention")

JOB_ID = "retention.purge"
# Daily, at a quiet hour; a run missed while the bot was down runs when it is back (within 6 h).
DAILY = CronTrigger(hour=3, minute=30, timezone=UTC)
BATCH_SIZE = 500
SYSTEM_ACTOR = "system"


@dataclass
class PurgeReport:
    closed_before: datetime
    purged_by_team: dict[str, int] = field(default_factory=dict)

    @property
    def purged(self) -> int:
        return sum(self.purged_by_team.values())


@dataclass(frozen=True)
class DueComplaint:
    id: int
    team_id: str
    closed_at: datetime | None


def closed_before(now: datetime, retention_days: int) -> datetime:
    return now - timedelta(days=retention_days)


def operator_actor() -> str:
    """Who runs `herobot purge`, as the audit trail names them."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):
        login = "unknown"
    return f"operator:{login}"[:32]


async def due(database: Database, *, now: datetime, retention_days: int) -> AsyncIterator[DueComplaint]:
    """The complaints a purge would clear now, streamed (for `--dry-run`); nothing is changed."""
    query = RetentionRepository.due_query(closed_before(now, retention_days)).execution_options(yield_per=BATCH_SIZE)
    async with database.unit_of_work(background=True) as session:
        rows = await session.stream(query)
        async for complaint_id, team_id, closed_at in rows:
            yield DueComplaint(complaint_id, team_id, closed_at)


async def purge(
    database: Database, *, now: datetime, retention_days: int, actor_id: str, batch_size: int = BATCH_SIZE
) -> PurgeReport:
    """Purge every due complaint, batch by batch; safe to run again (a purged complaint is never due)."""
    report = PurgeReport(closed_before(now, retention_days))
    run_events: dict[str, int] = {}
    while True:
        async with database.unit_of_work(background=True) as session:
            retention = RetentionRepository(session)
            claimed = await retention.claim(report.closed_before, batch_size)
            if not claimed:
                break
            purged = await retention.purge(claimed, now)
            for team_id, ids in purged.items():
                await retention.scrub_notes(team_id, ids)
                await retention.scrub_audit(team_id, ids)
                report.purged_by_team[team_id] = report.purged_by_team.get(team_id, 0) + len(ids)
                summary = {
                    "purged": report.purged_by_team[team_id],
                    "retention_days": retention_days,
                    "closed_before": report.closed_before.isoformat(),
                }
                if team_id in run_events:
                    await session.execute(
                        update(AuditEvent).where(AuditEvent.id == run_events[team_id]).values(after=summary)
                    )
                else:
                    event = AuditRepository(session).record(
                        team_id=team_id,
                        entity_type="retention",
                        entity_id=None,
                        action="purged",
                        actor_id=actor_id,
                        after=summary,
                    )
                    event.created_at = now
                    await session.flush()
                    run_events[team_id] = event.id
        if len(claimed) < batch_size:
            break
    return report


async def run_daily(runtime: Runtime) -> PurgeReport:
    report = await purge(
        runtime.database,
        now=runtime.now(),
        retention_days=runtime.settings.hero_retention_days,
        actor_id=SYSTEM_ACTOR,
    )
    log.info(
        "retention purge ran",
        extra={"purged": report.purged, "closed_before": report.closed_before.isoformat()},
    )
    return report


def register_jobs(scheduler: Scheduler) -> None:
    scheduler.on(JOB_ID, DAILY, run_daily)
