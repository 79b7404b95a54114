"""Block Kit for the risk-check conversation in the HERO's DM: pure functions from plain data to messages.

The conversation teaches as it goes: every question says why IT asks, a risky answer shows IT's
advice at once, and the summary gathers the mitigations to plan. Every message also says how to go
on (Back, Pause, Resume, Change), so nobody is left at a dead end.
"""

from __future__ import annotations

from typing import Any

from bot import blocks as bk
from bot.ids import Kind, format_id
from bot.risk import flow
from bot.risk.checklist import AnswerType, Level, Question
from bot.risk.conversation import Conversation, label
from bot.risk.ids import AnswerModalMeta, RiskAction, answer_action
from storage.models import RiskAssessment

LEVEL_BADGE = {
    Level.LOW: ":large_green_circle: Low",
    Level.MEDIUM: ":large_yellow_circle: Medium",
    Level.HIGH: ":red_circle: High",
}
LEVEL_ADVICE = {
    Level.LOW: "IT usually approves a low-risk check quickly. Any advice below is still worth following.",
    Level.MEDIUM: "Plan the mitigations below before launch; the reviewer may ask how you'll put them in place.",
    Level.HIGH: (
        "Plan the mitigations below before you submit, or talk to IT first: they are there to help you "
        "launch safely, not to say no."
    ),
}
BUTTONS_FOR_CHOICES_MAX = 5  # more answers than this read better as a menu
RISKY_SECTIONS_MAX = 25  # one section each; the rest share one, so a message stays within 50 blocks


def project_name(conversation: Conversation) -> str:
    project = conversation.project
    return f"{format_id(Kind.PROJECT, project.id)}: {bk.escape(bk.clip(project.title, 100))}"


def level_badge(level: str | Level | None) -> str:
    return LEVEL_BADGE.get(Level(level), str(level)) if level else "not scored yet"


def progress_bar(progress: flow.Progress) -> str:
    width = min(progress.total, 15)
    done = round(progress.number * width / progress.total) if progress.total else 0
    return "▰" * done + "▱" * (width - done)


def intro_message(conversation: Conversation) -> dict[str, Any]:
    total = len(flow.applicable(conversation.checklist, {}))
    minutes = max(2, round(total * 0.4))
    text = f":shield: *IT risk check for {project_name(conversation)}* ({label(conversation.assessment)})"
    body = (
        f"IT's checklist for projects that talk to customers in public: {total} questions, about {minutes} minutes "
        "(a few more if an answer calls for a follow-up).\n"
        "• Each question says *why we ask*: that's where the useful part is.\n"
        "• A risky answer is not a failure: I show IT's advice for it at once, so you can plan it before launch.\n"
        "• *Back* changes the previous answer. *Pause* stops here: continue later with `/risk resume` "
        "or from my Home tab. Your answers are saved after each one.\n"
        "Nothing goes to IT until you press *Submit for IT review* at the end."
    )
    return bk.message(f"IT risk check for {conversation.project.title}", [bk.section(text), bk.section(body)])


def revision_intro(conversation: Conversation, previous: RiskAssessment) -> dict[str, Any]:
    name = label(conversation.assessment)
    lines = [
        f":repeat: *{name} revises {label(previous)}* for {project_name(conversation)}.",
        "Your earlier answers are filled in: change the ones that are different now, then submit again.",
    ]
    if previous.decision_comment and previous.decided_by:
        lines.append(f":speech_balloon: <@{previous.decided_by}> wrote: “{bk.escape(previous.decision_comment)}”")
    if previous.status == "approved" and conversation.project.stage != "launched":
        lines.append(
            f"While this revision is open, {format_id(Kind.PROJECT, conversation.project.id)} can launch "
            "only once IT approves it."
        )
    if conversation.assessment.cursor is not None:
        lines.append("The checklist has a question your earlier answers don't cover yet; it comes first.")
    text = "\n".join(lines)
    return bk.message(f"{name} revises {label(previous)}", [bk.section(text)])


def _question_header(conversation: Conversation, progress: flow.Progress) -> bk.Block:
    return bk.context(
        f"*Question {progress.number} of {progress.total}*  {progress_bar(progress)}",
        f"{label(conversation.assessment)} · {project_name(conversation)}",
    )


def question_message(conversation: Conversation) -> dict[str, Any]:
    question = conversation.question
    progress = conversation.progress()
    assert question is not None and progress is not None
    given = conversation.answers.get(question.id)
    blocks: list[bk.Block] = [
        _question_header(conversation, progress),
        bk.section(f"*{bk.escape(question.text)}*" + _choices_list(question)),
        bk.context(f":bulb: *Why we ask:* {bk.escape(question.why)}"),
    ]
    if given is not None:
        shown = bk.escape(bk.clip(flow.answer_text(question, given), 300))
        blocks.append(bk.context(f":pencil2: Your answer so far: *{shown}*. Choose it again to keep it."))
    step = conversation.assessment.step
    blocks.append(bk.actions(*_answer_elements(conversation, question, given), block_id=f"risk_answer_{step}"))
    blocks.append(bk.actions(*_navigation(conversation, question), block_id=f"risk_nav_{step}"))
    return bk.message(f"Question {progress.number} of {progress.total}: {question.text}", blocks)


def _choices_list(question: Question) -> str:
    if question.type != AnswerType.MULTI_CHOICE:
        return ""
    return "\n" + "\n".join(f"• {bk.escape(a.label)}" for a in question.answers)


def _answer_elements(conversation: Conversation, question: Question, given: Any) -> list[dict[str, Any]]:
    ref = conversation.ref
    if question.type == AnswerType.TEXT:
        elements = [
            bk.button("Write your answer…", RiskAction.OPEN_ANSWER_MODAL, ref(question.id).encode(), style="primary")
        ]
        if question.optional:
            elements.append(bk.button("Skip this one", answer_action(0), ref(question.id, "").encode()))
        return elements
    if question.type == AnswerType.MULTI_CHOICE:
        return [bk.button("Choose answers…", RiskAction.OPEN_ANSWER_MODAL, ref(question.id).encode(), style="primary")]
    if len(question.answers) > BUTTONS_FOR_CHOICES_MAX:
        return [
            bk.static_select(
                RiskAction.ANSWER_SELECT,
                "Choose an answer",
                [(ref(question.id, a.value).encode(), a.label) for a in question.answers],
                initial=ref(question.id, given).encode() if isinstance(given, str) else None,
            )
        ]
    return [
        bk.button(
            answer.label,
            answer_action(index),
            ref(question.id, answer.value).encode(),
            style="primary" if answer.value == given else None,
        )
        for index, answer in enumerate(question.answers)
    ]


def _navigation(conversation: Conversation, question: Question) -> list[dict[str, Any]]:
    ref = conversation.ref().encode()
    elements = []
    if flow.previous_question(conversation.checklist, conversation.answers, question.id) is not None:
        elements.append(bk.button("Back", RiskAction.BACK, ref))
    elements.append(bk.button("Pause", RiskAction.PAUSE, ref))
    if flow.is_complete(conversation.checklist, conversation.answers):
        elements.append(bk.button("Skip to summary", RiskAction.TO_SUMMARY, ref))
    return elements


def answered_message(answered: flow.Progress, question: Question, value: flow.AnswerValue) -> dict[str, Any]:
    """The question's message once answered: the answer in place of the buttons, and IT's advice if risky."""
    shown = bk.escape(bk.clip(flow.answer_text(question, value), 1500))
    blocks: list[bk.Block] = [
        bk.context(f"Question {answered.number} of {answered.total}"),
        bk.section(f"*{bk.escape(question.text)}*\n:white_check_mark: {shown}"),
    ]
    advice = [a for a in flow.chosen_answers(question, value) if a.risky]
    for pick in advice[: bk.CONTEXT_ELEMENTS_MAX]:
        mitigation = (
            bk.escape(pick.mitigation) if pick.mitigation else "IT will talk it through with you in the review."
        )
        prefix = f"*{bk.escape(pick.label)}*: " if len(advice) > 1 else ""
        blocks.append(
            bk.context(f":bulb: {prefix}*IT's advice* (+{flow.format_number(pick.weight)} risk): {mitigation}")
        )
    return bk.message(f"{question.text} — {flow.answer_text(question, value)}", blocks)


def summary_message(conversation: Conversation, *, submitted_note: str | None = None) -> dict[str, Any]:
    """Score, level, the mitigations to plan, and the way on: submit, or change any answer."""
    checklist, answers = conversation.checklist, conversation.answers
    result = flow.score(checklist, answers)
    levels = checklist.levels
    name = label(conversation.assessment)
    blocks: list[bk.Block] = [
        bk.header(f"Summary of {name}"),
        bk.section(f"IT risk check for *{project_name(conversation)}*"),
        bk.fields(
            [
                ("Risk level", level_badge(result.level)),
                (
                    "Score",
                    f"{flow.format_number(result.total)} (medium from {flow.format_number(levels.medium)}, "
                    f"high from {flow.format_number(levels.high)})",
                ),
            ]
        ),
    ]
    live = submitted_note is None
    if live:
        blocks.append(bk.context(LEVEL_ADVICE[result.level]))
    if result.risky:
        blocks.append(bk.section(f"*Mitigations to plan* ({len(result.risky)})"))
        for risky in result.risky[:RISKY_SECTIONS_MAX]:
            change = bk.button("Change", RiskAction.CHANGE_ONE, conversation.ref(risky.question.id).encode())
            blocks.append(bk.section(risky_text(risky), accessory=change if live else None))
        blocks += more_risky(result.risky)
    else:
        blocks.append(bk.section(":tada: *No risky answers*: nothing to mitigate."))
    others = [q for q in flow.applicable(checklist, answers) if q.id not in {r.question.id for r in result.risky}]
    if others:
        lines = [f"• {bk.escape(q.text)} — *{bk.escape(flow.answer_text(q, answers.get(q.id)))}*" for q in others]
        blocks.append(bk.section(fit_lines("*Your other answers*", lines)))
    if live:
        blocks.append(_summary_actions(conversation))
        blocks.append(bk.context(f"Nothing is sent to IT until you submit. Checklist: {bk.escape(checklist.label)}."))
    else:
        blocks.append(bk.context(submitted_note or ""))
    return bk.message(f"Summary of {name}: {result.level.value} risk, score {flow.format_number(result.total)}", blocks)


def _summary_actions(conversation: Conversation) -> bk.Block:
    ref = conversation.ref()
    questions = flow.applicable(conversation.checklist, conversation.answers)
    return bk.actions(
        bk.button("Submit for IT review", RiskAction.SUBMIT, ref.encode(), style="primary"),
        bk.button("Change answers", RiskAction.CHANGE_ALL, ref.encode()),
        bk.static_select(
            RiskAction.CHANGE_ONE,
            "Change one answer…",
            [(conversation.ref(q.id).encode(), bk.clip(q.text, bk.OPTION_TEXT_MAX)) for q in questions],
        ),
        block_id=f"risk_summary_{ref.s}",
    )


def risky_text(risky: flow.RiskyAnswer) -> str:
    """One risky answer with IT's advice for each risky pick, within a section's limit."""
    question = risky.question
    picks = ", ".join(bk.escape(a.label) for a in risky.picks)
    lines = [f"*{bk.escape(question.text)}*", f"Answer: *{picks}* (+{flow.format_number(risky.weight)})"]
    for pick in risky.picks:
        advice = bk.escape(pick.mitigation) if pick.mitigation else "IT will talk it through with you."
        prefix = f"{bk.escape(pick.label)}: " if len(risky.picks) > 1 else ""
        lines.append(f":bulb: {prefix}{advice}")
    return bk.clip("\n".join(lines), bk.SECTION_TEXT_MAX)


def more_risky(risky: tuple[flow.RiskyAnswer, ...]) -> list[bk.Block]:
    """Risky answers past the first RISKY_SECTIONS_MAX, together in one section (with their advice, shortened)."""
    rest = risky[RISKY_SECTIONS_MAX:]
    if not rest:
        return []
    lines = [
        f"• *{bk.escape(bk.clip(r.question.text, 120))}* — "
        + "; ".join(bk.escape(bk.clip(a.mitigation or a.label, 160)) for a in r.picks)
        for r in rest
    ]
    return [bk.section(fit_lines(f"*…and {len(rest)} more*", lines))]


def fit_lines(title: str, lines: list[str], limit: int = bk.SECTION_TEXT_MAX) -> str:
    """A titled list that keeps whole lines within `limit`, saying how many were left out."""
    kept: list[str] = []
    used = len(title) + 40
    for line in lines:
        line = bk.clip(line, 400)
        if used + len(line) + 1 > limit:
            kept.append(f"…and {len(lines) - len(kept)} more")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join([title, *kept])


def answer_modal(conversation: Conversation, channel: str | None, ts: str | None) -> dict[str, Any]:
    """Multiple choice and free text are answered in a small modal, prefilled with any earlier answer."""
    question = conversation.question
    progress = conversation.progress()
    assert question is not None and progress is not None
    given = conversation.answers.get(question.id)
    if question.type == AnswerType.MULTI_CHOICE:
        options = [{"text": bk.plain(a.label, bk.OPTION_TEXT_MAX), "value": a.value} for a in question.answers]
        element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": options}
        chosen = [o for o in options if isinstance(given, list) and o["value"] in given]
        if chosen:
            element["initial_options"] = chosen
        hint = "Pick all that apply."
        exclusive = [a.label for a in question.answers if a.exclusive]
        if exclusive:
            hint += f" “{exclusive[0]}” goes alone."
        answer_block = bk.input_block("answer", "Your answer", element, hint=hint)
    else:
        answer_block = bk.text_input(
            "answer",
            "Your answer",
            initial=given if isinstance(given, str) else "",
            multiline=True,
            optional=question.optional,
            max_length=flow.TEXT_ANSWER_MAX,
        )
    meta = AnswerModalMeta(
        a=conversation.assessment.id, s=conversation.assessment.step, q=question.id, channel=channel, ts=ts
    )
    return bk.modal(
        RiskAction.ANSWER_MODAL,
        f"Question {progress.number} of {progress.total}",
        [
            bk.section(f"*{bk.escape(question.text)}*"),
            bk.context(f":bulb: *Why we ask:* {bk.escape(question.why)}"),
            answer_block,
        ],
        submit="Save answer",
        private_metadata=meta.model_dump_json(exclude_none=True),
    )
