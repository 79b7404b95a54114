"""The load generator: signed requests from N concurrent clients, timed from send to the app's answer (the ack)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from bench.processes import SECRET, cpu_seconds
from bot.console.emulator import Emulator, Sender
from bot.console.fake_slack import FakeSlack

# A reply to a response_url is not a Web API call (and not rate-limited like one): counted apart.
RESPONSE_URL = "response_url"

Action = Callable[[Emulator, int], Awaitable[object]]

# How long no new Slack call must arrive before the work after the acks counts as done. A loaded
# machine can pause the server for longer than a short gap; `--quick` shortens it (CI only checks
# that the benchmark runs).
SETTLE_QUIET_SECONDS = 1.0


@dataclass
class Figures:
    scenario: str
    app: str
    requests: int
    seconds: float
    latencies: list[float]
    done_seconds: float
    calls: Counter[str] = field(default_factory=Counter)
    failures: int = 0
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """The server's CPU time per request (its whole work): unlike requests/s, not skewed by other load on the machine."""
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def done_rps(self) -> float:
        """Requests whose whole work (every Slack call after the ack) finished, per second."""
        return self.requests / self.done_seconds if self.done_seconds else 0.0

    @property
    def api_calls_per_request(self) -> float:
        web_api = sum(n for method, n in self.calls.items() if method != RESPONSE_URL)
        return web_api / self.requests if self.requests else 0.0

    @property
    def responses_per_request(self) -> float:
        return self.calls[RESPONSE_URL] / self.requests if self.requests else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def timed_sender(http: aiohttp.ClientSession, url: str, latencies: list[float], failures: list[str]) -> Sender:
    async def send(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        started = time.perf_counter()
        async with http.post(url, data=body, headers=headers) as response:
            text = await response.text()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            failures.append(f"HTTP {response.status}: {text[:200]}")
        return response.status, text

    return send


async def load(
    fake: FakeSlack,
    http: aiohttp.ClientSession,
    base_url: str,
    scenario: str,
    app: str,
    action: Action,
    total: int,
    concurrency: int,
    *,
    wait_for_work: bool = False,
    pid: int | None = None,
) -> Figures:
    """Fire `total` requests from `concurrency` clients; with `wait_for_work`, also wait for the Slack calls
    the app makes after its acks to stop arriving, so `done_rps` covers the whole work."""
    latencies: list[float] = []
    failures: list[str] = []
    emulator = Emulator(fake, SECRET, timed_sender(http, base_url + "/slack/events", latencies, failures))
    counter = iter(range(total))
    calls_before = len(fake.calls)

    async def worker() -> None:
        for index in counter:
            await action(emulator, index)

    cpu_before = cpu_seconds(pid) if pid else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    done = (await settled(fake, started)) if wait_for_work else elapsed
    cpu = cpu_seconds(pid) - cpu_before if pid else 0.0
    calls = Counter(call.method for call in fake.calls[calls_before:])
    return Figures(scenario, app, total, elapsed, latencies, max(done, elapsed), calls, len(failures), cpu)


async def settled(fake: FakeSlack, started: float, within: float = 60.0) -> float:
    """When the Slack calls made after the acks stopped arriving: the time of the last one, from `started`."""
    quiet = SETTLE_QUIET_SECONDS
    last_count, last_change = len(fake.calls), time.perf_counter()
    while time.perf_counter() - last_change < quiet and time.perf_counter() - started < within:
        await asyncio.sleep(0.02)
        if len(fake.calls) != last_count:
            last_count, last_change = len(fake.calls), time.perf_counter()
    return last_change - started
