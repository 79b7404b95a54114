"""Complaint figures for /metrics: complaints by status and how many are overdue, across workspaces."""

from __future__ import annotations

from bot.complaints.service import STATUSES
from bot.runtime import Runtime
from storage.repositories.complaints import ComplaintRepository


def register_metrics(runtime: Runtime) -> None:
    metrics = runtime.metrics
    by_status = metrics.gauge("herobot_complaints", "Social complaints by status", ["status"])
    overdue = metrics.gauge(
        "herobot_complaints_overdue", "Open complaints past their first-response due time without a response"
    )

    async def refresh() -> None:
        async with runtime.database.unit_of_work(background=True) as session:
            repository = ComplaintRepository(session)
            counts = await repository.count_by_status_in_all_workspaces()
            late = await repository.count_overdue_in_all_workspaces(runtime.now())
        # Every status is shown, at 0 when empty, so a dashboard's series never vanish.
        metrics.set_all(by_status, {(status,): float(counts.get(status, 0)) for status in STATUSES})
        overdue.set(late)

    metrics.add_source("complaints", refresh)
