"""The risk check as a HERO lives it: a conversation in the DM, one question at a time, that survives
restarts and pauses and never lets an old button change anything."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console import demo
from bot.console.surfaces import find_element, texts
from storage.models import AuditEvent, RiskAssessment
from storage.repositories.risk import RiskRepository
from tests.conftest import Harness
from tests.integration.risk_helpers import (
    LOW_RISK,
    RISKY,
    answer_current,
    assessment,
    dm,
    is_summary,
    last_ephemeral,
    live_prompt,
    press,
    question_of,
    run_checklist,
    shown,
)

BASE_QUESTIONS = [
    "account",
    "shared_login",
    "two_factor",
    "who_posts",
    "personal_data",
    "legal_threats",
    "records",
    "guidelines",
    "tools",
    "hours",
    "crisis_plan",
]


async def start(harness: Harness, user: str = demo.MAYA) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(user, "/risk", "start HERO-1")


async def test_start_opens_the_conversation_in_the_dm(harness: Harness) -> None:
    await start(harness)
    notice = last_ephemeral(harness, demo.MAYA)
    assert "I've started *RISK-1* for *HERO-1: Refund tweets*" in notice
    assert "<slack://app?team=T0HERO&id=A0HEROBOT&tab=messages|open our DM>" in notice
    messages = dm(harness, demo.MAYA)
    assert len(messages) == 2
    intro, question = messages
    assert "why we ask" in shown(intro) and "Submit for IT review" in shown(intro)
    assert "Question 1 of 11" in shown(question)
    assert "Why we ask:" in shown(question)
    assert "Which account will you answer customers from?" in shown(question)
    find_element(question.blocks, "Pause")
    try:
        find_element(question.blocks, "Back")
        raise AssertionError("the first question has nothing to go back to")
    except LookupError:
        pass
    stored = await assessment(harness)
    assert (stored.status, stored.cursor, stored.hero_id) == ("in_progress", "account", demo.MAYA)
    assert stored.prompt_ts == question.ts


async def test_full_run_with_branching_counts_only_questions_that_apply(harness: Harness) -> None:
    await start(harness)
    asked_low = await run_checklist(harness, demo.MAYA, LOW_RISK)
    assert asked_low == BASE_QUESTIONS  # no follow-ups: personal data, new tools and crisis plan all say no
    summary = live_prompt(harness, demo.MAYA)
    assert "Low" in shown(summary) and "Score*\n3" in shown(summary)

    await harness.slack.slash(demo.LEO, "/hero", "new Instagram care")
    await harness.slack.slash(demo.LEO, "/risk", "start HERO-2")
    asked = await run_checklist(harness, demo.LEO, RISKY)
    assert asked == [
        "account",
        "shared_login",
        "two_factor",
        "who_posts",
        "personal_data",
        "data_kept",
        "sensitive_data",
        "legal_threats",
        "records",
        "guidelines",
        "tools",
        "vendor_data",
        "hours",
        "crisis_plan",
        "crisis_contact",
    ]
    answered = [m for m in dm(harness, demo.LEO) if m.edited]
    # each answered question keeps its text and shows the answer, its buttons gone
    two_factor = next(m for m in answered if "two-factor" in m.text)
    assert "Question 3 of 11" in shown(two_factor) and ":white_check_mark: No" in shown(two_factor)
    assert "IT's advice* (+4 risk)" in shown(two_factor)
    assert not any(b["type"] == "actions" for b in two_factor.blocks)
    # the total grows as answers open follow-ups, and only counts questions that apply
    kept = next(m for m in answered if "Where will that personal data be kept" in m.text)
    assert "Question 6 of 13" in shown(kept)
    contact = next(m for m in answered if "first person you call" in m.text)
    assert "Question 15 of 15" in shown(contact) and "Ana in Communications" in shown(contact)
    summary = live_prompt(harness, demo.LEO)
    text = shown(summary)
    assert is_summary(summary)
    assert ":red_circle: High" in text and "Score*\n17 (medium from 5, high from 12)" in text
    assert "Mitigations to plan* (6)" in text
    assert "Turn on 2FA before launch" in text and "Never take card or bank details" in text
    assert "Ana in Communications" in text  # the other answers are listed too
    find_element(summary.blocks, "Change answers")


async def test_restart_in_the_middle_resumes_at_the_same_question(harness: Harness) -> None:
    await start(harness)
    for _ in range(4):
        await answer_current(harness, demo.MAYA, LOW_RISK)
    before = live_prompt(harness, demo.MAYA)
    assert question_of(before) == "personal_data" and "Question 5 of 11" in shown(before)

    await harness.restart()

    # nothing lived only in memory: the question's buttons still work after the restart…
    await answer_current(harness, demo.MAYA, LOW_RISK)
    assert question_of(live_prompt(harness, demo.MAYA)) == "legal_threats"
    # …and /risk resume posts the same question again, retiring the older message's buttons
    await harness.restart()
    older = live_prompt(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "resume")
    assert "question 6 of 11" in last_ephemeral(harness, demo.MAYA)
    again = live_prompt(harness, demo.MAYA)
    assert again.ts != older.ts and question_of(again) == "legal_threats"
    assert "Resumed below" in shown(older) and older.edited
    assert set((await assessment(harness)).answers) == set(BASE_QUESTIONS[:5])
    await run_checklist(harness, demo.MAYA, LOW_RISK)
    assert is_summary(live_prompt(harness, demo.MAYA))


async def test_stale_and_doubled_clicks_change_nothing_and_answer_politely(harness: Harness) -> None:
    await start(harness)
    await answer_current(harness, demo.MAYA, LOW_RISK)
    second = live_prompt(harness, demo.MAYA)
    as_first_drawn = copy.deepcopy(second)  # what a second device still shows after the answer
    assert not any(b["type"] == "actions" for b in dm(harness, demo.MAYA)[1].blocks), "answered: no buttons"
    await press(harness, demo.MAYA, second, "Yes")
    await press(harness, demo.MAYA, as_first_drawn, "No")
    notice = last_ephemeral(harness, demo.MAYA)
    assert "earlier point of RISK-1, so it changed nothing" in notice and "question 3 of 11" in notice
    assert "Show where I am" in notice
    stored = await assessment(harness)
    assert stored.answers == {"account": "brand", "shared_login": "yes"} and stored.cursor == "two_factor"
    # "Show where I am" posts the live question again
    notice_message = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    block_id, element = find_element(notice_message.blocks, "Show where I am")
    await harness.slack.act_on_ephemeral(demo.MAYA, harness.fake.dm_channel(demo.MAYA), element, block_id)
    assert question_of(live_prompt(harness, demo.MAYA)) == "two_factor"


async def test_back_and_pause_then_resume_from_the_paused_message_and_the_home_tab(harness: Harness) -> None:
    await start(harness)
    for _ in range(3):
        await answer_current(harness, demo.MAYA, LOW_RISK)
    prompt = live_prompt(harness, demo.MAYA)
    await press(harness, demo.MAYA, prompt, "Back")
    assert "You went back to question 3 of 11" in shown(prompt)
    back = live_prompt(harness, demo.MAYA)
    assert question_of(back) == "two_factor" and "Your answer so far: *Yes*" in shown(back)
    await press(harness, demo.MAYA, back, "Pause")
    assert "Paused at question 3 of 11" in shown(back) and "/risk resume" in shown(back)
    await press(harness, demo.MAYA, back, "Resume")
    resumed = live_prompt(harness, demo.MAYA)
    assert resumed.ts != back.ts and question_of(resumed) == "two_factor"
    assert "Resumed below" in shown(back)

    await press(harness, demo.MAYA, resumed, "Pause")
    await harness.slack.open_home(demo.MAYA)
    home = harness.fake.homes[demo.MAYA].view
    assert "RISK-1 in progress, at question 3 of 11" in texts(home["blocks"])
    block_id, element = find_element(home["blocks"], "Resume")
    await harness.slack.act(demo.MAYA, element, block_id, view=harness.fake.homes[demo.MAYA])
    assert question_of(live_prompt(harness, demo.MAYA)) == "two_factor"
    actions = {e.action for e in await audit(harness)}
    assert {"started", "answered", "paused", "resumed"} <= actions


async def audit(harness: Harness) -> list[AuditEvent]:
    async with harness.database.unit_of_work() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "risk_assessment")))


async def test_change_one_answer_from_the_summary_opens_follow_ups_then_returns(harness: Harness) -> None:
    await start(harness)
    await run_checklist(harness, demo.MAYA, LOW_RISK)
    summary = live_prompt(harness, demo.MAYA)
    block_id, select = find_element(summary.blocks, "Change one answer…")
    option = next(o for o in select["options"] if o["text"]["text"].startswith("Which tools"))
    await harness.slack.act(demo.MAYA, select, block_id, message=summary, selected=option["value"])
    assert "Changing “Which tools" in shown(summary)
    tools = live_prompt(harness, demo.MAYA)
    assert question_of(tools) == "tools" and "Your answer so far: *Tools on IT's approved list*" in shown(tools)
    await press(harness, demo.MAYA, tools, "A tool or vendor that isn't approved yet")
    follow_up = live_prompt(harness, demo.MAYA)
    assert question_of(follow_up) == "vendor_data"  # the new answer opened a follow-up
    await press(harness, demo.MAYA, follow_up, "No")
    summary = live_prompt(harness, demo.MAYA)
    assert is_summary(summary) and "Score*\n5" in shown(summary) and "Medium" in shown(summary)


async def test_only_the_team_starts_and_only_the_hero_answers(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.INGRID, "/risk", "start HERO-1")
    assert "Only the owner <@U0MAYA> or a team member of HERO-1" in last_ephemeral(harness, demo.INGRID)
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")
    prompt = live_prompt(harness, demo.MAYA)
    await press(harness, demo.LEO, prompt, "My own personal account")  # a forged click from Leo
    assert "RISK-1 is <@U0MAYA>'s risk check: only they can answer it" in last_ephemeral(harness, demo.LEO)
    assert (await assessment(harness)).answers == {}
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-1")  # again: picks up the one under way
    assert "You already have *RISK-1* under way" in last_ephemeral(harness, demo.MAYA)
    async with harness.database.unit_of_work() as session:
        assert len((await session.scalars(select(RiskAssessment))).all()) == 1


async def test_commands_help_usage_and_empty_states(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/risk", "help")
    assert "/risk start HERO-12" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "approve everything")
    assert "I don't know `/risk approve`" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "start")
    assert "Name the project, e.g. `/risk start HERO-12`" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "start COMP-3")
    assert "Name the project" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "start HERO-9")
    assert "There is no project HERO-9" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "resume")
    assert "You have no risk check in progress" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "list")
    assert "You haven't run a risk check yet" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "list everything")
    assert "`everything` is not a list I know" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "show RISK-4")
    assert "There is no risk check RISK-4" in last_ephemeral(harness, demo.MAYA)
    assert harness.fake.messages.get(demo.GENERAL) is None


ORGANISATION_CHECKLIST = """\
title: Our own check
levels: {medium: 1, high: 2}
questions:
  - id: vpn
    text: Will you work from outside the office network?
    why: Customer data must not travel over open wifi.
    type: yes_no
    answers:
      - {value: yes, weight: 1, mitigation: Use the company VPN.}
      - {value: no}
"""


async def test_a_changed_checklist_file_leaves_checks_under_way_untouched(harness: Harness, tmp_path: Path) -> None:
    await start(harness)
    for _ in range(3):
        await answer_current(harness, demo.MAYA, LOW_RISK)
    ours = tmp_path / "ours.yaml"
    ours.write_text(ORGANISATION_CHECKLIST, encoding="utf-8")

    await harness.restart(hero_checklist_path=ours)

    await harness.slack.slash(demo.MAYA, "/risk", "resume")
    resumed = live_prompt(harness, demo.MAYA)
    assert question_of(resumed) == "who_posts" and "Question 4 of 11" in shown(resumed)
    await run_checklist(harness, demo.MAYA, LOW_RISK)
    assert "Social customer service risk check" in shown(live_prompt(harness, demo.MAYA))
    # a check started now follows the organisation's file
    await harness.slack.slash(demo.LEO, "/hero", "new Remote care")
    await harness.slack.slash(demo.LEO, "/risk", "start HERO-2")
    first = live_prompt(harness, demo.LEO)
    assert question_of(first) == "vpn" and "Question 1 of 1" in shown(first)
    await press(harness, demo.LEO, first, "Yes")
    assert "Our own check" in shown(live_prompt(harness, demo.LEO))
    assert (await assessment(harness, 1)).checklist_digest != (await assessment(harness, 2)).checklist_digest


async def test_an_optional_free_text_question_can_be_skipped_and_resume_names_a_check(harness: Harness) -> None:
    await start(harness)
    answers = {**LOW_RISK, "crisis_plan": "Yes"}
    for _ in range(len(BASE_QUESTIONS)):
        await answer_current(harness, demo.MAYA, answers)
    contact = live_prompt(harness, demo.MAYA)
    assert question_of(contact) == "crisis_contact"
    await press(harness, demo.MAYA, contact, "Pause")
    await harness.slack.slash(demo.MAYA, "/risk", "resume RISK-1")
    assert "question 12 of 12" in last_ephemeral(harness, demo.MAYA)
    await press(harness, demo.MAYA, live_prompt(harness, demo.MAYA), "Skip this one")
    summary = live_prompt(harness, demo.MAYA)
    assert "— *(left blank)*" in shown(summary) and "No risky answers" in shown(summary)
    await harness.slack.slash(demo.MAYA, "/risk", "resume RISK-7")
    assert "There is no risk check RISK-7" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/risk", "resume HERO-1")
    assert "Name the risk check" in last_ephemeral(harness, demo.MAYA)


async def test_two_people_starting_at_the_same_moment_get_one_check(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start(harness)

    async def nothing_yet(self: RiskRepository, team_id: str, project_id: int) -> None:
        return None  # as seen by a second request that read before the first one's insert

    monkeypatch.setattr(RiskRepository, "latest_for_project", nothing_yet)
    await harness.slack.slash(demo.SAM, "/risk", "start HERO-1")
    assert "started its risk check a moment ago" in last_ephemeral(harness, demo.SAM)
    async with harness.database.unit_of_work() as session:
        assert len((await session.scalars(select(RiskAssessment))).all()) == 1
    assert dm(harness, demo.SAM) == []
