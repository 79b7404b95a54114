"""Many people acting on one thing at the same moment: exactly one change wins, everyone else is told."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.console import demo
from bot.console.fake_slack import User
from bot.console.surfaces import texts
from storage.models import AuditEvent, RiskAssessment
from tests.conftest import Harness
from tests.integration.risk_helpers import dm, press, review_card
from tests.reliability.helpers import submitted_review

CLICKS = 50


async def test_fifty_reviewers_pressing_approve_at_once_make_one_decision(harness: Harness) -> None:
    reviewers = [f"U0REV{n:02d}" for n in range(CLICKS)]
    for user in reviewers:
        harness.fake.users[user] = User(user, user.lower(), f"Reviewer {user[-2:]}", title="IT")
    harness.fake.usergroups[demo.IT_REVIEWERS_GROUP].users.extend(reviewers)
    await submitted_review(harness)
    card = review_card(harness, demo.IT_REVIEW)

    replies = await asyncio.gather(*(press(harness, user, card, "Approve") for user in reviewers))

    assert [reply.status for reply in replies] == [200] * CLICKS
    async with harness.database.unit_of_work() as session:
        decisions = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "decided"))).all()
        stored = (await session.scalars(select(RiskAssessment))).one()
    [decided] = decisions
    assert (stored.status, stored.decided_by) == ("approved", decided.actor_id)
    winner = decided.actor_id
    for user in reviewers:
        if user != winner:
            told = [e.text + texts(e.blocks) for e in harness.fake.ephemerals if e.user == user]
            assert len(told) == 1 and f"<@{winner}> already decided RISK-1: *approved*" in told[0], (user, told)
    assert f"*Approved* by <@{winner}>" in texts(card.blocks)
    assert len([m for m in dm(harness, demo.MAYA) if "IT approved RISK-1" in m.text]) == 1
    assert len([c for c in harness.fake.calls_to("chat.update") if c["channel"] == demo.IT_REVIEW]) == 1
