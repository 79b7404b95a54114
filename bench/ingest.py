"""Ingestion benchmark (issue #8, figure 2): complaints/s through `POST /api/complaints`, in batches of 100
and one at a time, on SQLite and on PostgreSQL.

A hook until complaints land on main: the run probes the endpoint and reports "not measured yet" while
herobot answers 404. What is already fixed here is the contract-level part (the request shape from
PRODUCT.md, the batch sizes, the targets); `measure()` and the per-database server start are what the
lead will ask to fill in.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

INGEST_TOKEN = "bench-ingest-token"
BATCH_SIZES = (100, 1)
# Batched complaints/s, at least.
TARGETS = {"sqlite": 2000.0, "postgresql": 5000.0}
# A PostgreSQL to measure against: `HERO_BENCH_POSTGRES_URL=postgresql+asyncpg://…` (an empty database).
POSTGRES_URL_VARIABLE = "HERO_BENCH_POSTGRES_URL"


@dataclass
class IngestFigures:
    database: str
    batch_size: int
    complaints: int
    seconds: float

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
    http: aiohttp.ClientSession, base_url: str, database: str, batch_size: int, total: int
) -> IngestFigures:
    """Hook: POST `total` complaints in batches of `batch_size` from concurrent clients; time until all are stored."""
    raise NotImplementedError("the ingestion benchmark is filled in once POST /api/complaints is on main")


async def ingestion_lines(http: aiohttp.ClientSession, base_url: str, quick: bool) -> list[str]:
    if not await available(http, base_url):
        return ["ingestion: not measured yet — herobot has no POST /api/complaints (complaints are not on main)"]
    return ["ingestion: POST /api/complaints is there; the measurement hook (bench/ingest.py measure) is to be filled"]
