"""The checklist loader: the bundled default, and every refusal naming its line and reason in one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from bot.risk.checklist import AnswerType, ChecklistError, default_checklist, parse_checklist
from bot.risk.flow import applicable, score

VALID = """\
title: Small check
levels: {medium: 2, high: 4}
questions:
  - id: data
    text: Will you handle personal data?
    why: Because it is regulated.
    type: yes_no
    answers:
      - {value: yes, weight: 2, mitigation: Keep it private.}
      - {value: no}
  - id: where
    text: Where will it be kept?
    why: Copies leak.
    type: choice
    when: {data: yes}
    answers:
      - {value: crm, label: In the CRM}
      - {value: sheet, label: In a spreadsheet, weight: 3, mitigation: Use the CRM.}
"""


def refused(text: str) -> ChecklistError:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(textwrap.dedent(text), "org.yaml")
    message = str(caught.value)
    assert "\n" not in message, "the refusal is one line"
    assert message.startswith("HERO_CHECKLIST_PATH: org.yaml")
    return caught.value


def with_question(extra: str) -> str:
    return VALID + textwrap.indent(textwrap.dedent(extra), "  ")


def test_the_bundled_checklist_is_a_real_it_teams_checklist() -> None:
    checklist = default_checklist()
    assert 10 <= len(checklist.questions) <= 15
    assert {q.type for q in checklist.questions} == set(AnswerType)
    assert sum(1 for q in checklist.questions if q.when) >= 3  # branching
    for question in checklist.questions:
        assert len(question.why) > 40, f"{question.id} explains why IT asks"
        for answer in question.answers:
            if answer.risky:
                assert answer.mitigation, f"{question.id}={answer.value} is risky but advises nothing"
    topics = " ".join(q.text.lower() for q in checklist.questions)
    for topic in ("personal data", "two-factor", "post", "legal", "archived", "guidelines", "tool", "crisis"):
        assert topic in topics
    levels = checklist.levels
    assert 0 < levels.medium < levels.high
    # one missing basic (no 2FA) is already medium; a careless project is high
    assert score(checklist, {"two_factor": "no", "shared_login": "yes"}).level == "medium"
    assert len(applicable(checklist, {})) == 11


def test_a_valid_file_with_bare_yes_and_no_loads() -> None:
    checklist = parse_checklist(VALID)
    data = checklist.question("data")
    assert data is not None and [a.value for a in data.answers] == ["yes", "no"]
    assert [a.label for a in data.answers] == ["Yes", "No"]
    assert checklist.questions[1].when == {"data": "yes"}


def test_the_digest_follows_the_content_not_the_layout() -> None:
    same = parse_checklist("# a comment\n" + VALID.replace("{medium: 2, high: 4}", "\n  medium: 2\n  high: 4"))
    assert same.digest == parse_checklist(VALID).digest
    assert parse_checklist(VALID.replace("weight: 3", "weight: 4")).digest != same.digest


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            with_question("- {id: extra, text: T, why: W, type: dropdown}\n"),
            19,
            "question 3 ('extra'): unknown answer type `dropdown`; use yes_no, choice, multi_choice or text",
        ),
        (
            VALID.replace("when: {data: yes}", "when: {later: yes}")
            + "  - {id: later, text: T, why: W, type: yes_no, answers: [{value: yes}, {value: no}]}\n",
            15,
            "`when:` names `later`, a later question; a question can only depend on earlier answers",
        ),
        (VALID.replace("when: {data: yes}", "when: {nothing: yes}"), 15, "`nothing`, which is not a question"),
        (VALID.replace("when: {data: yes}", "when: {where: crm}"), 15, "this question itself"),
        (VALID.replace("when: {data: yes}", "when: {data: maybe}"), 15, "`data` has no answer `maybe`"),
        (with_question("- {id: where, text: T, why: W, type: text}\n"), 19, "question id `where` is already used"),
        (VALID.replace("    text: Where will it be kept?\n", ""), 11, "question 2 ('where'): `text` is missing"),
        (VALID.replace("    why: Because it is regulated.\n", ""), 4, "`why` is missing"),
        (
            VALID.replace("type: choice", "type: choice\n    tpye: choice"),
            15,
            "unknown field `tpye`; did you mean `type`?",
        ),
        (VALID.replace("levels: {medium: 2, high: 4}", "levels: {medium: 2, high: 4"), 3, "not valid YAML"),
        (
            VALID.replace("    why: Copies leak.\n", "    why: Copies leak.\n    why: Again.\n"),
            14,
            "`why` is given twice",
        ),
        (VALID.replace("- {value: no}", "- {value: maybe}"), 8, "exactly two answers, with values yes and no"),
        (VALID.replace("      - {value: crm, label: In the CRM}\n", ""), 16, "at least two answers"),
        (with_question("- {id: note, text: T, why: W, type: text, answers: [{value: a}]}\n"), 19, "takes no `answers`"),
        (VALID.replace("{medium: 2, high: 4}", "{medium: 4, high: 4}"), 2, "`high` must be greater than `medium`"),
        (VALID.replace("weight: 3", "weight: -1"), 18, "greater than or equal to 0"),
        (
            VALID.replace("{value: crm, label: In the CRM}", "{value: crm, label: In the CRM, exclusive: true}"),
            17,
            "only applies to multi_choice",
        ),
        (with_question("- {id: Bad-Id, text: T, why: W, type: text}\n"), 19, "must be lower-case letters"),
        ("", 1, "the file is empty"),
        ("- just\n- a list\n", 1, "expected a mapping"),
    ],
)
def test_each_mistake_is_refused_with_its_line_and_reason(text: str, line: int, reason: str) -> None:
    error = refused(text)
    assert error.line == line, str(error)
    assert reason in error.reason, str(error)
    assert f"org.yaml, line {line}: " in str(error)


def test_a_condition_on_free_text_is_refused() -> None:
    text = VALID.replace(
        "type: yes_no\n    answers:\n      - {value: yes, weight: 2, mitigation: Keep it private.}\n      - {value: no}\n",
        "type: text\n",
    )
    error = refused(text)
    assert error.line == 12 and "a free-text question" in error.reason


def test_too_many_questions_are_refused() -> None:
    questions = "".join(f"  - {{id: q{i}, text: T, why: W, type: text}}\n" for i in range(41))
    error = refused("levels: {medium: 1, high: 2}\nquestions:\n" + questions)
    assert error.line == 2 and "at most 40" in error.reason


def test_start_up_refuses_a_bad_checklist_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "checklist.yaml"
    bad.write_text(VALID.replace("type: choice", "type: dropdown"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HERO_CHECKLIST_PATH", str(bad))
    status = main(["serve"], register=lambda *args: None)
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"herobot: configuration error: HERO_CHECKLIST_PATH: {bad}, line 14: "
        "question 2 ('where'): unknown answer type `dropdown`; use yes_no, choice, multi_choice or text"
    )


def test_start_up_accepts_an_organisations_own_checklist(tmp_path: Path) -> None:
    from bot.risk.checklist import load_checklist
    from bot.settings import load_settings

    good = tmp_path / "ours.yaml"
    good.write_text(VALID, encoding="utf-8")
    checklist = load_checklist(load_settings(hero_checklist_path=str(good), _env_file=None))
    assert checklist.title == "Small check" and len(checklist.questions) == 2
