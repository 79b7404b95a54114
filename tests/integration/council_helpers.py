"""Setting up councils and the rows their digests count, as the earlier features store them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Reply
from bot.console.fake_slack import Message
from bot.console.surfaces import texts
from bot.councils import service
from bot.councils.service import CouncilDraft
from bot.permissions import Actor
from storage.db import Database
from storage.models import (
    Complaint,
    ComplaintTag,
    Council,
    CouncilRun,
    CrisisAlert,
    Project,
    ProjectNote,
    RiskAssessment,
    RiskChecklistVersion,
)
from tests.conftest import Harness

ADMIN = Actor(team_id=demo.TEAM_ID, user_id=demo.SAM, is_admin=True)

MODAL_VALUES: dict[str, Any] = {
    "name": "CX council",
    "channel": demo.CX_COUNCIL,
    "frequency": "weekly",
    "weekday": "0",
    "time": "09:00",
    "zone": "Europe/Stockholm",
    "sections": ["projects", "complaints", "risk"],
}


async def open_and_submit(harness: Harness, user: str = demo.SAM, **values: Any) -> Reply:
    await harness.slack.slash(user, "/council", "create")
    return await harness.slack.submit(user, {**MODAL_VALUES, **values})


async def add_council(database: Database, now: datetime, **fields: Any) -> Council:
    draft = CouncilDraft(**{"name": "CX council", "channel_id": demo.CX_COUNCIL, "zone": "UTC", **fields})
    async with database.unit_of_work() as session:
        return await service.create_council(session, ADMIN, draft, now=now)


async def runs(database: Database) -> list[CouncilRun]:
    async with database.unit_of_work() as session:
        return list((await session.scalars(select(CouncilRun).order_by(CouncilRun.period_start))).all())


def channel_messages(harness: Harness, channel: str = demo.CX_COUNCIL) -> list[Message]:
    return [m for m in harness.fake.messages.get(channel, []) if m.thread_ts is None]


def shown(message: Message) -> str:
    return message.text + "\n" + texts(message.blocks)


def last_ephemeral(harness: Harness, user: str) -> str:
    mine = [e for e in harness.fake.ephemerals if e.user == user]
    assert mine, f"no ephemeral for {user}"
    return mine[-1].text + "\n" + texts(mine[-1].blocks)


async def seed_activity(database: Database, now: datetime, *, council_id: int | None = None) -> None:
    """A week of work, and some in the week before: projects, complaints (with tags, responses, an SLA
    miss and a crisis alert) and risk reviews — rows as the projects, complaints and risk features store them."""
    team = demo.TEAM_ID
    day = timedelta(days=1)
    async with database.unit_of_work() as session:
        session.add(RiskChecklistVersion(digest="c" * 64, title="IT", version="1", content={}))
        started = Project(
            team_id=team,
            title="Answer refund tweets",
            network="twitter",
            owner_id=demo.MAYA,
            stage="launched",
            council_id=council_id,
            created_at=now - 3 * day,
            launched_at=now - day,
            last_activity_at=now - day,
        )
        older = Project(
            team_id=team,
            title="Reply to unboxing videos",
            network="youtube",
            owner_id=demo.LEO,
            stage="active",
            created_at=now - 30 * day,
            last_activity_at=now - 20 * day,
        )
        before = Project(
            team_id=team,
            title="Forum answers",
            network="forum",
            owner_id=demo.LEO,
            stage="proposed",
            created_at=now - 9 * day,
            last_activity_at=now - 9 * day,
        )
        session.add_all([started, older, before])
        await session.flush()
        session.add(
            ProjectNote(team_id=team, project_id=older.id, author_id=demo.LEO, kind="note", created_at=now - 20 * day)
        )
        complaints = [
            # opened this week: answered in 30 and 90 minutes, one resolved, one overdue and unanswered
            Complaint(
                team_id=team,
                network="twitter",
                status="resolved",
                created_at=now - 2 * day,
                due_at=now - 2 * day + timedelta(hours=4),
                first_response_at=now - 2 * day + timedelta(minutes=30),
                closed_at=now - day,
            ),
            Complaint(
                team_id=team,
                network="twitter",
                status="responded",
                created_at=now - 2 * day,
                due_at=now - 2 * day + timedelta(hours=4),
                first_response_at=now - 2 * day + timedelta(minutes=90),
            ),
            Complaint(
                team_id=team,
                network="facebook",
                status="new",
                created_at=now - 3 * day,
                due_at=now - 3 * day + timedelta(hours=1),
            ),
            # the week before: one, answered in 10 minutes
            Complaint(
                team_id=team,
                network="instagram",
                status="responded",
                created_at=now - 10 * day,
                due_at=now - 10 * day + timedelta(hours=4),
                first_response_at=now - 10 * day + timedelta(minutes=10),
            ),
        ]
        session.add_all(complaints)
        await session.flush()
        for complaint, tag in ((complaints[0], "refunds"), (complaints[1], "refunds"), (complaints[2], "delivery")):
            session.add(ComplaintTag(complaint_id=complaint.id, tag=tag, team_id=team, created_at=complaint.created_at))
        session.add(
            CrisisAlert(team_id=team, tag="refunds", count=5, opened_at=now - 2 * day, last_complaint_at=now - 2 * day)
        )
        session.add_all(
            [
                RiskAssessment(
                    team_id=team,
                    project_id=started.id,
                    hero_id=demo.MAYA,
                    checklist_digest="c" * 64,
                    status="approved",
                    submitted_at=now - 3 * day,
                    decided_at=now - 2 * day,
                    decided_by=demo.INGRID,
                ),
                RiskAssessment(
                    team_id=team,
                    project_id=older.id,
                    hero_id=demo.LEO,
                    checklist_digest="c" * 64,
                    status="pending",
                    submitted_at=now - 5 * day,
                ),
            ]
        )
