"""Every risk Block Kit builder stays within Slack's limits, even with the longest checklist allowed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.risk import flow, notices
from bot.risk import review_views as rv
from bot.risk import views as v
from bot.risk.checklist import AnswerType, Checklist, default_checklist
from bot.risk.conversation import Conversation
from bot.risk.review import AnswerChange, AssessmentPage, Decision, HomeRisk, ListedAssessment, Review
from storage.models import Project, RiskAssessment, RiskReviewCard
from tests.blockkit import check_message, check_view

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def longest_checklist() -> Checklist:
    """40 questions at every length limit; every answer risky; choices at their maximum count."""
    questions = []
    for index in range(40):
        kind = [AnswerType.CHOICE, AnswerType.MULTI_CHOICE, AnswerType.YES_NO, AnswerType.TEXT][index % 4]
        count = {AnswerType.CHOICE: 20, AnswerType.MULTI_CHOICE: 10, AnswerType.YES_NO: 2, AnswerType.TEXT: 0}[kind]
        values = ["yes", "no"] if kind == AnswerType.YES_NO else [f"answer_{i:02d}_{'x' * 28}" for i in range(count)]
        questions.append(
            {
                "id": f"q{index:02d}_{'x' * 35}",
                "text": "Q" * 500,
                "why": "W" * 1000,
                "type": kind.value,
                "answers": [
                    {"value": value, "label": "L" * 75, "weight": 999.5, "mitigation": "M<&>" * 250} for value in values
                ],
            }
        )
    return Checklist.model_validate(
        {"title": "T" * 100, "version": "9" * 40, "levels": {"medium": 1, "high": 2}, "questions": questions}
    )


def all_answers(checklist: Checklist) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in checklist.questions:
        if question.type == AnswerType.TEXT:
            answers[question.id] = "A" * 2000
        elif question.type == AnswerType.MULTI_CHOICE:
            answers[question.id] = [a.value for a in question.answers]
        else:
            answers[question.id] = question.answers[0].value
    return answers


def project(number: int = 123456789) -> Project:
    return Project(
        id=number,
        team_id="T0HERO",
        title="P" * 200,
        problem="<problem>" * 400,
        network="twitter",
        owner_id="U0MAYA",
        stage="active",
        members=[],
    )


def assessment(
    checklist: Checklist, answers: dict[str, Any], *, status: str = "in_progress", **extra: Any
) -> RiskAssessment:
    values: dict[str, Any] = {
        "id": 987654321,
        "team_id": "T0HERO",
        "project_id": 123456789,
        "hero_id": "U0MAYA",
        "checklist_digest": checklist.digest,
        "status": status,
        "answers": answers,
        "cursor": None,
        "editing": False,
        "step": 123456,
        "submitted_at": WHEN,
        "previous_id": 987654320,
    }
    values.update(extra)
    return RiskAssessment(**values)


CHECKLISTS = [pytest.param(default_checklist(), id="default"), pytest.param(longest_checklist(), id="longest")]


@pytest.mark.parametrize("checklist", CHECKLISTS)
def test_every_question_prompt_answer_and_modal_fits(checklist: Checklist) -> None:
    answers = all_answers(checklist)
    for question in checklist.questions:
        for given in ({}, answers):
            conversation = Conversation(assessment(checklist, given, cursor=question.id), checklist, project())
            if question.id not in {q.id for q in flow.applicable(checklist, given)}:
                continue
            message = v.question_message(conversation)
            check_message(message)
            assert "Why we ask:" in message["blocks"][2]["elements"][0]["text"]
            if question.type in (AnswerType.MULTI_CHOICE, AnswerType.TEXT):
                check_view(v.answer_modal(conversation, "D0MAYA", "1700000000.000001"))
        value = answers[question.id]
        check_message(v.answered_message(flow.Progress(40, 40), question, value))
        check_message(notices.retired_prompt(question, "Resumed below."))


@pytest.mark.parametrize("checklist", CHECKLISTS)
def test_summary_review_card_and_details_fit_with_every_answer_risky(checklist: Checklist) -> None:
    answers = all_answers(checklist)
    current = assessment(checklist, answers, level="high", score=1.0)
    conversation = Conversation(current, checklist, project())
    summary = v.summary_message(conversation)
    check_message(summary)
    texts = str(summary["blocks"])
    assert "Submit for IT review" in texts and "Change answers" in texts  # the way on is never cut off
    check_message(v.summary_message(conversation, submitted_note="Submitted " * 200))

    previous = assessment(
        checklist,
        {},
        status="changes_requested",
        id=987654320,
        decided_by="U0INGRID",
        decided_at=WHEN,
        decision_comment="C<>" * 700,
    )
    changes = [AnswerChange(q, "B" * 300, "A" * 2000) for q in checklist.questions]
    card = RiskReviewCard(channel_id="C0ITREVIEW", message_ts="1700000000.000001")
    review = Review(current, checklist, project(), previous, [card], changes)
    pending = rv.review_card(review, previous_link="https://hero-demo.slack.com/archives/C0ITREVIEW/p1700000000000001")
    check_message(pending)
    assert "risk_approve" in str(pending["blocks"])
    for status in ("approved", "changes_requested", "rejected"):
        decided = assessment(
            checklist, answers, status=status, decided_by="U0INGRID", decided_at=WHEN, decision_comment="D" * 2000
        )
        decided_review = Review(decided, checklist, project(), previous, [card], changes)
        check_message(rv.review_card(decided_review))
        check_message(rv.decision_for_hero(decided_review))
        check_message(rv.detail_message(decided_review, can_decide=False))
        check_view(rv.detail_modal(decided_review, can_decide=False))
    check_view(rv.detail_modal(review, can_decide=True))
    for decision in Decision:
        check_view(rv.decision_modal(review, decision, view_id="V" * 20))


def test_lists_home_and_notices_fit() -> None:
    checklist = default_checklist()
    rows = [
        ListedAssessment(assessment(checklist, {}, status="pending", id=i, level="medium"), project(i), "x" * 200)
        for i in range(1, 41)
    ]
    for name in ("mine", "pending"):
        check_message(rv.assessment_list(AssessmentPage(name, rows, 400)))
        check_message(rv.assessment_list(AssessmentPage(name, [], 0)))
    projects: list[tuple[Project, ListedAssessment | None]] = [(project(i), None) for i in range(5)]
    projects += [(row.project, row) for row in rows[:10]]
    home = rv.home_section(HomeRisk("U0MAYA", projects, rows[:10], 400))
    check_view({"type": "home", "blocks": home})
    assert len(home) <= 40  # leaves room for the other domains' sections
    check_view({"type": "home", "blocks": rv.home_section(HomeRisk("U0MAYA", [], None))})
    conversation = Conversation(assessment(checklist, {}, cursor="account"), checklist, project())
    for message in (
        notices.usage(),
        notices.usage("I don't know `/risk x`."),
        v.intro_message(conversation),
        v.revision_intro(conversation, assessment(checklist, {}, decided_by="U0INGRID", decision_comment="c" * 2000)),
        notices.paused_message(conversation),
        notices.stale_notice("That button is old.", 5, 7),
        notices.replace_approved_prompt(5, 7, "x" * 2900),
        notices.started_notice(conversation, resumed=True, link="https://x.slack.com/archives/D1/p1"),
        notices.started_notice(conversation, resumed=False, link=None),
    ):
        check_message(message)
    check_view(rv.notice_modal("n" * 3000))


def test_user_text_cannot_forge_mentions_or_links() -> None:
    checklist = default_checklist()
    answers = {"crisis_plan": "yes", "crisis_contact": "<!channel> call <@U0SAM> at <https://evil.example|x>"}
    conversation = Conversation(assessment(checklist, answers), checklist, project())
    rendered = str(v.summary_message(conversation)["blocks"])
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
