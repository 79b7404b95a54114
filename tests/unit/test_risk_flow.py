"""The conversation's rules: branching, progress, next and back, answers, scoring and levels."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.risk import flow
from bot.risk.checklist import AnswerType, Checklist, Levels, default_checklist, parse_checklist

CHAIN = parse_checklist(
    """
levels: {medium: 3, high: 6}
questions:
  - {id: a, text: "A?", why: W, type: yes_no, answers: [{value: yes, weight: 1}, {value: no}]}
  - {id: b, text: "B?", why: W, type: yes_no, when: {a: yes}, answers: [{value: yes, weight: 2}, {value: no}]}
  - {id: c, text: "C?", why: W, type: text, when: {b: yes}}
  - id: d
    text: "D?"
    why: W
    type: multi_choice
    answers: [{value: x, weight: 1}, {value: y, weight: 3}, {value: none, exclusive: true}]
  - {id: e, text: "E?", why: W, type: choice, when: {d: [y, x]}, answers: [{value: p}, {value: q, weight: 5}]}
  - {id: f, text: "F?", why: W, type: text, optional: true}
"""
)


def ids(questions: list[Any]) -> list[str]:
    return [q.id for q in questions]


def test_a_question_applies_only_when_its_conditions_hold_on_questions_that_apply() -> None:
    assert ids(flow.applicable(CHAIN, {})) == ["a", "d", "f"]
    assert ids(flow.applicable(CHAIN, {"a": "yes"})) == ["a", "b", "d", "f"]
    assert ids(flow.applicable(CHAIN, {"a": "yes", "b": "yes"})) == ["a", "b", "c", "d", "f"]
    # changing the first answer drops the follow-up and the follow-up's follow-up, answers kept or not
    stale = {"a": "no", "b": "yes", "c": "kept text"}
    assert ids(flow.applicable(CHAIN, stale)) == ["a", "d", "f"]
    assert flow.effective_answers(CHAIN, stale) == {"a": "no"}
    assert flow.score(CHAIN, stale).total == 0


def test_a_list_condition_or_a_multiple_choice_matches_on_any_pick() -> None:
    assert "e" in ids(flow.applicable(CHAIN, {"d": ["x"]}))
    assert "e" in ids(flow.applicable(CHAIN, {"d": ["none", "y"]}))
    assert "e" not in ids(flow.applicable(CHAIN, {"d": ["none"]}))


def test_progress_counts_only_the_questions_that_apply_and_grows_with_follow_ups() -> None:
    checklist = default_checklist()
    assert str(flow.progress(checklist, {}, "who_posts")) == "question 4 of 11"
    answers = {
        "account": "brand",
        "shared_login": "no",
        "two_factor": "yes",
        "who_posts": "team",
        "personal_data": "yes",
    }
    assert str(flow.progress(checklist, answers, "data_kept")) == "question 6 of 13"
    assert str(flow.progress(checklist, {**answers, "personal_data": "no"}, "legal_threats")) == "question 6 of 11"


def test_next_walks_forward_and_editing_returns_to_the_summary() -> None:
    answers = {"a": "yes"}
    assert flow.next_question(CHAIN, answers, "a").id == "b"  # type: ignore[union-attr]
    assert flow.next_question(CHAIN, {"a": "no"}, "a").id == "d"  # type: ignore[union-attr]
    assert flow.next_question(CHAIN, {"a": "no", "d": ["none"], "f": ""}, "f") is None
    complete = {"a": "no", "d": ["none"], "f": ""}
    # changing one answer from the summary: back to the summary unless it opened a follow-up
    assert flow.next_question(CHAIN, complete, "d", editing=True) is None
    opened = {**complete, "a": "yes"}
    assert flow.next_question(CHAIN, opened, "a", editing=True).id == "b"  # type: ignore[union-attr]


def test_back_goes_to_the_previous_question_that_applies() -> None:
    assert flow.previous_question(CHAIN, {"a": "no"}, "d").id == "a"  # type: ignore[union-attr]
    assert flow.previous_question(CHAIN, {"a": "yes", "b": "yes"}, "d").id == "c"  # type: ignore[union-attr]
    assert flow.previous_question(CHAIN, {}, "a") is None
    assert flow.previous_question(CHAIN, {"a": "no", "d": ["x"]}, None).id == "f"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("question_id", "raw", "expected"),
    [
        ("a", "yes", "yes"),
        ("d", ["y", "x"], ["x", "y"]),
        ("d", "none", ["none"]),
        ("c", "  the plan  ", "the plan"),
        ("f", "", ""),
    ],
)
def test_answers_are_normalised(question_id: str, raw: Any, expected: Any) -> None:
    question = CHAIN.question(question_id)
    assert question is not None
    assert flow.normalise_answer(question, raw) == expected


@pytest.mark.parametrize(
    ("question_id", "raw", "message"),
    [
        ("a", "maybe", "not one of the choices"),
        ("d", [], "Pick at least one"),
        ("d", ["x", "zzz"], "not one of the choices"),
        ("d", ["none", "x"], "can't be combined"),
        ("c", "   ", "needs one"),
        ("c", "x" * 2001, "under 2000"),
    ],
)
def test_answers_the_question_does_not_offer_are_refused(question_id: str, raw: Any, message: str) -> None:
    question = CHAIN.question(question_id)
    assert question is not None
    with pytest.raises(flow.InvalidAnswer, match=message):
        flow.normalise_answer(question, raw)


def test_the_score_sums_risky_picks_and_lists_them_in_order() -> None:
    result = flow.score(CHAIN, {"a": "yes", "b": "yes", "c": "x", "d": ["x", "y"], "e": "q"})
    assert result.total == 1 + 2 + 1 + 3 + 5
    assert [(r.question.id, [a.value for a in r.picks]) for r in result.risky] == [
        ("a", ["yes"]),
        ("b", ["yes"]),
        ("d", ["x", "y"]),
        ("e", ["q"]),
    ]
    assert result.level == "high"


@pytest.mark.parametrize(
    ("total", "level"), [(0, "low"), (2.9, "low"), (3, "medium"), (5.99, "medium"), (6, "high"), (100, "high")]
)
def test_levels_start_at_their_thresholds(total: float, level: str) -> None:
    assert flow.level_for(total, Levels(medium=3, high=6)) == level


def test_a_revision_keeps_only_answers_that_still_fit() -> None:
    kept = flow.carry_over(CHAIN, {"a": "yes", "gone": "yes", "d": ["x", "removed"], "e": "p"})
    assert kept == {"a": "yes", "e": "p"}


def answer_strategy(checklist: Checklist) -> st.SearchStrategy[dict[str, Any]]:
    """Any answer a person could give to each question of the checklist (some left unanswered)."""

    def one(question: Any) -> st.SearchStrategy[Any]:
        values = [a.value for a in question.answers]
        if question.type == AnswerType.TEXT:
            return st.text(min_size=1, max_size=20).filter(str.strip)
        if question.type == AnswerType.MULTI_CHOICE:
            plain = [a.value for a in question.answers if not a.exclusive]
            return st.lists(st.sampled_from(plain), min_size=1, unique=True).map(
                lambda picked: [v for v in values if v in picked]
            )
        return st.sampled_from(values)

    return st.fixed_dictionaries({}, optional={q.id: one(q) for q in checklist.questions})


@settings(max_examples=200, deadline=None)
@given(answer_strategy(default_checklist()))
def test_properties_of_any_set_of_answers(answers: dict[str, Any]) -> None:
    checklist = default_checklist()
    applying = flow.applicable(checklist, answers)
    # numbering is 1..n over the questions that apply
    numbers = [flow.progress(checklist, answers, q.id) for q in applying]
    assert [p.number for p in numbers] == list(range(1, len(applying) + 1))
    assert {p.total for p in numbers} == {len(applying)}
    # walking forward visits exactly the questions that apply, in order
    walked = [applying[0].id]
    while (following := flow.next_question(checklist, answers, walked[-1])) is not None:
        walked.append(following.id)
    assert walked == ids(applying)
    # the score is the weight of the risky picks among answers that count, and its level follows the thresholds
    result = flow.score(checklist, answers)
    counted = flow.effective_answers(checklist, answers)
    expected = sum(a.weight for q in applying for a in flow.chosen_answers(q, counted.get(q.id)))
    assert result.total == expected
    assert result.level == flow.level_for(expected, checklist.levels)
    assert all(r.question.id in counted for r in result.risky)
    # complete means nothing that applies is left unanswered
    assert flow.is_complete(checklist, answers) == all(q.id in answers for q in applying)
