"""The councils' place in the scheduler: one job per running council, fired at its cadence.

The jobs are rebuilt from the councils table at start and kept in step with it: right away in the
instance where an admin changes a council (`reschedule`), and by a sync every minute in the others.
At start each council also gets one run straight away, which posts the latest period it missed while
the bot was down (once: the claim in the database sees to that; marked late). A run that finds its period
claimed by a run that never finished (its instance killed mid-post) looks again once that claim is stale.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime, timedelta
from functools import partial

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger

from bot.councils.cadence import Cadence
from bot.councils.runs import run_due
from bot.councils.service import cadence_of
from bot.runtime import Runtime, Scheduling
from bot.scheduler import Scheduler
from storage.models import Council
from storage.repositories.councils import CouncilRepository

log = logging.getLogger("herobot.councils")

JOB_PREFIX = "council-digest:"
RETAKE_PREFIX = "council-retake:"
SYNC_SECONDS = 60


class CadenceTrigger(BaseTrigger):
    """Fires at a council's cadence (bot.councils.cadence does the DST-safe arithmetic)."""

    def __init__(self, cadence: Cadence) -> None:
        self.cadence = cadence

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        # Missed fires are not replayed one by one: the run posts the latest period it finds unposted.
        after = now - timedelta(microseconds=1) if previous_fire_time is None else max(previous_fire_time, now)
        return self.cadence.next_run(after)

    def __str__(self) -> str:
        return f"cadence[{self.cadence.describe()}]"


def job_id(council_id: int) -> str:
    return f"{JOB_PREFIX}{council_id}"


def _fingerprint(council: Council) -> tuple[object, ...]:
    return (
        council.paused,
        council.frequency,
        council.weekday,
        council.day_of_month,
        council.cron,
        council.at_time,
        council.timezone,
    )


class CouncilJobs:
    """The council jobs one scheduler holds, and what each was built from (to rebuild only what changed)."""

    def __init__(self, scheduler: Scheduling) -> None:
        self.scheduler = scheduler
        self.built: dict[int, tuple[object, ...]] = {}

    def put(self, council: Council) -> None:
        fingerprint = _fingerprint(council)
        if self.built.get(council.id) == fingerprint:
            return
        if council.paused:
            self.drop(council.id)
            self.built[council.id] = fingerprint
            return
        self.scheduler.on(job_id(council.id), CadenceTrigger(cadence_of(council)), partial(_run, council.id))
        self.built[council.id] = fingerprint

    def drop(self, council_id: int) -> None:
        self.scheduler.remove(job_id(council_id))
        self.scheduler.remove(f"{RETAKE_PREFIX}{council_id}")
        self.built.pop(council_id, None)

    async def sync(self, runtime: Runtime) -> list[Council]:
        async with runtime.database.unit_of_work() as session:
            councils = list(await CouncilRepository(session).all_workspaces())
        for council in councils:
            try:
                self.put(council)
            except Exception:
                log.exception("council %s could not be scheduled", council.id)
        for gone in set(self.built) - {council.id for council in councils}:
            self.drop(gone)
        return councils


async def _run(council_id: int, runtime: Runtime) -> None:
    outcomes = await run_due(runtime, council_id)
    retake_at = min((o.retake_at for o in outcomes if o.retake_at is not None), default=None)
    if retake_at is not None and runtime.scheduler is not None:
        # Not left to the council's next period: the digest comes as soon as the dead claim may be taken over.
        runtime.scheduler.on(f"{RETAKE_PREFIX}{council_id}", DateTrigger(run_date=retake_at), partial(_run, council_id))


# One CouncilJobs per scheduler (tests and the console may run several apps in one process).
_JOBS: weakref.WeakKeyDictionary[Scheduling, CouncilJobs] = weakref.WeakKeyDictionary()


def _jobs_of(scheduler: Scheduling) -> CouncilJobs:
    jobs = _JOBS.get(scheduler)
    if jobs is None:
        jobs = _JOBS[scheduler] = CouncilJobs(scheduler)
    return jobs


def register_jobs(scheduler: Scheduler) -> None:
    jobs = _jobs_of(scheduler)

    async def start(runtime: Runtime) -> None:
        for council in await jobs.sync(runtime):
            if not council.paused:
                await _run(council.id, runtime)  # the period missed while the bot was down, if any

    scheduler.on("councils-start", DateTrigger(run_date=scheduler.runtime.now()), start)
    scheduler.every("councils-sync", SYNC_SECONDS, jobs.sync)


def reschedule(runtime: Runtime, council: Council) -> None:
    """After an admin created, edited, paused or resumed a council: its job follows at once in this instance."""
    if runtime.scheduler is not None:
        _jobs_of(runtime.scheduler).put(council)


def unschedule(runtime: Runtime, council_id: int) -> None:
    if runtime.scheduler is not None:
        _jobs_of(runtime.scheduler).drop(council_id)
