"""Benchmarks: herobot against a bare Bolt app that only acks, measured side by side in one run.

    .venv/bin/python bench/run.py            # the full run (a few minutes)
    .venv/bin/python bench/run.py --quick    # a few seconds, so the benchmarks don't rot (CI runs it)
    .venv/bin/python bench/run.py --profile /tmp/profiles   # also py-spy each herobot scenario

Both apps run as their own processes on loopback (`herobot serve` in production mode, acking first),
with the fake Slack Web API and the load generator in this process. Prints a table and one line
per figure; never fails on a missed target (benchmarks are not tests), but says which were missed.

The modules: `scenarios` (what is fired, and the targets), `loadgen` (the concurrent clients),
`processes` (starting the servers, RSS, py-spy), `slack_calls` (Web API calls per user action),
`report` (the printout), `ingest` and `digest` (hooks for the complaint benchmarks).
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

from bench import digest, ingest, report  # noqa: E402
from bench.loadgen import load  # noqa: E402
from bench.processes import (  # noqa: E402
    SECRET,
    Profiler,
    bare_command,
    bench_environment,
    free_port,
    herobot_command,
    running,
)
from bench.scenarios import SCENARIOS, seed  # noqa: E402
from bench.slack_calls import action_costs  # noqa: E402
from bot.console import demo  # noqa: E402
from bot.console.emulator import Emulator, http_sender  # noqa: E402


async def ack_path(quick: bool, workdir: Path, profile: Path | None) -> list[str]:
    total, concurrency = (60, 10) if quick else (2000, 50)
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
            await asyncio.sleep(1.0)
            idle = hero.rss_mb
            await seed(emulator)
            pairs: list[report.Pair] = []
            for scenario in SCENARIOS:
                why_not = scenario.missing()
                if why_not:
                    lines.append(f"{scenario.name}: not measured — {why_not}")
                    continue
                warm_up = max(10, total // 10)
                args = (scenario.name, scenario.action)
                await load(fake, http, bare.url, args[0], "bare", args[1], warm_up, concurrency)
                await load(fake, http, hero.url, args[0], "herobot", args[1], warm_up, concurrency, wait_for_work=True)
                ceiling = await load(fake, http, bare.url, args[0], "bare", args[1], total, concurrency)
                profiler.begin(hero.process.pid, scenario.name.split(":")[0])
                ours = await load(
                    fake, http, hero.url, args[0], "herobot", args[1], total, concurrency, wait_for_work=True
                )
                profiler.end()
                pairs.append(report.Pair(scenario, ours, ceiling))
            loaded = hero.rss_mb
            costs = await action_costs(fake, emulator, project_id=1)
            lines += await ingest.ingestion_lines(http, hero.url, quick)
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
        *digest.digest_lines(quick),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: small counts, for CI")
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks of herobot per scenario here")
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="herobot-bench-") as workdir:
            lines = asyncio.run(ack_path(args.quick, Path(workdir), args.profile))
    except Exception:
        # A benchmark never fails CI on its figures; one that cannot run at all must be seen.
        traceback.print_exc()
        return 1
    print()
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
