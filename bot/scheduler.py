"""APScheduler wiring. Timing only: every job claims its work in the database before acting.

APScheduler keeps its jobs in memory, rebuilt at each start from our own tables; it never shares
a job store between processes (two replicas on one store would run every job twice). Whether a
reminder or a digest is due, and who sends it, is decided by a claim row in the database, so
two instances may both fire and only one acts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.logs import bind_request
from bot.runtime import Runtime

log = logging.getLogger("herobot.scheduler")

Job = Callable[[Runtime], Awaitable[object]]
JobSource = Callable[["Scheduler"], None]


class Scheduler:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        runtime.scheduler = self
        self.aps = AsyncIOScheduler(
            timezone=UTC,
            # After a restart or a pause, a late run still runs (once), instead of APScheduler's 1 s grace.
            job_defaults={"misfire_grace_time": 6 * 3600, "coalesce": True, "max_instances": 1},
        )

    def every(self, job_id: str, seconds: float, job: Job) -> None:
        self.aps.add_job(
            self._run, IntervalTrigger(seconds=seconds), args=[job_id, job], id=job_id, replace_existing=True
        )

    def on(self, job_id: str, trigger: BaseTrigger, job: Job) -> None:
        self.aps.add_job(self._run, trigger, args=[job_id, job], id=job_id, replace_existing=True)

    def remove(self, job_id: str) -> None:
        if self.aps.get_job(job_id):
            self.aps.remove_job(job_id)

    def job_ids(self, prefix: str = "") -> set[str]:
        return {job.id for job in self.aps.get_jobs() if job.id.startswith(prefix)}

    async def _run(self, job_id: str, job: Job) -> None:
        started = time.monotonic()
        failed = False
        with self.runtime.in_flight.track(), bind_request(job=job_id):
            try:
                await job(self.runtime)
            except Exception:
                failed = True
                log.exception("scheduled job %s failed; it runs again at its next time", job_id)
            finally:
                self.runtime.metrics.job_ran(job_id, time.monotonic() - started, failed=failed)

    def start(self, sources: list[JobSource]) -> None:
        for source in sources:
            source(self)
        self.aps.start()

    def pause(self) -> None:
        """Fire no more runs; runs under way go on."""
        if self.aps.running:
            self.aps.pause()

    def shutdown(self) -> None:
        """Stop the scheduler; APScheduler cancels the runs still under way (see `stop`)."""
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def stop(self, within: float) -> int:
        """Fire no more runs, wait up to `within` seconds for those under way, then stop; return how many were cut off."""
        self.pause()
        unfinished = await self.runtime.in_flight.wait(within)
        self.shutdown()
        return unfinished
