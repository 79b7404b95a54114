"""Slack calls per user action: each action done once, alone, and every Web API call it causes counted.

Slack rate-limits per method and workspace (chat.postMessage about one a second per channel), so what
one click costs decides how many people the bot can serve before it is throttled. Acks and replies in
the ack are free; a reply to a response_url is not a Web API call and is listed apart.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.loadgen import RESPONSE_URL, settled
from bench.scenarios import SCENARIOS
from bot.console import demo
from bot.console.emulator import Emulator
from bot.console.fake_slack import FakeSlack, Message
from bot.console.surfaces import interactive_elements

# An index the load never used (the View click's project is picked by index).
FRESH_INDEX = 1_000_000
ANSWER_BUTTON = re.compile(r"^risk_answer_\d+$")


@dataclass
class ActionCost:
    action: str
    calls: Counter[str]

    @property
    def web_api(self) -> int:
        return sum(n for method, n in self.calls.items() if method != RESPONSE_URL)

    def breakdown(self) -> str:
        parts = [f"{method} x{n}" for method, n in sorted(self.calls.items()) if method != RESPONSE_URL]
        if self.calls[RESPONSE_URL]:
            parts.append(f"(+{self.calls[RESPONSE_URL]} response_url)")
        return ", ".join(parts) or "none"


async def cost_of(fake: FakeSlack, name: str, act: Callable[[], Awaitable[object]]) -> ActionCost:
    before = len(fake.calls)
    await act()
    await settled(fake, time.perf_counter())
    return ActionCost(name, Counter(call.method for call in fake.calls[before:]))


def live_prompt(fake: FakeSlack, user: str) -> Message | None:
    """The newest message in the person's DM with the bot that still has buttons."""
    for message in reversed(fake.messages.get(fake.dm_channel(user), [])):
        if any(True for _ in interactive_elements(message.blocks)):
            return message
    return None


async def answer_risk_question(fake: FakeSlack, emulator: Emulator) -> object:
    prompt = live_prompt(fake, demo.MAYA)
    if prompt is None:
        raise RuntimeError("no risk question in the HERO's DM")
    for block_id, element in interactive_elements(prompt.blocks):
        if ANSWER_BUTTON.match(element.get("action_id", "")):
            return await emulator.act(demo.MAYA, element, block_id, message=prompt)
    raise RuntimeError("the live risk prompt has no answer button")


async def action_costs(fake: FakeSlack, emulator: Emulator, project_id: int) -> list[ActionCost]:
    """Run after the load (the directory cache is warm, as it is in use): one of each action."""
    await settled(fake, time.perf_counter())  # what the load still had to do is not these actions'
    costs: list[ActionCost] = []
    for scenario in SCENARIOS:
        if scenario.missing() is None:
            costs.append(await cost_of(fake, scenario.name, lambda s=scenario: s.action(emulator, FRESH_INDEX)))  # type: ignore[misc]
    costs.append(
        await cost_of(
            fake,
            "/risk start HERO-n",
            lambda: emulator.slash(demo.MAYA, "/risk", f"start HERO-{project_id}", channel=demo.GENERAL),
        )
    )
    costs.append(await cost_of(fake, "click: risk question answer", lambda: answer_risk_question(fake, emulator)))
    # Hook: the council digest post joins here once councils land (see bench/digest.py).
    return costs
