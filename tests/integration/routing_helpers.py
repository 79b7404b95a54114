"""Complaints made directly in the database (as the capture side stores them), a clock tests move, and routing
rules added the way an admin does, through `/complaint rules` and its modal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.complaints.followup import first_response_due
from bot.console import demo
from bot.console.fake_slack import Message
from bot.console.surfaces import texts
from handlers.commands.complaint_rules import rules
from storage.models import AuditEvent, Complaint, ComplaintTag
from tests.conftest import Harness

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = field(default=START)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def use_clock(harness: Harness, clock: Clock) -> Clock:
    """The bot reads the time from this clock (again after each restart: set it on the new runtime)."""
    harness.hero.runtime.now = clock
    return clock


async def add_complaint(
    harness: Harness,
    *,
    text: str = "My refund is three weeks late",
    tags: Sequence[str] = (),
    network: str = "twitter",
    region: str | None = None,
    severity: str = "medium",
    owner: str | None = None,
    status: str | None = None,
    url: str | None = None,
    author: str = "@customer",
) -> Complaint:
    runtime = harness.hero.runtime
    now = runtime.now()
    async with harness.database.unit_of_work() as session:
        complaint = Complaint(
            team_id=demo.TEAM_ID,
            network=network,
            text=text,
            author=author,
            url=url,
            region=region,
            severity=severity,
            status=status or ("assigned" if owner else "new"),
            owner_id=owner,
            routed_channel=None if owner else demo.TRIAGE,
            created_at=now,
            updated_at=now,
            due_at=first_response_due(now, severity, runtime.settings.sla_minutes),
        )
        session.add(complaint)
        await session.flush()
        for tag in tags:
            session.add(ComplaintTag(complaint_id=complaint.id, tag=tag, team_id=demo.TEAM_ID, created_at=now))
    return complaint


async def audit(harness: Harness, entity_type: str) -> list[AuditEvent]:
    async with harness.database.unit_of_work() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == entity_type).order_by(AuditEvent.id)
        )
        return list(rows.all())


def posted(harness: Harness, channel: str) -> list[Message]:
    return harness.fake.messages.get(channel, [])


def shown(message: Message) -> str:
    return message.text + "\n" + texts(message.blocks)


async def rules_command(harness: Harness, user: str, text: str = "") -> dict[str, Any]:
    """What `/complaint rules` answers (the /complaint command module dispatches to `rules`)."""
    runtime = harness.hero.runtime
    body = {"team_id": demo.TEAM_ID, "user_id": user, "channel_id": demo.GENERAL, "command": "/complaint"}
    reply = await rules(runtime, body, text, runtime.client)
    assert reply.payload is not None
    return reply.payload


async def press(harness: Harness, user: str, payload: dict[str, Any], label: str, *, nth: int = 0) -> None:
    """Press the nth button labelled `label` in an ephemeral answer shown in #general."""
    blocks = payload["blocks"]
    matches = [
        (block.get("block_id"), element)
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == label
    ]
    block_id, element = matches[nth]
    await harness.slack.act_on_ephemeral(user, demo.GENERAL, element, block_id)


async def add_rule(harness: Harness, values: dict[str, Any]) -> dict[str, Any]:
    listing = await rules_command(harness, demo.SAM)
    await press(harness, demo.SAM, listing, "Add rule")
    reply = await harness.slack.submit(demo.SAM, values)
    return reply.json
