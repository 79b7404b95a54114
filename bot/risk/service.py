"""Risk assessment use cases: the conversation, from `/risk start` to *Submit for IT review*.

Functions take an open session, the acting person and plain data; they flush, never commit, and
never call Slack. Every move of the conversation is claimed with the step its button was drawn at,
so a stale or doubled click changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound, PermissionDenied, UserError
from bot.ids import Kind, format_id
from bot.permissions import Actor
from bot.projects.service import get_project, may_change
from bot.risk import flow
from bot.risk.checklist import Checklist, Question
from bot.risk.conversation import (
    STATUS_LABEL,
    ApprovedAlready,
    Conversation,
    StaleAction,
    Status,
    label,
    load_conversation,
    remember_checklist,
)
from bot.risk.ids import Ref
from storage.models import RiskAssessment, utcnow
from storage.repositories.audit import AuditRepository
from storage.repositories.risk import RiskRepository


@dataclass
class Started:
    conversation: Conversation
    resumed: bool  # an assessment of this person was already under way for the project
    revision_of: RiskAssessment | None


async def start(
    session: AsyncSession, actor: Actor, project_id: int, checklist: Checklist, *, replace_approved: bool = False
) -> Started:
    """Start the project's risk check in the person's DM, or pick up theirs already under way.

    A project whose last assessment was decided gets a revision: the earlier answers filled in,
    linked to the earlier review.
    """
    project = await get_project(session, actor.team_id, project_id)
    name = format_id(Kind.PROJECT, project.id)
    if not may_change(actor, project):
        raise PermissionDenied(
            f"Only the owner <@{project.owner_id}> or a team member of {name} can run its risk check."
        )
    repository = RiskRepository(session)
    latest = await repository.latest_for_project(actor.team_id, project.id)
    if latest is not None and latest.status == Status.IN_PROGRESS:
        if latest.hero_id != actor.user_id:
            raise UserError(
                f"<@{latest.hero_id}> is already running {label(latest)} for {name}, in their direct messages "
                "with me. Ask them to finish it, or wait for it to be reviewed."
            )
        return Started(await resume(session, actor, latest.id), resumed=True, revision_of=None)
    if latest is not None and latest.status == Status.PENDING:
        raise UserError(
            f"{label(latest)} for {name} is waiting for IT review. You'll get the decision by direct message; "
            f"see it any time with `/risk show {label(latest)}`."
        )
    if latest is not None and latest.status == Status.APPROVED and not replace_approved:
        raise ApprovedAlready(latest, name)
    await repository.keep_checklist(
        checklist.digest, checklist.title, checklist.version, checklist.model_dump(mode="json")
    )
    remember_checklist(checklist)
    answers = flow.carry_over(checklist, latest.answers) if latest is not None else {}
    now = utcnow()
    assessment = RiskAssessment(
        team_id=actor.team_id,
        project_id=project.id,
        hero_id=actor.user_id,
        checklist_digest=checklist.digest,
        status=Status.IN_PROGRESS.value,
        answers=answers,
        step=0,
        previous_id=latest.id if latest is not None else None,
        created_at=now,
        updated_at=now,
    )
    if answers:
        _place_cursor_for_revision(checklist, assessment)
    else:
        _place_cursor_at_start(checklist, assessment)
    try:
        async with session.begin_nested():
            repository.add(assessment)
            await session.flush()
    except IntegrityError:
        raise UserError(
            f"Someone on {name}'s team started its risk check a moment ago. "
            f"Run `/risk start {name}` again to see where it is."
        ) from None
    _audit(session, actor, assessment, "started", {"project_id": project.id, "previous_id": assessment.previous_id})
    return Started(Conversation(assessment, checklist, project), resumed=False, revision_of=latest)


def _place_cursor_at_start(checklist: Checklist, assessment: RiskAssessment) -> None:
    assessment.cursor = flow.first_question(checklist, {}).id
    assessment.editing = False


def _place_cursor_for_revision(checklist: Checklist, assessment: RiskAssessment) -> None:
    """Earlier answers filled in: straight to the summary, unless the checklist now asks something new."""
    missing = flow.unanswered(checklist, assessment.answers)
    assessment.cursor = missing[0].id if missing else None
    assessment.editing = bool(missing)


async def resume(session: AsyncSession, actor: Actor, assessment_id: int | None = None) -> Conversation:
    """The person's conversation at the same point; older prompts go stale, the handler re-posts it."""
    repository = RiskRepository(session)
    if assessment_id is None:
        mine = await repository.in_progress_of(actor.team_id, actor.user_id)
        if not mine:
            raise UserError(
                "You have no risk check in progress. Start one for your project with `/risk start HERO-12`."
            )
        found: RiskAssessment | None = mine[0]
    else:
        found = await repository.get(actor.team_id, assessment_id)
    assessment = await _own(session, actor, found, assessment_id)
    if assessment.status != Status.IN_PROGRESS:
        raise StaleAction(_not_in_progress(assessment))
    if not await repository.claim_step(actor.team_id, assessment.id, assessment.step):
        raise StaleAction("That risk check just moved on elsewhere; here it is again.", resume_id=assessment.id)
    await session.refresh(assessment)
    _audit(session, actor, assessment, "resumed", {"at": assessment.cursor})
    return await load_conversation(session, assessment)


async def _own(
    session: AsyncSession, actor: Actor, assessment: RiskAssessment | None, wanted: int | None
) -> RiskAssessment:
    if assessment is None:
        raise NotFound(f"There is no risk check {format_id(Kind.RISK, wanted or 0)}. See yours with `/risk list`.")
    if assessment.hero_id != actor.user_id:
        raise PermissionDenied(f"{label(assessment)} is <@{assessment.hero_id}>'s risk check: only they can answer it.")
    return assessment


def _not_in_progress(assessment: RiskAssessment) -> str:
    name = label(assessment)
    status = Status(assessment.status)
    if status == Status.PENDING:
        return f"{name} is already submitted and waiting for IT review, so this changed nothing."
    if status == Status.APPROVED:
        return f"{name} was approved by IT, so this changed nothing. See it with `/risk show {name}`."
    project = format_id(Kind.PROJECT, assessment.project_id)
    return (
        f"{name} was reviewed ({STATUS_LABEL[status]}), so this changed nothing. "
        f"Revise it with `/risk start {project}`."
    )


async def _claim(session: AsyncSession, actor: Actor, ref: Ref, *, at_question: bool) -> Conversation:
    """The conversation a button belongs to, moved one step on; StaleAction if the button is old."""
    repository = RiskRepository(session)
    assessment = await _own(session, actor, await repository.get(actor.team_id, ref.a), ref.a)
    if assessment.status != Status.IN_PROGRESS:
        raise StaleAction(_not_in_progress(assessment))
    moved_on = ref.s != assessment.step or (at_question and (ref.q is None or ref.q != assessment.cursor))
    if moved_on or not await repository.claim_step(actor.team_id, assessment.id, ref.s):
        conversation = await load_conversation(session, assessment)
        raise StaleAction(
            f"That button is from an earlier point of {label(assessment)}, so it changed nothing. "
            f"The conversation is at {conversation.where()}.",
            resume_id=assessment.id,
        )
    await session.refresh(assessment)
    assessment.updated_at = utcnow()
    return await load_conversation(session, assessment)


@dataclass
class Answered:
    conversation: Conversation
    question: Question
    value: flow.AnswerValue
    progress: flow.Progress  # where the answered question stood


async def answer(session: AsyncSession, actor: Actor, ref: Ref, raw: str | list[str]) -> Answered:
    conversation = await _claim(session, actor, ref, at_question=True)
    assessment, checklist = conversation.assessment, conversation.checklist
    question = conversation.question
    assert question is not None  # _claim checked the button's question is the current one
    try:
        value = flow.normalise_answer(question, raw)
    except flow.InvalidAnswer as error:
        raise InvalidInput(str(error), "answer") from None
    answers = conversation.answers
    answers[question.id] = value
    answered_at = flow.progress(checklist, answers, question.id)
    following = flow.next_question(checklist, answers, question.id, editing=assessment.editing)
    assessment.answers = answers
    assessment.cursor = following.id if following else None
    assessment.editing = assessment.editing and following is not None
    _audit(session, actor, assessment, "answered", {"question": question.id, "answer": value})
    return Answered(conversation, question, value, answered_at)


@dataclass
class Moved:
    """The conversation after a move, and the question its retired message showed (None: the summary)."""

    conversation: Conversation
    left: Question | None


async def _move(session: AsyncSession, actor: Actor, ref: Ref) -> Moved:
    conversation = await _claim(session, actor, ref, at_question=False)
    return Moved(conversation, conversation.question)


async def back(session: AsyncSession, actor: Actor, ref: Ref) -> Moved:
    moved = await _move(session, actor, ref)
    assessment = moved.conversation.assessment
    previous = flow.previous_question(moved.conversation.checklist, moved.conversation.answers, assessment.cursor)
    if previous is None:
        raise UserError("This is the first question: there is nothing before it.")
    assessment.cursor = previous.id
    assessment.editing = False
    return moved


async def pause(session: AsyncSession, actor: Actor, ref: Ref) -> Moved:
    moved = await _move(session, actor, ref)
    _audit(session, actor, moved.conversation.assessment, "paused", {"at": moved.conversation.assessment.cursor})
    return moved


async def to_summary(session: AsyncSession, actor: Actor, ref: Ref) -> Moved:
    moved = await _move(session, actor, ref)
    if flow.unanswered(moved.conversation.checklist, moved.conversation.answers):
        raise UserError("A few questions still need an answer before the summary.")
    moved.conversation.assessment.cursor = None
    moved.conversation.assessment.editing = False
    return moved


async def change_answer(session: AsyncSession, actor: Actor, ref: Ref) -> Moved:
    """From the summary: ask one question again, then come back to the summary."""
    moved = await _move(session, actor, ref)
    applying = {q.id for q in flow.applicable(moved.conversation.checklist, moved.conversation.answers)}
    if ref.q not in applying:
        raise UserError("That question no longer applies to your answers.")
    moved.conversation.assessment.cursor = ref.q
    moved.conversation.assessment.editing = True
    return moved


async def change_all(session: AsyncSession, actor: Actor, ref: Ref) -> Moved:
    """From the summary: walk through every question again, each with its answer filled in."""
    moved = await _move(session, actor, ref)
    conversation = moved.conversation
    conversation.assessment.cursor = flow.first_question(conversation.checklist, conversation.answers).id
    conversation.assessment.editing = False
    return moved


async def peek(session: AsyncSession, actor: Actor, ref: Ref) -> Conversation:
    """The conversation a question's button belongs to, unchanged; StaleAction if the button is old."""
    repository = RiskRepository(session)
    assessment = await _own(session, actor, await repository.get(actor.team_id, ref.a), ref.a)
    if assessment.status != Status.IN_PROGRESS:
        raise StaleAction(_not_in_progress(assessment))
    conversation = await load_conversation(session, assessment)
    if ref.s != assessment.step or ref.q != assessment.cursor:
        raise StaleAction(
            f"That button is from an earlier point of {label(assessment)}, so it changed nothing. "
            f"The conversation is at {conversation.where()}.",
            resume_id=assessment.id,
        )
    return conversation


@dataclass
class Submitted:
    conversation: Conversation
    score: flow.Score


async def submit(session: AsyncSession, actor: Actor, ref: Ref, *, now: datetime) -> Submitted:
    conversation = await _claim(session, actor, ref, at_question=False)
    assessment, checklist = conversation.assessment, conversation.checklist
    if assessment.cursor is not None or not flow.is_complete(checklist, conversation.answers):
        raise UserError("Answer the remaining questions first; the summary's button then submits it.")
    counted = flow.effective_answers(checklist, conversation.answers)
    result = flow.score(checklist, counted)
    assessment.answers = counted
    assessment.status = Status.PENDING.value
    assessment.score = result.total
    assessment.level = result.level.value
    assessment.submitted_at = now
    _audit(
        session,
        actor,
        assessment,
        "submitted",
        {"score": result.total, "level": result.level.value},
        before="in_progress",
    )
    await session.flush()
    return Submitted(conversation, result)


async def remember_prompt(session: AsyncSession, team_id: str, assessment_id: int, channel: str, ts: str) -> None:
    """Where the message with the live buttons is, so a resume can retire it."""
    assessment = await RiskRepository(session).get(team_id, assessment_id)
    if assessment is not None:
        assessment.dm_channel = channel
        assessment.prompt_ts = ts


async def conversation_for(session: AsyncSession, team_id: str, assessment_id: int) -> Conversation:
    assessment = await RiskRepository(session).get(team_id, assessment_id)
    if assessment is None:
        raise NotFound(f"There is no risk check {format_id(Kind.RISK, assessment_id)}. See yours with `/risk list`.")
    return await load_conversation(session, assessment)


def _audit(
    session: AsyncSession,
    actor: Actor,
    assessment: RiskAssessment,
    action: str,
    after: dict[str, Any],
    *,
    before: str | None = None,
) -> None:
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="risk_assessment",
        entity_id=assessment.id,
        action=action,
        actor_id=actor.user_id,
        before={"status": before} if before else None,
        after=after,
    )
