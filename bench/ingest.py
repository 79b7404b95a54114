"""Ingestion benchmark (issue #8, figure 2): complaints/s through `POST /api/complaints`, in batches of 100
and one at a time, on SQLite and on PostgreSQL.

Each database gets its own `herobot serve` (production mode, `HERO_INGEST_TOKEN` set, the fake Slack of
the demo workspace on loopback) on a fresh database: a new SQLite file, and a PostgreSQL database created
for the run and dropped after it. PostgreSQL is measured twice, each time on a fresh database: with one
instance, and with two instances on the one database — how production runs on PostgreSQL, one instance
per core behind a load balancer — the clients taking turns between them as a balancer would. Every item has its own URL and external ID, so every one is a new
complaint (stored, routed, audited, announced after the answer). The clock runs from the first request
to the last answer: an answer (201) means the batch is committed.

PostgreSQL is found at `HERO_BENCH_POSTGRES_URL` (any database on the server; default
`postgresql+asyncpg://postgres@127.0.0.1:5432/postgres`); when it is unreachable the run says so and
goes on.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.processes import bench_environment, free_port, herobot_command, running

INGEST_TOKEN = "bench-ingest-token"
BATCH_SIZES = (100, 1)
# Batched complaints/s, at least.
TARGETS = {"sqlite": 2000.0, "postgresql": 5000.0}
POSTGRES_URL_VARIABLE = "HERO_BENCH_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
# Concurrent clients per instance: a few for batches (a tool pushing its backlog), many for single items
# (webhooks).
CONCURRENCY = {100: 4, 1: 20}
# herobot instances on one PostgreSQL database: one, then one per core of the bench machine.
POSTGRES_INSTANCES = (1, 2)


@dataclass
class IngestFigures:
    database: str
    batch_size: int
    concurrency: int
    complaints: int
    seconds: float
    failures: int = 0
    instances: int = 1

    @property
    def per_second(self) -> float:
        return self.complaints / self.seconds if self.seconds else 0.0


def complaint(index: int) -> dict[str, object]:
    """One item as a social-listening tool would push it (PRODUCT.md, Ingestion API)."""
    return {
        "source": "x",
        "url": f"https://x.com/customer{index}/status/{2_000_000 + index}",
        "text": f"Order {index} arrived broken and nobody answers",
        "author": f"@customer{index}",
        "external_id": f"bench-{index}",
    }


async def available(http: aiohttp.ClientSession, base_url: str) -> bool:
    """Whether this herobot has the ingestion endpoint (anything but 404/405 to an empty batch)."""
    headers = {"Authorization": f"Bearer {INGEST_TOKEN}"}
    try:
        async with http.post(base_url + "/api/complaints", json=[], headers=headers) as response:
            return response.status not in (404, 405)
    except aiohttp.ClientError:
        return False


async def measure(
    http: aiohttp.ClientSession,
    base_urls: Sequence[str],
    database: str,
    batch_size: int,
    total: int,
    concurrency: int,
    first_index: int,
) -> IngestFigures:
    """POST `total` new complaints in batches of `batch_size` from `concurrency` clients, client k sending to
    instance k modulo their number; time until all answered."""
    bodies: list[object] = []
    for start in range(first_index, first_index + total, batch_size):
        items = [complaint(i) for i in range(start, min(start + batch_size, first_index + total))]
        bodies.append(items if batch_size > 1 else items[0])
    headers = {"Authorization": f"Bearer {INGEST_TOKEN}"}
    queue = list(reversed(bodies))
    stored = failures = 0

    async def client(number: int) -> None:
        nonlocal stored, failures
        base_url = base_urls[number % len(base_urls)]
        while queue:
            body = queue.pop()
            async with http.post(base_url + "/api/complaints", json=body, headers=headers) as response:
                answer = await response.json(content_type=None)
                if response.status == 201:
                    stored += len(answer.get("ids", []))
                else:
                    failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(concurrency)))
    took = time.perf_counter() - started
    return IngestFigures(database, batch_size, concurrency, stored, took, failures, len(base_urls))


async def _measure_all(
    http: aiohttp.ClientSession, base_urls: Sequence[str], database: str, quick: bool
) -> list[IngestFigures]:
    totals = {100: 500, 1: 100} if quick else {100: 10_000, 1: 2000}
    figures: list[IngestFigures] = []
    index = 0
    # A short warm-up of each instance (imports, caches, the pool's connections), not counted.
    for number, base_url in enumerate(base_urls):
        await measure(http, [base_url], database, 10, 100, 2, first_index=10_000_000 + 1000 * number)
    for size in BATCH_SIZES:
        clients = CONCURRENCY[size] * len(base_urls)
        figures.append(await measure(http, base_urls, database, size, totals[size], clients, index))
        index += totals[size]
    return figures


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str | None]:
    """A database of its own on the PostgreSQL server (dropped after), or None when none is reachable."""
    import asyncpg

    admin = os.environ.get(POSTGRES_URL_VARIABLE) or POSTGRES_DEFAULT
    plain = admin.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"herobot_bench_ingest_{os.getpid()}"
    try:
        connection = await asyncio.wait_for(asyncpg.connect(plain), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        yield None
        return
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def _on(
    http: aiohttp.ClientSession,
    api_url: str,
    workdir: Path,
    database: str,
    url: str,
    quick: bool,
    instances: int = 1,
) -> list[IngestFigures]:
    async with AsyncExitStack() as stack:
        base_urls = []
        for number in range(instances):  # one after the other: the first migrates the new database
            env = bench_environment(api_url, url, free_port())
            env["HERO_INGEST_TOKEN"] = INGEST_TOKEN
            name = f"herobot-ingest-{database}-{number + 1}"
            hero = await stack.enter_async_context(running(http, name, herobot_command(), env, workdir))
            if not await available(http, hero.url):
                raise RuntimeError("herobot has no POST /api/complaints")
            base_urls.append(hero.url)
        return await _measure_all(http, base_urls, database, quick)


async def run(http: aiohttp.ClientSession, api_url: str, workdir: Path, quick: bool) -> list[str]:
    """Measure on SQLite and (when reachable) PostgreSQL; the table and one line per figure."""
    figures: list[IngestFigures] = []
    notes: list[str] = []
    figures += await _on(http, api_url, workdir, "sqlite", f"sqlite+aiosqlite:///{workdir}/ingest.db", quick)
    if quick:
        notes.append("ingestion: PostgreSQL not measured in --quick (the full run does)")
    else:
        for instances in POSTGRES_INSTANCES:
            async with fresh_postgres() as url:
                if url is None:
                    notes.append(
                        f"ingestion: PostgreSQL not measured — none reachable at ${POSTGRES_URL_VARIABLE} or "
                        f"{POSTGRES_DEFAULT}"
                    )
                    break
                figures += await _on(http, api_url, workdir, "postgresql", url, quick, instances)
    return [*table(figures), "", *verdicts(figures), *notes]


def table(figures: Sequence[IngestFigures]) -> list[str]:
    out = [
        "Ingestion: POST /api/complaints, every item a new complaint, fresh database per engine",
        f"{'database':11} {'instances':>9} {'batch':>5} {'clients':>7} {'complaints':>10} {'seconds':>8} "
        f"{'complaints/s':>12} {'failed':>6}",
    ]
    for f in figures:
        out.append(
            f"{f.database:11} {f.instances:>9} {f.batch_size:>5} {f.concurrency:>7} {f.complaints:>10} "
            f"{f.seconds:>8.2f} {f.per_second:>12.0f} {f.failures:>6}"
        )
    return out


def verdicts(figures: Sequence[IngestFigures]) -> list[str]:
    lines = []
    for f in figures:
        serving = f"{f.instances} instances, " if f.instances > 1 else ""
        line = (
            f"ingestion: {f.database}, {serving}batches of {f.batch_size}, {f.concurrency} clients: "
            f"{f.per_second:,.0f} complaints/s"
        )
        target = TARGETS.get(f.database)
        if f.batch_size > 1 and target is not None:
            line += f"; target >= {target:,.0f}/s: {'met' if f.per_second >= target else 'MISSED'}"
        if f.failures:
            line += f"; {f.failures} requests refused"
        lines.append(line)
    return lines
