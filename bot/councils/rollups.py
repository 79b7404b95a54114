"""The digest's rollups kept current: every minute, the changes the triggers queued are folded into them.

Readers count the changes not folded yet as well, so a late or failed fold never makes a figure wrong; it
only leaves the next digest more rows to add up. Folds are safe from several instances at once (see
`storage.repositories.folding`).
"""

from __future__ import annotations

import logging

from bot.runtime import Runtime
from bot.scheduler import Scheduler
from storage.repositories.folding import fold_pending

log = logging.getLogger("herobot.councils")

JOB_ID = "complaint-rollups"
FOLD_EVERY_SECONDS = 60


async def fold(runtime: Runtime) -> int:
    folded = await fold_pending(runtime.database)
    if folded:
        log.debug("folded complaint changes into the digest's rollups", extra={"changes": folded})
    return folded


def register_jobs(scheduler: Scheduler) -> None:
    scheduler.every(JOB_ID, FOLD_EVERY_SECONDS, fold)
