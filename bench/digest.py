"""How long a council digest takes over a big database: 1M complaints (a year of them), their tags, and
the projects and reviews beside them. The digest's figures are SQL aggregates on indexed columns.

    .venv/bin/python bench/digest.py                 # 1,000,000 complaints on SQLite (about a minute to load)
    .venv/bin/python bench/digest.py --rows 50000    # smaller
    DATABASE_URL=postgresql+asyncpg://… .venv/bin/python bench/digest.py   # an EMPTY PostgreSQL database

Prints the time to compose a weekly and a monthly digest (target: under 1 s each).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.councils.cadence import Cadence, Frequency
from bot.councils.digest import compose_digest
from storage.db import Database
from storage.models import Complaint, ComplaintTag, Council, CrisisAlert

TEAM = "T0BENCH"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
STATUSES = ("new", "assigned", "responded", "resolved", "dismissed")
NETWORKS = ("twitter", "facebook", "instagram", "tiktok", "forum")
TAGS = ("refunds", "delivery", "billing", "app", "staff", "outage", "privacy", "pricing")


async def load(database: Database, rows: int) -> None:
    random.seed(7)
    batch = 20_000
    next_id = 1
    for offset in range(0, rows, batch):
        complaints, tags = [], []
        for _ in range(min(batch, rows - offset)):
            # In the order they arrive, as in production: the indexes grow at their end.
            created = NOW - timedelta(days=365) + timedelta(seconds=(next_id * 365 * 86400) // rows)
            status = random.choice(STATUSES)
            responded = created + timedelta(minutes=random.randint(5, 3000)) if status != "new" else None
            complaints.append(
                {
                    "id": next_id,
                    "team_id": TEAM,
                    "network": random.choice(NETWORKS),
                    "author": "",
                    "text": "",
                    "severity": "medium",
                    "status": status,
                    "source": "api",
                    "created_by": "",
                    "created_at": created,
                    "updated_at": created,
                    "due_at": created + timedelta(hours=24),
                    "first_response_at": responded,
                    "closed_at": responded + timedelta(hours=2)
                    if responded and status in ("resolved", "dismissed")
                    else None,
                }
            )
            tags.append({"complaint_id": next_id, "tag": random.choice(TAGS), "team_id": TEAM, "created_at": created})
            next_id += 1
        async with database.unit_of_work() as session:
            await session.execute(insert(Complaint.__table__), complaints)
            await session.execute(insert(ComplaintTag.__table__), tags)
    async with database.unit_of_work() as session:
        for day in range(0, 365, 9):
            session.add(
                CrisisAlert(
                    team_id=TEAM,
                    tag="outage",
                    count=5,
                    opened_at=NOW - timedelta(days=day),
                    last_complaint_at=NOW - timedelta(days=day),
                )
            )
        session.add(
            Council(
                team_id=TEAM,
                name="Bench",
                name_key="bench",
                channel_id="C1",
                frequency="weekly",
                weekday=0,
                at_time="09:00",
                timezone="Europe/Berlin",
                sections="projects,complaints,risk",
                skip_quiet=False,
                paused=False,
                created_by="U1",
            )
        )


async def main(args: argparse.Namespace, reused: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = args.reuse or f"{scratch}/bench.db"
        database = Database(os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{path}")
        await database.migrate()
        if not reused:
            started = time.monotonic()
            await load(database, args.rows)
            print(f"loaded {args.rows:,} complaints in {time.monotonic() - started:.1f} s")
        for name, cadence in (
            ("weekly", Cadence(Frequency.WEEKLY, datetime.min.time().replace(hour=9), "Europe/Berlin", weekday=0)),
            (
                "monthly",
                Cadence(Frequency.MONTHLY, datetime.min.time().replace(hour=9), "Europe/Berlin", day_of_month=1),
            ),
        ):
            period = cadence.period_due(NOW)
            async with database.unit_of_work() as session:
                council = await session.get(Council, 1)
                assert council is not None
                started = time.monotonic()
                digest = await compose_digest(session, council, period, cadence.previous(period), now=NOW)
                took = time.monotonic() - started
            assert digest.complaints is not None
            verdict = "ok" if took < 1.0 else "MISSED (target < 1 s)"
            print(
                f"{name} digest: {took * 1000:.0f} ms, {digest.complaints.opened.now:,.0f} complaints opened — {verdict}"
            )
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", help="a SQLite file loaded by an earlier run (kept between runs)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments, reused=bool(arguments.reuse and os.path.exists(arguments.reuse))))
