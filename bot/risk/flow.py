"""The conversation's rules, as pure functions of a checklist and the answers given so far.

Which questions apply (a question applies when its `when:` conditions hold on the answers of earlier
questions that themselves apply), where the conversation goes next or back, how far along it is
(*question 4 of 11*, counting only the questions that apply), and the score and level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.risk.checklist import Answer, AnswerType, Checklist, Level, Levels, Question
from bot.text import clean_text

AnswerValue = str | list[str]
Answers = Mapping[str, AnswerValue]
TEXT_ANSWER_MAX = 2000


class InvalidAnswer(ValueError):
    """An answer the question does not offer; the message is for the person answering."""


def condition_holds(given: AnswerValue | None, expected: str | list[str]) -> bool:
    """`expected` is one answer value or a list of which any will do; a multiple choice matches on any pick."""
    if given is None:
        return False
    wanted = {expected} if isinstance(expected, str) else set(expected)
    chosen = set(given) if isinstance(given, list) else {given}
    return bool(wanted & chosen)


def applicable(checklist: Checklist, answers: Answers) -> list[Question]:
    """The questions that apply, in checklist order.

    Only answers to questions that still apply count, so changing an early answer also drops the
    follow-ups that depended on it (and theirs in turn).
    """
    result: list[Question] = []
    counted: dict[str, AnswerValue] = {}
    for question in checklist.questions:
        if all(condition_holds(counted.get(name), expected) for name, expected in question.when.items()):
            result.append(question)
            if question.id in answers:
                counted[question.id] = answers[question.id]
    return result


def effective_answers(checklist: Checklist, answers: Answers) -> dict[str, AnswerValue]:
    """The answers that count: those of applicable questions, in checklist order."""
    return {q.id: answers[q.id] for q in applicable(checklist, answers) if q.id in answers}


def unanswered(checklist: Checklist, answers: Answers) -> list[Question]:
    return [q for q in applicable(checklist, answers) if q.id not in answers]


def is_complete(checklist: Checklist, answers: Answers) -> bool:
    return not unanswered(checklist, answers)


@dataclass(frozen=True)
class Progress:
    number: int
    total: int

    def __str__(self) -> str:
        return f"question {self.number} of {self.total}"


def progress(checklist: Checklist, answers: Answers, question_id: str) -> Progress:
    """Position among the questions that apply now; the total grows when an answer opens a follow-up."""
    ids = [q.id for q in applicable(checklist, answers)]
    number = ids.index(question_id) + 1 if question_id in ids else len(ids)
    return Progress(number=number, total=len(ids))


def first_question(checklist: Checklist, answers: Answers) -> Question:
    return applicable(checklist, answers)[0]


def next_question(checklist: Checklist, answers: Answers, after: str, *, editing: bool = False) -> Question | None:
    """Where to go once `after` is answered; None means the summary.

    Walking through, that is the next question that applies. When one answer is being changed from
    the summary (`editing`), it is the first question still unanswered — a follow-up the new answer
    opened — and otherwise straight back to the summary.
    """
    questions = applicable(checklist, answers)
    if editing:
        return next((q for q in questions if q.id not in answers), None)
    position = checklist.order_of(after)
    return next((q for q in questions if checklist.order_of(q.id) > position), None)


def previous_question(checklist: Checklist, answers: Answers, before: str | None) -> Question | None:
    """The question that applies just before `before` (before the summary: the last one)."""
    questions = applicable(checklist, answers)
    if before is None:
        return questions[-1] if questions else None
    position = checklist.order_of(before)
    earlier = [q for q in questions if checklist.order_of(q.id) < position]
    return earlier[-1] if earlier else None


def normalise_answer(question: Question, raw: str | list[str]) -> AnswerValue:
    """Check an answer against what the question offers; raise InvalidAnswer with a sentence if it doesn't."""
    if question.type == AnswerType.TEXT:
        text = clean_text(raw if isinstance(raw, str) else " ".join(raw))
        if not text and not question.optional:
            raise InvalidAnswer("Please write an answer: this question needs one.")
        if len(text) > TEXT_ANSWER_MAX:
            raise InvalidAnswer(f"Please keep the answer under {TEXT_ANSWER_MAX} characters.")
        return text
    if question.type == AnswerType.MULTI_CHOICE:
        picked = [raw] if isinstance(raw, str) else list(raw)
        values = [a.value for a in question.answers if a.value in picked]
        if not values:
            raise InvalidAnswer("Pick at least one answer.")
        if len(values) != len(set(picked)):
            raise InvalidAnswer("That answer is not one of the choices.")
        exclusive = [a for a in question.answers if a.exclusive and a.value in values]
        if exclusive and len(values) > 1:
            raise InvalidAnswer(f"“{exclusive[0].label}” can't be combined with other answers.")
        return values
    value = raw if isinstance(raw, str) else (raw[0] if len(raw) == 1 else "")
    if question.answer(value) is None:
        raise InvalidAnswer("That answer is not one of the choices.")
    return value


def chosen_answers(question: Question, value: AnswerValue | None) -> list[Answer]:
    """The checklist answers a given value stands for (none for free text)."""
    if value is None or question.type == AnswerType.TEXT:
        return []
    values = value if isinstance(value, list) else [value]
    return [a for a in question.answers if a.value in values]


def answer_text(question: Question, value: AnswerValue | None) -> str:
    """How an answer reads to people: its labels, or the text written."""
    if value is None:
        return "not answered"
    if question.type == AnswerType.TEXT:
        return str(value) or "(left blank)"
    return ", ".join(a.label for a in chosen_answers(question, value)) or "not answered"


@dataclass(frozen=True)
class RiskyAnswer:
    """One question answered in a way that carries risk, with what IT advises for each risky pick."""

    question: Question
    picks: tuple[Answer, ...]

    @property
    def weight(self) -> float:
        return sum(a.weight for a in self.picks)


@dataclass(frozen=True)
class Score:
    total: float
    level: Level
    risky: tuple[RiskyAnswer, ...]


def level_for(total: float, levels: Levels) -> Level:
    if total >= levels.high:
        return Level.HIGH
    if total >= levels.medium:
        return Level.MEDIUM
    return Level.LOW


def score(checklist: Checklist, answers: Answers) -> Score:
    """The sum of the weights of the answers that count, its level, and the risky answers in order."""
    risky: list[RiskyAnswer] = []
    total = 0.0
    for question in applicable(checklist, answers):
        picks = tuple(a for a in chosen_answers(question, answers.get(question.id)) if a.risky)
        if picks:
            risky.append(RiskyAnswer(question, picks))
            total += sum(a.weight for a in picks)
    return Score(total=total, level=level_for(total, checklist.levels), risky=tuple(risky))


def carry_over(checklist: Checklist, answers: Answers) -> dict[str, AnswerValue]:
    """Earlier answers that still fit this checklist, for a revision (a changed checklist may drop some)."""
    kept: dict[str, AnswerValue] = {}
    for question_id, value in answers.items():
        question = checklist.question(question_id)
        if question is None:
            continue
        try:
            kept[question_id] = normalise_answer(question, value)
        except InvalidAnswer:
            continue
    return kept


def format_number(value: float) -> str:
    return f"{value:g}"
