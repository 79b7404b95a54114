"""Run `herobot <sub-command>` as an operator would, against a test database, and seed records directly."""

from __future__ import annotations

import asyncio
import io
import itertools
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from app import main as app_main
from storage.db import Database
from storage.models import AuditEvent, Complaint, ComplaintNote, ComplaintTag

_posts = itertools.count(1)


@dataclass
class Ran:
    code: int
    out: str
    err: str


async def herobot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database: Database, *args: str, **env: str) -> Ran:
    """`herobot ARGS` with DATABASE_URL pointing at the test database (in a thread: it runs its own loop)."""
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATABASE_URL", database.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["herobot", *args])
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        with redirect_stdout(out), redirect_stderr(err):
            return app_main()

    code = await asyncio.to_thread(run)
    return Ran(code, out.getvalue(), err.getvalue())


async def add_complaint(
    database: Database,
    *,
    team_id: str = "T1",
    status: str = "resolved",
    created_at: datetime,
    closed_at: datetime | None = None,
    text: str = "My refund never arrived, order 5512",
    author: str = "@dana_customer",
    url: str | None = "https://x.com/dana_customer/status/",
    external_id: str | None = None,
    tags: tuple[str, ...] = ("billing",),
    note: str = "Refunded, DM sent to Dana",
) -> int:
    """A complaint as the complaints service leaves it: with tags, a note and audit rows that copied its text.

    A `url` ending in `/` gets a number appended, so each complaint has its own post.
    """
    if url is not None and url.endswith("/"):
        url += str(next(_posts))
    async with database.unit_of_work() as session:
        complaint = Complaint(
            team_id=team_id,
            network="twitter",
            url=url,
            url_key=None if url is None else f"key-{url}"[:64],
            external_id=external_id,
            author=author,
            text=text,
            region="emea",
            severity="high",
            status=status,
            owner_id="U0MAYA",
            created_by="U0MAYA",
            created_at=created_at,
            updated_at=closed_at or created_at,
            due_at=created_at,
            closed_at=closed_at,
        )
        session.add(complaint)
        await session.flush()
        for tag in tags:
            session.add(ComplaintTag(complaint_id=complaint.id, tag=tag, team_id=team_id, created_at=created_at))
        session.add(
            ComplaintNote(team_id=team_id, complaint_id=complaint.id, author_id="U0MAYA", kind="resolved", body=note)
        )
        session.add(
            AuditEvent(
                team_id=team_id,
                entity_type="complaint",
                entity_id=complaint.id,
                action="created",
                actor_id="U0MAYA",
                before=None,
                after={"status": "new", "severity": "high", "text": text, "author": author, "url": url},
                created_at=created_at,
            )
        )
        session.add(
            AuditEvent(
                team_id=team_id,
                entity_type="complaint",
                entity_id=complaint.id,
                action="resolved",
                actor_id="U0MAYA",
                before={"status": "assigned", "note": None},
                after={"status": status, "note": note},
                created_at=closed_at or created_at,
            )
        )
        return complaint.id
