"""What `GET /metrics` shows, in one Prometheus registry per app (tests run several apps in one process).

Counters are updated where things happen: Slack requests and their ack time (`bot.application`),
Web API calls (`bot.slack_client.InstrumentedWebClient`), scheduled runs (`bot.scheduler`).

Figures that live in the database (projects by stage, complaints by status, overdue complaints…) are
gauges fed by *sources*: a domain's `register_metrics(runtime)` (a `bot.runtime.MetricSource`) declares
its gauges and an async `refresh()` that queries the database and sets them. Sources run when Prometheus
scrapes, at most once per `ttl` seconds each, so a scrape costs a few indexed COUNT queries, never one per
request; a failing or slow source keeps its last values and is counted in
`herobot_metrics_source_failures_total`. Every replica reports the same database-wide figure: aggregate
those gauges with `max`, not `sum`.

    def register_metrics(runtime: Runtime) -> None:
        open_by_status = runtime.metrics.gauge("herobot_complaints", "Complaints by status", ["status"])

        async def refresh() -> None:
            async with runtime.database.unit_of_work(background=True) as session:
                counts = await ComplaintRepository(session).count_by_status()
            runtime.metrics.set_all(open_by_status, {(status,): n for status, n in counts.items()})

        runtime.metrics.add_source("complaints", refresh)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest

log = logging.getLogger("herobot.metrics")

# The classic text format, which every Prometheus reads; all our names are plain ASCII.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Refresh = Callable[[], Awaitable[None]]

# Slack waits 3 s for an ack: the buckets are dense below that line.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)
SOURCE_TIMEOUT_SECONDS = 5.0

# No `_created` series beside every counter: they double the output and no dashboard of ours reads them.
disable_created_metrics()


@dataclass
class _Source:
    name: str
    refresh: Refresh
    ttl: float
    refreshed_at: float | None = None


class Metrics:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry()
        self._monotonic = monotonic
        self._sources: list[_Source] = []
        self._refreshing = asyncio.Lock()
        r = self.registry
        self.requests = Counter(
            "herobot_slack_requests", "Slack requests answered, by kind and HTTP status", ["kind", "status"], registry=r
        )
        self.ack_seconds = Histogram(
            "herobot_slack_ack_seconds",
            "Time from a Slack request's arrival to its answer (the ack), by kind",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.api_calls = Counter("herobot_slack_api_calls", "Slack Web API calls, by method", ["method"], registry=r)
        self.api_seconds = Histogram(
            "herobot_slack_api_seconds",
            "Duration of Slack Web API calls, retries included, by method",
            ["method"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.api_errors = Counter(
            "herobot_slack_api_errors",
            "Slack Web API calls that failed, by method and error (Slack's error code or the exception)",
            ["method", "error"],
            registry=r,
        )
        self.job_runs = Counter("herobot_scheduler_runs", "Scheduled job runs, by job", ["job"], registry=r)
        self.job_failures = Counter(
            "herobot_scheduler_failures", "Scheduled job runs that raised, by job", ["job"], registry=r
        )
        self.job_seconds = Histogram(
            "herobot_scheduler_run_seconds",
            "Duration of scheduled job runs, by job",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.source_failures = Counter(
            "herobot_metrics_source_failures",
            "Database figures that could not be refreshed for a scrape, by source",
            ["source"],
            registry=r,
        )

    # ---- what the app records ---------------------------------------------------------------
    def request_answered(self, kind: str, status: int, seconds: float) -> None:
        self.requests.labels(kind=kind, status=str(status)).inc()
        self.ack_seconds.labels(kind=kind).observe(seconds)

    def api_called(self, method: str, error: str | None, seconds: float) -> None:
        self.api_calls.labels(method=method).inc()
        self.api_seconds.labels(method=method).observe(seconds)
        if error is not None:
            self.api_errors.labels(method=method, error=error).inc()

    def job_ran(self, job_id: str, seconds: float, *, failed: bool) -> None:
        job = job_label(job_id)
        self.job_runs.labels(job=job).inc()
        self.job_seconds.labels(job=job).observe(seconds)
        if failed:
            self.job_failures.labels(job=job).inc()

    # ---- what domains add -------------------------------------------------------------------
    def gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, list(labelnames), registry=self.registry)

    def add_source(self, name: str, refresh: Refresh, *, ttl: float = 15.0) -> None:
        self._sources.append(_Source(name, refresh, ttl))

    @staticmethod
    def set_all(gauge: Gauge, values: Mapping[tuple[str, ...], float]) -> None:
        """Replace every labelled value, so a status that dropped to nothing disappears instead of lingering."""
        gauge.clear()
        for labels, value in values.items():
            gauge.labels(*labels).set(value)

    # ---- what /metrics answers --------------------------------------------------------------
    async def exposition(self) -> bytes:
        await self.refresh_sources()
        return bytes(generate_latest(self.registry))

    async def refresh_sources(self) -> None:
        # One refresh at a time: concurrent scrapes wait for it instead of querying the database again.
        async with self._refreshing:
            for source in self._sources:
                now = self._monotonic()
                if source.refreshed_at is not None and now - source.refreshed_at < source.ttl:
                    continue
                try:
                    await asyncio.wait_for(source.refresh(), SOURCE_TIMEOUT_SECONDS)
                    source.refreshed_at = now
                except Exception:
                    log.exception("metrics source %s could not refresh; its last values stay", source.name)
                    self.source_failures.labels(source=source.name).inc()


def job_label(job_id: str) -> str:
    """`council-digest:12` → `council-digest`: per-record jobs share one label, so series stay few."""
    return job_id.split(":", 1)[0]


def value_of(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    """A sample's current value, for tests and the console."""
    value: Any = metrics.registry.get_sample_value(name, labels or {})
    return None if value is None else float(value)
