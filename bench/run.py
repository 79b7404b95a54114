"""Benchmarks: herobot against a bare Bolt app that only acks, measured side by side in one run.

    .venv/bin/python bench/run.py            # the full run (a few minutes)
    .venv/bin/python bench/run.py --quick    # a few seconds, so the benchmarks don't rot (CI runs it)

Both apps run as their own processes on loopback (`herobot serve` in production mode, acking first),
with the fake Slack Web API and the load generator in this process. Prints a table and one line
per figure; never fails on a missed target (benchmarks are not tests), but says which were missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.console import demo  # noqa: E402
from bot.console.emulator import Emulator, Sender  # noqa: E402
from bot.console.fake_slack import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"


@dataclass
class Figures:
    name: str
    target: str
    requests: int
    seconds: float
    latencies: list[float]
    slack_calls: int
    done_seconds: float

    @property
    def done_rps(self) -> float:
        """Requests whose whole work (after the ack) finished, per second."""
        return self.requests / self.done_seconds if self.done_seconds else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait_healthy(http: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            async with http.get(url + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


def timed_sender(http: aiohttp.ClientSession, url: str, latencies: list[float]) -> Sender:
    async def send(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        started = time.perf_counter()
        async with http.post(url, data=body, headers=headers) as response:
            text = await response.text()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {text[:200]}")
        return response.status, text

    return send


Action = Callable[[Emulator, int], Awaitable[object]]


async def load(
    fake: FakeSlack,
    http: aiohttp.ClientSession,
    url: str,
    name: str,
    target: str,
    action: Action,
    total: int,
    concurrency: int,
    calls_per_request: float = 0.0,
) -> Figures:
    """Fire `total` requests from `concurrency` clients; `done` waits for the Slack calls made after the acks."""
    latencies: list[float] = []
    emulator = Emulator(fake, SECRET, timed_sender(http, url + "/slack/events", latencies))
    counter = iter(range(total))
    calls_before = len(fake.calls)

    async def worker() -> None:
        for index in counter:
            await action(emulator, index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    done = elapsed
    if calls_per_request:
        done = await settled(fake, started) or elapsed
    return Figures(name, target, total, elapsed, latencies, len(fake.calls) - calls_before, done)


async def settled(fake: FakeSlack, started: float, quiet: float = 0.3, within: float = 60.0) -> float:
    """When the Slack calls made after the acks stopped arriving: the time of the last one, from `started`."""
    last_count, last_change = len(fake.calls), time.perf_counter()
    while time.perf_counter() - last_change < quiet and time.perf_counter() - started < within:
        await asyncio.sleep(0.02)
        if len(fake.calls) != last_count:
            last_count, last_change = len(fake.calls), time.perf_counter()
    return last_change - started


async def hero_list(emulator: Emulator, index: int) -> object:
    return await emulator.slash(demo.MAYA, "/hero", "list all")


async def hero_new(emulator: Emulator, index: int) -> object:
    return await emulator.slash(demo.MAYA, "/hero", f"new Benchmark project {index}")


SCENARIOS: list[tuple[str, str, Action]] = [
    ("read: /hero list all", "read", hero_list),
    ("write: /hero new <title>", "write", hero_new),
]
TARGETS = {"read": (0.5, 100.0), "write": (0.3, 200.0)}


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)


async def ack_path(quick: bool, workdir: Path) -> list[str]:
    total, concurrency = (60, 10) if quick else (2000, 50)
    fake = demo.demo_slack()
    api_url = await fake.start()
    hero_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bench.db",
        "HOST": "127.0.0.1",
        "PORT": str(hero_port),
        "HERO_PROJECTS_CHANNEL": demo.PROJECTS,
    }
    hero = start([sys.executable, "app.py", "serve"], env, workdir / "herobot.log")
    bare = start([sys.executable, "bench/bare_app.py", str(bare_port)], env, workdir / "bare.log")
    lines: list[str] = []
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency * 2)) as http:
            hero_url, bare_url = f"http://127.0.0.1:{hero_port}", f"http://127.0.0.1:{bare_port}"
            await wait_healthy(http, hero_url, hero)
            await wait_healthy(http, bare_url, bare)
            await asyncio.sleep(1.0)
            idle = rss_mb(hero.pid)
            results: list[tuple[str, str, Figures, Figures]] = []
            for name, kind, action in SCENARIOS:
                warm_up = max(10, total // 10)
                await load(fake, http, bare_url, name, "bare", action, warm_up, concurrency)
                first = await load(fake, http, hero_url, name, "herobot", action, warm_up, concurrency)
                per_request = first.slack_calls / first.requests
                ceiling = await load(fake, http, bare_url, name, "bare", action, total, concurrency)
                ours = await load(fake, http, hero_url, name, "herobot", action, total, concurrency, per_request)
                results.append((name, kind, ours, ceiling))
            loaded = rss_mb(hero.pid)
    finally:
        for process in (hero, bare):
            process.terminate()
            process.wait(timeout=10)
        await fake.stop()

    print(f"\nAck path: {total} signed requests per run, {concurrency} concurrent clients, fake Slack on loopback")
    print(
        f"{'scenario':28} {'app':8} {'acks/s':>8} {'done/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'Slack calls/req':>16}"
    )
    for name, kind, ours, ceiling in results:
        ratio = ours.rps / ceiling.rps if ceiling.rps else 0.0
        for figures in (ceiling, ours):
            shown_ratio = f"{ratio:5.2f}x" if figures is ours else ""
            print(
                f"{name:28} {figures.target:8} {figures.rps:8.0f} {figures.done_rps:8.0f} {figures.percentile(0.5):8.1f} "
                f"{figures.percentile(0.99):8.1f} {shown_ratio:>6} {figures.slack_calls / figures.requests:16.2f}"
            )
        want_ratio, want_p99 = TARGETS[kind]
        verdict = "met" if ratio >= want_ratio and ours.percentile(0.99) < want_p99 else "MISSED"
        lines.append(
            f"{name}: {ours.rps:.0f} req/s = {ratio:.2f}x bare Bolt ({ceiling.rps:.0f} req/s), "
            f"p99 {ours.percentile(0.99):.1f} ms; target >= {want_ratio}x and p99 < {want_p99:.0f} ms: {verdict}"
        )
        lines.append(f"{name}: {ours.done_rps:.0f} requests/s with all their work done (every Slack call made)")
        lines.append(f"{name}: {ours.slack_calls / ours.requests:.2f} Slack Web API calls per request")
    lines.append(
        f"memory: herobot serve RSS {idle:.0f} MB idle, {loaded:.0f} MB after the load; target < 150 MB idle: {'met' if idle < 150 else 'MISSED'}"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: small counts, for CI")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="herobot-bench-") as workdir:
        lines = asyncio.run(ack_path(args.quick, Path(workdir)))
    print()
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
