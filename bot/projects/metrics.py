"""Project figures for /metrics: how many HERO projects are at each stage, across workspaces."""

from __future__ import annotations

from bot.projects.stages import Stage
from bot.runtime import Runtime
from storage.repositories.projects import ProjectRepository


def register_metrics(runtime: Runtime) -> None:
    metrics = runtime.metrics
    by_stage = metrics.gauge("herobot_projects", "HERO projects by stage", ["stage"])

    async def refresh() -> None:
        async with runtime.database.unit_of_work(background=True) as session:
            counts = await ProjectRepository(session).count_by_stage_in_all_workspaces()
        # Every stage is shown, at 0 when empty, so a dashboard's series never vanish.
        metrics.set_all(by_stage, {(stage,): float(counts.get(stage, 0)) for stage in (s.value for s in Stage)})

    metrics.add_source("projects", refresh)
