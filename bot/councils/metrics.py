"""Council figures for /metrics: councils running and paused, and digest runs by outcome, across workspaces."""

from __future__ import annotations

from bot.runtime import Runtime
from storage.repositories.councils import CouncilRepository

RUN_STATUSES = ("posted", "skipped", "failed", "running")


def register_metrics(runtime: Runtime) -> None:
    metrics = runtime.metrics
    councils = metrics.gauge("herobot_councils", "Councils by state", ["state"])
    runs = metrics.gauge(
        "herobot_council_digest_runs",
        "Digest runs by outcome (failed: not posted yet; the next run retries it)",
        ["status"],
    )

    async def refresh() -> None:
        async with runtime.database.unit_of_work(background=True) as session:
            repository = CouncilRepository(session)
            by_state = await repository.count_by_state_in_all_workspaces()
            by_status = await repository.count_runs_by_status_in_all_workspaces()
        metrics.set_all(councils, {(state,): float(by_state.get(state, 0)) for state in ("active", "paused")})
        metrics.set_all(runs, {(status,): float(by_status.get(status, 0)) for status in RUN_STATUSES})

    metrics.add_source("councils", refresh)
