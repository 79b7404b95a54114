"""IT's risk checklist: its schema, the bundled default, and a loader that names file, line and reason.

An organisation's own file (HERO_CHECKLIST_PATH) is checked once at start-up: a checklist with a
mistake would otherwise surface mid-conversation, in front of a HERO. Each checklist is identified
by a digest of its content, stored with every assessment, so editing the file later never changes
the questions of an assessment already under way.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from bot.settings import ConfigurationError, Settings

DEFAULT_PATH = Path(__file__).with_name("default_checklist.yaml")
QUESTIONS_MAX = 40  # keeps a summary or review card of one block per question within Slack's 50 blocks
ANSWERS_MAX = {"yes_no": 2, "choice": 20, "multi_choice": 10}  # multiple choice uses checkboxes: 10 at most

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
AnswerValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class AnswerType(StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    TEXT = "text"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _yes_no(value: Any) -> Any:
    """YAML reads a bare `yes`/`no` as true/false in places; the checklist means the answers."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: AnswerValue
    label: str = Field(default="", max_length=75)
    weight: float = Field(default=0, ge=0, le=1000)
    mitigation: str = Field(default="", max_length=1000)
    exclusive: bool = False  # "None of these": cannot be combined with other choices

    @field_validator("value", mode="before")
    @classmethod
    def _bool_value(cls, value: Any) -> Any:
        return _yes_no(value)

    @model_validator(mode="after")
    def _default_label(self) -> Answer:
        if not self.label.strip():
            object.__setattr__(self, "label", self.value.replace("_", " ").replace("-", " ").capitalize())
        return self

    @property
    def risky(self) -> bool:
        return self.weight > 0


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: QuestionId
    text: str = Field(min_length=1, max_length=500)
    why: str = Field(min_length=1, max_length=1000)
    type: AnswerType
    answers: tuple[Answer, ...] = ()
    when: dict[str, str | list[str]] = Field(default_factory=dict)
    optional: bool = False  # free-text questions only: may be left blank

    @field_validator("text", "why", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("when", mode="before")
    @classmethod
    def _bool_conditions(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: [_yes_no(v) for v in expected] if isinstance(expected, list) else _yes_no(expected)
                for key, expected in value.items()
            }
        return value

    def answer(self, value: str) -> Answer | None:
        return next((a for a in self.answers if a.value == value), None)


class Levels(BaseModel):
    """A total score at or above `medium` is medium risk, at or above `high` is high risk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    medium: float = Field(gt=0)
    high: float = Field(gt=0)


class Checklist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(default="IT risk assessment", min_length=1, max_length=100)
    version: str = Field(default="1", max_length=40)
    levels: Levels
    questions: tuple[Question, ...] = Field(min_length=1, max_length=QUESTIONS_MAX)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @cached_property
    def digest(self) -> str:
        """Identifies this content: the same questions, weights and thresholds give the same digest."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    @cached_property
    def _by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def order_of(self, question_id: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == question_id)

    @property
    def label(self) -> str:
        return f"{self.title} v{self.version}"


class ChecklistError(ConfigurationError):
    """A checklist file the bot refuses, with the line the mistake is on."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source}, line {line}" if line else source
        super().__init__(f"HERO_CHECKLIST_PATH: {where}: {reason}")
        self.line = line
        self.reason = reason


# ---- YAML with line numbers --------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only (true/false): `yes`, `no`, `on` and `off` stay words, as authors mean them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

Path_ = tuple[str | int, ...]


def _read_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """The document as Python data, and the line (1-based) where each key and list item starts."""
    loader = _Loader(text)
    positions: dict[Path_, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            raise ChecklistError(source, 1, "the file is empty; it needs `levels:` and `questions:`")
        return _build(loader, node, (), positions, source), positions
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "unreadable"
        raise ChecklistError(source, mark.line + 1 if mark else None, f"not valid YAML: {problem}") from None
    finally:
        loader.dispose()


def _build(loader: _Loader, node: yaml.Node, path: Path_, positions: dict[Path_, int], source: str) -> Any:
    positions.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool):
                raise ChecklistError(source, line, "a key must be a plain word")
            if key in result:
                raise ChecklistError(source, line, f"`{key}` is given twice here")
            positions[(*path, str(key))] = line
            result[key] = _build(loader, value_node, (*path, str(key)), positions, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), positions, source) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _line(positions: dict[Path_, int], path: Path_) -> int | None:
    """The line of the nearest part of `path` that is in the file (a missing key: its mapping's line)."""
    for end in range(len(path), -1, -1):
        if path[:end] in positions:
            return positions[path[:end]]
    return None


# ---- what is wrong, in words ---------------------------------------------------------------------

FIELDS = {
    (): ("title", "version", "levels", "questions"),
    ("levels",): ("medium", "high"),
    ("questions",): ("id", "text", "why", "type", "answers", "when", "optional"),
    ("answers",): ("value", "label", "weight", "mitigation", "exclusive"),
}


def _where(data: Any, path: Path_) -> str:
    """`question 3 ('two_factor')`, `question 3 ('two_factor'), answer 2`, or `levels`."""
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        raw = data["questions"][path[1]] if isinstance(data, dict) else None
        name = raw.get("id") if isinstance(raw, dict) else None
        where = f"question {path[1] + 1}" + (f" ('{name}')" if isinstance(name, str) else "")
        if len(path) >= 4 and path[2] == "answers" and isinstance(path[3], int):
            where += f", answer {path[3] + 1}"
        return where
    return str(path[0]) if path else "the checklist"


def _known_fields(path: Path_) -> tuple[str, ...]:
    if len(path) >= 3 and path[0] == "questions" and path[2] == "answers":
        return FIELDS[("answers",)]
    if path and path[0] == "questions":
        return FIELDS[("questions",)]
    if path and path[0] == "levels":
        return FIELDS[("levels",)]
    return FIELDS[()]


def _explain(error: dict[str, Any], data: Any) -> tuple[Path_, str]:
    path: Path_ = tuple(error["loc"])
    field = str(path[-1]) if path else ""
    kind = error["type"]
    given = error.get("input")
    if kind == "missing":
        reason = f"`{field}` is missing"
        if field in ("text", "why"):
            reason += " (every question needs its text and why we ask it)"
        return path[:-1], reason
    if kind == "extra_forbidden":
        known = _known_fields(path[:-1])
        close = difflib.get_close_matches(field, known, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else f"; known fields are {', '.join(known)}"
        return path, f"unknown field `{field}`{hint}"
    if kind == "enum" and field == "type":
        return path, f"unknown answer type `{given}`; use yes_no, choice, multi_choice or text"
    if kind == "string_pattern_mismatch" and field == "id":
        return path, f"question id `{given}` must be lower-case letters, digits and _ (e.g. two_factor)"
    if kind == "string_pattern_mismatch" and field == "value":
        return path, f"answer value `{given}` must be lower-case letters, digits, - and _ (e.g. yes, new_tool)"
    return path, f"`{field or 'checklist'}`: {error['msg']}"


def _meaning_problems(checklist: Checklist) -> Iterator[tuple[Path_, str]]:
    """Mistakes the schema alone can't see: references between questions, answer sets, thresholds."""
    if checklist.levels.high <= checklist.levels.medium:
        yield ("levels", "high"), "`high` must be greater than `medium`"
    seen: dict[str, int] = {}
    for index, question in enumerate(checklist.questions):
        at: Path_ = ("questions", index)
        if question.id in seen:
            yield (*at, "id"), f"question id `{question.id}` is already used by question {seen[question.id] + 1}"
        seen.setdefault(question.id, index)
        yield from _answer_problems(question, at)
        for name, expected in question.when.items():
            yield from _condition_problems(checklist, question, index, name, expected, (*at, "when", name))


def _answer_problems(question: Question, at: Path_) -> Iterator[tuple[Path_, str]]:
    values = [a.value for a in question.answers]
    if question.type == AnswerType.TEXT:
        if question.answers:
            yield (*at, "answers"), "a free-text question takes no `answers`"
        return
    if question.optional:
        yield (*at, "optional"), "only free-text questions can be optional"
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        yield (*at, "answers"), f"answer value `{duplicates[0]}` is given twice"
    if question.type == AnswerType.YES_NO and sorted(values) != ["no", "yes"]:
        yield (*at, "answers"), "a yes_no question needs exactly two answers, with values yes and no"
    elif len(values) < 2:
        yield (*at, "answers"), f"a {question.type.value} question needs at least two answers"
    elif len(values) > ANSWERS_MAX[question.type.value]:
        yield (
            (*at, "answers"),
            f"a {question.type.value} question can have at most {ANSWERS_MAX[question.type.value]} answers",
        )
    for position, answer in enumerate(question.answers):
        if answer.exclusive and question.type != AnswerType.MULTI_CHOICE:
            yield (*at, "answers", position, "exclusive"), "`exclusive` only applies to multi_choice answers"


def _condition_problems(
    checklist: Checklist, question: Question, index: int, name: str, expected: str | list[str], at: Path_
) -> Iterator[tuple[Path_, str]]:
    target = checklist.question(name)
    if target is None:
        yield at, f"`when:` names `{name}`, which is not a question in this checklist"
        return
    if checklist.order_of(name) >= index:
        relation = "this question itself" if name == question.id else "a later question"
        yield at, f"`when:` names `{name}`, {relation}; a question can only depend on earlier answers"
        return
    if target.type == AnswerType.TEXT:
        yield at, f"`when:` names `{name}`, a free-text question; conditions can only test chosen answers"
        return
    wanted = [expected] if isinstance(expected, str) else expected
    if not wanted:
        yield at, f"`when: {name}` lists no answers"
    for value in wanted:
        if target.answer(value) is None:
            known = ", ".join(a.value for a in target.answers)
            yield at, f"`when: {name}: {value}` — `{name}` has no answer `{value}` (its answers: {known})"


def parse_checklist(text: str, source: str = "checklist") -> Checklist:
    """Validate a checklist's YAML; raise ChecklistError naming the line and the reason of the first mistake."""
    data, positions = _read_yaml(text, source)
    if not isinstance(data, dict):
        raise ChecklistError(source, 1, "expected a mapping with `levels:` and `questions:` at the top")
    try:
        checklist = Checklist.model_validate(data)
    except ValidationError as error:
        problems = _first_causes(error.errors(), positions)
        path, reason = _explain(problems[0], data)
        raise ChecklistError(source, _line(positions, path), _with_place(data, path, reason, len(problems))) from None
    problems_found = list(_meaning_problems(checklist))
    if problems_found:
        path, reason = problems_found[0]
        raise ChecklistError(
            source, _line(positions, path), _with_place(data, path, reason, len(problems_found))
        ) from None
    return checklist


def _first_causes(errors: list[Any], positions: dict[Path_, int]) -> list[Any]:
    """Errors in reading order, a misspelt field before the `missing` it causes; echoes on a parent dropped."""
    paths = [tuple(e["loc"]) for e in errors]
    causes = [
        e for e, p in zip(errors, paths, strict=True) if not any(len(o) > len(p) and o[: len(p)] == p for o in paths)
    ]
    return sorted(causes, key=lambda e: (e["type"] != "extra_forbidden", _line(positions, tuple(e["loc"])) or 0))


def _with_place(data: Any, path: Path_, reason: str, count: int) -> str:
    more = f" (and {count - 1} more problem{'s' if count > 2 else ''} after this one)" if count > 1 else ""
    return f"{_where(data, path)}: {reason}{more}"


def read_checklist(path: Path) -> Checklist:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ChecklistError(str(path), None, "is not UTF-8 text") from None
    except OSError as error:
        raise ChecklistError(str(path), None, f"cannot be read ({error.strerror})") from None
    return parse_checklist(text, str(path))


@lru_cache(maxsize=8)
def _cached(path: Path | None) -> Checklist:
    return read_checklist(path or DEFAULT_PATH)


def load_checklist(settings: Settings) -> Checklist:
    """The organisation's checklist (or the bundled one); ConfigurationError when the file has a mistake.

    Called at start-up so a bad file stops the bot there; later calls reuse the parsed checklist.
    """
    return _cached(settings.hero_checklist_path)


def default_checklist() -> Checklist:
    return _cached(None)
