"""What every listener, job and HTTP handler is given: configuration, the database, Slack, the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from apscheduler.triggers.base import BaseTrigger
from slack_sdk.web.async_client import AsyncWebClient

from bot.directory import Directory
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.settings import Settings
from bot.workspaces import Workspaces
from storage.db import Database
from storage.models import utcnow


class Announcer(Protocol):
    """What the runtime knows of the drainer of new complaints' notices (`bot.complaints.outbox.Outbox`)."""

    async def start(self) -> None: ...

    async def stop(self, within: float) -> None: ...

    def lease_for_new(self) -> datetime | None: ...

    async def announced(self, complaint_ids: Iterable[int], held: Sequence[Any] = ()) -> None: ...


class Scheduling(Protocol):
    """What the runtime knows of the scheduler (`bot.scheduler.Scheduler`): a listener that changed a
    record (a council) puts its job anew or removes it in this instance."""

    def on(self, job_id: str, trigger: BaseTrigger, job: Callable[[Runtime], Awaitable[object]]) -> None: ...

    def remove(self, job_id: str) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    database: Database
    # The app-level client. Inside a request use the listener's `client`; in a job, `await client_for(team_id)`.
    client: AsyncWebClient
    directory: Directory
    now: Callable[[], datetime] = field(default=utcnow)
    metrics: Metrics = field(default_factory=Metrics)
    workspaces: Workspaces | None = None
    in_flight: InFlight = field(default_factory=InFlight)
    # Set by the Scheduler when one runs (serve, socket, console), so a change made in a listener (a new
    # council) can reschedule its jobs; None in a process without jobs.
    scheduler: Scheduling | None = None
    # The drainer of the outbox (new complaints' notices), set by `create_app`; serving processes start it
    # and stop it with the rest (serve, socket, the console).
    outbox: Announcer | None = None

    async def client_for(self, team_id: str) -> AsyncWebClient:
        """A client for one workspace, for work outside a request (see bot.workspaces)."""
        if self.workspaces is None:
            return self.client
        return await self.workspaces.client_for(team_id)


# A domain's figures for /metrics: `register_metrics(runtime)` declares its gauges on `runtime.metrics` and
# adds a source that refreshes them (see bot.metrics).
MetricSource = Callable[[Runtime], None]
