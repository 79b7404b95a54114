"""Benchmarks: herobot against a bare Bolt app that only acks, measured side by side in one run.

    .venv/bin/python bench/run.py            # the full run (a few minutes)
    .venv/bin/python bench/run.py --quick    # a few seconds, so the benchmarks don't rot (CI runs it)
    .venv/bin/python bench/run.py --profile /tmp/profiles   # also py-spy each herobot scenario

Both apps run as their own processes on loopback (`herobot serve` in production mode, acking first),
with the fake Slack Web API and the load generator in this process. Prints a table and one line
per figure; never fails on a missed target (benchmarks are not tests), but says which were missed.

The modules: `scenarios` (what is fired, and the targets), `loadgen` (the concurrent clients),
`processes` (starting the servers, RSS, py-spy), `slack_calls` (Web API calls per user action),
`report` (the printout), `ingest` (complaints/s through the ingestion API, SQLite and PostgreSQL),
`digest` (a council digest over 10k, 100k and 1M generated complaints; also a command of its own).
The full run takes several minutes (loading a million complaints is about a minute of it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import traceback
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import digest, ingest, loadgen, report  # noqa: E402
from bench.loadgen import Figures, load  # noqa: E402
from bench.processes import (  # noqa: E402
    SECRET,
    Profiler,
    Server,
    bare_command,
    bench_environment,
    free_port,
    herobot_command,
    running,
)
from bench.scenarios import SCENARIOS, Scenario, seed  # noqa: E402
from bench.slack_calls import action_costs  # noqa: E402
from bot.console import demo  # noqa: E402
from bot.console.emulator import Emulator, http_sender  # noqa: E402
from bot.console.fake_slack import FakeSlack  # noqa: E402

# Complaints in the digest benchmark's databases: the full run's sizes, and small ones that keep --quick quick.
DIGEST_SIZES = (10_000, 100_000, 1_000_000)
DIGEST_SIZES_QUICK = (2_000, 10_000)


async def ack_path(quick: bool, workdir: Path, profile: Path | None, only: str | None = None) -> list[str]:
    total, concurrency, rounds = (60, 10, 1) if quick else (1500, 50, 3)
    if quick:
        loadgen.SETTLE_QUIET_SECONDS = 0.3
    fake = demo.demo_slack()
    api_url = await fake.start()
    lines: list[str] = []
    hero_env = bench_environment(api_url, f"sqlite+aiosqlite:///{workdir}/bench.db", free_port())
    hero_env["HERO_INGEST_TOKEN"] = ingest.INGEST_TOKEN
    bare_env = bench_environment(api_url, "sqlite://", free_port())
    profiler = Profiler(profile)
    try:
        connector = aiohttp.TCPConnector(limit=concurrency * 2)
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            running(http, "herobot", herobot_command(), hero_env, workdir) as hero,
            running(http, "bare", bare_command(), bare_env, workdir) as bare,
        ):
            emulator = Emulator(fake, SECRET, http_sender(http, hero.url + "/slack/events"))
            await asyncio.sleep(0.5 if quick else 2.0)  # start-up work done: what it keeps is its idle size
            idle = hero.rss_mb
            await seed(emulator)
            pairs: list[report.Pair] = []
            for scenario in SCENARIOS:
                if only and not scenario.name.startswith(only):
                    continue
                why_not = scenario.missing()
                if why_not:
                    lines.append(f"{scenario.name}: not measured — {why_not}")
                    continue
                pairs.append(await measure(fake, http, scenario, hero, bare, total, concurrency, rounds, profiler))
            loaded = hero.rss_mb
            costs = await action_costs(fake, emulator, project_id=1)
    finally:
        profiler.end()
        await fake.stop()
    table = report.ack_table(pairs, total, concurrency)
    return [
        *table,
        "",
        *report.ack_lines(pairs),
        *lines,
        *report.cost_lines(costs),
        report.memory_line(idle, loaded),
    ]


async def ingestion(quick: bool, workdir: Path) -> list[str]:
    """Figure 2: its own servers on fresh databases, after the ack path's are stopped."""
    fake = demo.demo_slack()
    api_url = await fake.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
            return await ingest.run(http, api_url, workdir, quick)
    finally:
        await fake.stop()


async def everything(quick: bool, workdir: Path, profile: Path | None, only: str | None) -> list[str]:
    lines = await ack_path(quick, workdir, profile, only)
    if only:  # a profiling run of some ack scenarios
        return lines
    lines += ["", *await ingestion(quick, workdir)]
    lines += ["", *await digest.digest_lines(workdir, DIGEST_SIZES_QUICK if quick else DIGEST_SIZES)]
    return lines


async def measure(
    fake: FakeSlack,
    http: aiohttp.ClientSession,
    scenario: Scenario,
    hero: Server,
    bare: Server,
    total: int,
    concurrency: int,
    rounds: int,
    profiler: Profiler,
) -> report.Pair:
    """Warm both up, then alternate bare and herobot runs; each keeps its best round.

    Other work on the machine slows whichever app it happens to overlap: alternating and keeping the
    best round of each compares the two at their least disturbed.
    """
    name, action = scenario.name, scenario.action
    warm_up = max(10, total // 10)
    await load(fake, http, bare.url, name, "bare", action, warm_up, concurrency)
    await load(fake, http, hero.url, name, "herobot", action, warm_up, concurrency, wait_for_work=True)
    bests: dict[str, Figures] = {}
    for _ in range(rounds):
        ceiling = await load(fake, http, bare.url, name, "bare", action, total, concurrency, pid=bare.process.pid)
        profiler.begin(hero.process.pid, name.split(":")[0])
        ours = await load(
            fake, http, hero.url, name, "herobot", action, total, concurrency, wait_for_work=True, pid=hero.process.pid
        )
        profiler.end()
        for figures in (ceiling, ours):
            if figures.app not in bests or figures.rps > bests[figures.app].rps:
                bests[figures.app] = figures
    return report.Pair(scenario, bests["herobot"], bests["bare"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: small counts, for CI")
    parser.add_argument("--only", help="only the scenarios whose name starts with this (read, write, click)")
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks of herobot per scenario here")
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="herobot-bench-") as workdir:
            lines = asyncio.run(everything(args.quick, Path(workdir), args.profile, args.only))
    except Exception:
        # A benchmark never fails CI on its figures; one that cannot run at all must be seen.
        traceback.print_exc()
        return 1
    print()
    if args.quick:
        print("--quick: small counts, only to show the benchmarks still run; its figures and verdicts are not")
        print("measurements (10 clients, 60 requests). The measured figures come from a full run: bench/RESULTS.md.")
        print()
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
