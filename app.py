"""The composition root: `python app.py <sub-command>` (the same as `herobot <sub-command>`).

It hands the Slack listeners (`handlers`), the scheduled jobs and the /metrics figures of each domain
to the product (`bot`), so `bot` never imports `handlers`.
"""

from __future__ import annotations

import sys


def main() -> int:
    from bot import retention
    from bot.cli import main as cli_main
    from bot.complaints import followup as complaint_followup
    from bot.complaints import metrics as complaint_metrics
    from bot.councils import metrics as council_metrics
    from bot.councils import rollups as council_rollups
    from bot.councils import scheduling as council_scheduling
    from bot.projects import metrics as project_metrics
    from handlers import register_all

    # Each domain's `register_jobs(scheduler)` goes in `jobs`, its `register_metrics(runtime)` in `metric_sources`.
    return cli_main(
        sys.argv[1:],
        register=register_all,
        jobs=[
            retention.register_jobs,
            complaint_followup.register_jobs,
            council_scheduling.register_jobs,
            council_rollups.register_jobs,
        ],
        metric_sources=[
            project_metrics.register_metrics,
            complaint_metrics.register_metrics,
            council_metrics.register_metrics,
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
