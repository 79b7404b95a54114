"""Driving a risk check the way a HERO does: reading the DM, pressing the buttons, filling the modals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Reply
from bot.console.fake_slack import Message
from bot.console.surfaces import find_element, interactive_elements, texts
from bot.risk.ids import Ref
from storage.models import RiskAssessment
from tests.conftest import Harness

# Answers by question id, as a HERO would pick them (labels; a list for multiple choice; text for free text).
LOW_RISK: dict[str, Any] = {
    "account": "Our official brand account",
    "shared_login": "No",
    "two_factor": "Yes",
    "who_posts": "A named, trained team",
    "personal_data": "No",
    "legal_threats": "Yes",
    "records": "Yes",
    "guidelines": "Yes, everyone",
    "tools": "Tools on IT's approved list",
    "hours": "Set hours, stated in the profile",
    "crisis_plan": "No",
}

RISKY: dict[str, Any] = {
    **LOW_RISK,
    "two_factor": "No",
    "personal_data": "Yes",
    "data_kept": "In a spreadsheet or notes of our own",
    "sensitive_data": ["payment"],
    "tools": "A tool or vendor that isn't approved yet",
    "vendor_data": "Yes",
    "crisis_plan": "Yes",
    "crisis_contact": "Ana in Communications, +46 70 123 45 67",
}


def dm(harness: Harness, user: str) -> list[Message]:
    return harness.fake.messages.get(harness.fake.dm_channel(user), [])


def live_prompt(harness: Harness, user: str) -> Message:
    """The newest message in the person's DM that still has buttons."""
    for message in reversed(dm(harness, user)):
        if any(True for _ in interactive_elements(message.blocks)):
            return message
    raise AssertionError("no message with buttons in the DM")


def shown(message: Message) -> str:
    return message.text + "\n" + texts(message.blocks)


def question_of(message: Message) -> str | None:
    """The question a prompt asks, read from what its buttons carry (None for the summary)."""
    for _, element in interactive_elements(message.blocks):
        raw = element.get("value") or next(iter(element.get("options") or []), {}).get("value")
        ref = Ref.decode(raw)
        if ref is not None and ref.q is not None and element.get("action_id") != "risk_change_one":
            return ref.q
    return None


def is_summary(message: Message) -> bool:
    return any(
        (e.get("text") or {}).get("text") == "Submit for IT review" for _, e in interactive_elements(message.blocks)
    )


async def press(harness: Harness, user: str, message: Message, label: str, *, selected: str | None = None) -> Reply:
    block_id, element = find_element(message.blocks, label)
    return await harness.slack.act(user, element, block_id, message=message, selected=selected)


async def answer_current(harness: Harness, user: str, answers: dict[str, Any]) -> str:
    """Answer the live question from `answers`; returns its id."""
    prompt = live_prompt(harness, user)
    question = question_of(prompt)
    assert question is not None, "the live prompt is not a question:\n" + shown(prompt)
    wanted = answers[question]
    if isinstance(wanted, list):
        await press(harness, user, prompt, "Choose answers…")
        reply = await harness.slack.submit(user, {"answer": wanted})
        assert reply.json.get("response_action") is None, reply.json
    elif question == "crisis_contact":
        await press(harness, user, prompt, "Write your answer…")
        reply = await harness.slack.submit(user, {"answer": wanted})
        assert reply.json.get("response_action") is None, reply.json
    else:
        await press(harness, user, prompt, wanted)
    return question


async def run_checklist(harness: Harness, user: str, answers: dict[str, Any], *, limit: int = 40) -> list[str]:
    """Answer until the summary shows; the ids of the questions asked, in order."""
    asked = []
    for _ in range(limit):
        if is_summary(live_prompt(harness, user)):
            return asked
        asked.append(await answer_current(harness, user, answers))
    raise AssertionError("the conversation never reached its summary")


async def assessment(harness: Harness, number: int = 1) -> RiskAssessment:
    async with harness.database.unit_of_work() as session:
        found = (await session.scalars(select(RiskAssessment).where(RiskAssessment.id == number))).one()
        session.expunge(found)
        return found


def last_ephemeral(harness: Harness, user: str) -> str:
    seen = [e for e in harness.fake.ephemerals if e.user == user]
    assert seen, "nothing was shown to the user"
    return seen[-1].text + "\n" + texts(seen[-1].blocks)


def review_card(harness: Harness, channel: str) -> Message:
    cards = [m for m in harness.fake.messages.get(channel, []) if m.text.startswith("IT risk review")]
    assert cards, f"no review card in {channel}"
    return cards[-1]


async def submitted(harness: Harness, answers: dict[str, object] = RISKY, *, title: str = "Refund tweets") -> None:
    """Maya logs a project, runs its risk check and submits it."""
    await harness.slack.slash(demo.MAYA, "/hero", f"new {title}")
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")
    await run_checklist(harness, demo.MAYA, answers)
    await press(harness, demo.MAYA, live_prompt(harness, demo.MAYA), "Submit for IT review")
