"""Hostile and malformed /hero texts: every one gets a short ephemeral answer, none a 500 or a traceback."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from bot.console import demo
from bot.console.surfaces import texts
from storage.models import Project
from tests.conftest import Harness

FRAGMENTS = [
    "new",
    "list",
    "show",
    "update",
    "stage",
    "stats",
    "compact",
    "help",
    "HERO-1",
    "HERO-0",
    "HERO-999999999999",
    "COMP-3",
    "1",
    "-1",
    "99999999999999999999",
    "active",
    "launched",
    "retired",
    "mine",
    "all",
    "tag:x",
    "<@U0SAM>",
    "<@U0SAM|sam>",
    "<!channel>",
    "<!here>",
    "<#C0GENERAL|general>",
    "*bold*",
    "_it_",
    "`code`",
    "'; DROP TABLE projects; --",
    '" OR 1=1 --',
    "%s%s%n",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\u202e",
    "\ufeff",
    "😀",
    "👩‍👩‍👧‍👦",
    "Ω≈ç√",
    "ｈｅｒｏ",
    "𝕳𝕰𝕽𝕺",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "&amp;",
    "&lt;",
]


def hostile_texts(count: int, seed: int = 20261123) -> list[str]:
    rng = random.Random(seed)
    texts_: list[str] = ["", " ", "x" * 10_000, "new " + "y" * 10_000, "update HERO-1 " + "z" * 10_000]
    while len(texts_) < count:
        words = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.1:
            words.append(rng.choice(["é", "ß", "\t"]) * rng.randint(1, 3000))
        texts_.append(rng.choice([" ", "  ", "\t"]).join(words))
    return texts_


async def test_two_hundred_hostile_texts_each_get_an_answer(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    for text in hostile_texts(200):
        before_ephemerals = len(harness.fake.ephemerals)
        before_modals = sum(1 for call in harness.fake.calls if call.method == "views.open")
        reply = await harness.slack.slash(demo.LEO, "/hero", text)
        assert reply.status == 200, (text[:80], reply.status)
        answered = len(harness.fake.ephemerals) > before_ephemerals
        opened_modal = sum(1 for call in harness.fake.calls if call.method == "views.open") > before_modals
        assert answered or opened_modal, f"no answer to {text[:80]!r}"
        if answered:
            shown = harness.fake.ephemerals[-1]
            assert shown.user == demo.LEO
            body = shown.text + texts(shown.blocks)
            assert "Traceback" not in body and "Error" not in body.split(":")[0]
    assert not harness.fake.problems
    async with harness.database.unit_of_work() as session:
        titles = (await session.scalars(select(Project.title))).all()
        owners = await session.scalar(select(func.count()).select_from(Project).where(Project.owner_id == demo.LEO))
    assert all(len(title) <= 150 for title in titles)
    assert owners == len(titles) - 1  # Leo's one-line "new …" texts logged projects; Maya's stays hers


async def test_control_characters_are_dropped_before_storing(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund\x00 tweets\x1b[31m")
    await harness.slack.slash(demo.MAYA, "/hero", "update HERO-1 nul\x00 byte")
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project.title))).one() == "Refund tweets[31m"
