"""Short messages around the risk conversation: the usage, where the conversation went after a move,
and why a button changed nothing, each with the way on."""

from __future__ import annotations

from typing import Any

from bot import blocks as bk
from bot.ids import Kind, format_id
from bot.risk.checklist import Question
from bot.risk.conversation import Conversation, label
from bot.risk.ids import Ref, RiskAction
from bot.risk.views import project_name

USAGE = """*`/risk` — IT risk checks*
• `/risk start HERO-12` — run IT's risk checklist for your project, as a short conversation in your DMs
• `/risk resume` — continue your risk check where you left off (or `/risk resume RISK-5`)
• `/risk list [mine|pending]` — your risk checks, or those waiting for IT review
• `/risk show RISK-5` — the answers, score, mitigations and IT's decision
• `/risk help` — this list"""


def usage(problem: str | None = None) -> dict[str, Any]:
    text = f":warning: {problem}\n\n{USAGE}" if problem else USAGE
    blocks = [
        bk.section(text),
        bk.context(
            "A project can move to *launched* once IT approves its latest risk check. "
            "Each question explains why IT asks it; risky answers come with IT's advice."
        ),
    ]
    return bk.message(text, blocks)


def retired_prompt(question: Question | None, reason: str) -> dict[str, Any]:
    """A question or summary message whose buttons no longer apply, saying where the conversation went."""
    blocks: list[bk.Block] = []
    if question is not None:
        blocks.append(bk.context(f"~{bk.escape(bk.clip(question.text, 300))}~"))
    blocks.append(bk.context(reason))
    return bk.message(reason, blocks)


def paused_message(conversation: Conversation) -> dict[str, Any]:
    text = (
        f":double_vertical_bar: *Paused at {conversation.where()}* of {label(conversation.assessment)} "
        f"for {project_name(conversation)}. Your answers are saved.\n"
        "Continue whenever you like: the button below, `/risk resume`, or my Home tab."
    )
    ref = conversation.ref().encode()
    blocks = [
        bk.section(text),
        bk.actions(bk.button("Resume", RiskAction.RESUME, ref, style="primary"), block_id="risk_paused"),
    ]
    return bk.message(f"Paused {label(conversation.assessment)}", blocks)


def back_note(conversation: Conversation) -> str:
    return f":leftwards_arrow_with_hook: You went back to {conversation.where()}, below."


def change_note(conversation: Conversation) -> str:
    question = conversation.question
    what = f"“{bk.escape(bk.clip(question.text, 200))}”" if question else "an answer"
    return f":pencil2: Changing {what} below; the summary follows once you're done."


SUMMARY_NOTE = ":arrow_down: The summary is below."
WALK_NOTE = ":pencil2: Going through your answers again from the first question, below."
RESUMED_NOTE = ":arrow_forward: Resumed below."
ASKED_AGAIN_NOTE = ":arrow_down: Asked again below."


def stale_notice(message: str, resume_id: int | None, step: int = 0) -> dict[str, Any]:
    text = f":information_source: {message}"
    blocks: list[bk.Block] = [bk.section(text)]
    if resume_id is not None:
        blocks.append(
            bk.actions(
                bk.button("Show where I am", RiskAction.RESUME, Ref(a=resume_id, s=step).encode()),
                block_id="risk_stale",
            )
        )
    return bk.message(text, blocks)


def replace_approved_prompt(assessment_id: int, project_id: int, message: str) -> dict[str, Any]:
    text = f":white_check_mark: {message}"
    blocks = [
        bk.section(text),
        bk.actions(
            bk.button("Start a new check", RiskAction.START, f"{project_id}:new"),
            bk.button(f"See {format_id(Kind.RISK, assessment_id)}", RiskAction.VIEW, Ref(a=assessment_id).encode()),
            block_id="risk_replace_approved",
        ),
    ]
    return bk.message(text, blocks)


def started_notice(conversation: Conversation, *, resumed: bool, link: str | None) -> dict[str, Any]:
    name, project = label(conversation.assessment), project_name(conversation)
    where = f"<{link}|open our DM>" if link else "see your direct messages with me"
    if resumed:
        text = f":shield: You already have *{name}* under way for *{project}*: I posted {conversation.where()} again in our DM — {where}."
    else:
        text = f":shield: I've started *{name}* for *{project}* in our direct messages — {where}."
    return bk.message(text, [bk.section(text)])
