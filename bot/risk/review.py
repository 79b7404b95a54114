"""IT's side of a risk check: deciding a submitted assessment, and what reviewers and HEROes can look at.

Only members of the reviewers group decide, never on their own project's check, and only while the
assessment is pending: the decision is a compare-and-set, so of two reviewers pressing at once one
decision is kept and the other reviewer is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound, PermissionDenied, UserError
from bot.ids import Kind, format_id
from bot.permissions import Actor
from bot.projects.service import get_project, may_change, member_ids
from bot.risk import flow
from bot.risk.checklist import Checklist, Question
from bot.risk.conversation import STATUS_LABEL, Status, checklist_of, label
from bot.text import clean_text
from storage.models import Project, RiskAssessment, RiskReviewCard, utcnow
from storage.repositories.audit import AuditRepository
from storage.repositories.risk import RiskRepository

COMMENT_MAX = 2000


class Decision(StrEnum):
    APPROVE = "approved"
    REQUEST_CHANGES = "changes_requested"
    REJECT = "rejected"

    @property
    def needs_comment(self) -> bool:
        return self != Decision.APPROVE


class AlreadyDecided(UserError):
    """Another reviewer decided first; nothing was changed."""


def group_mention(handle_or_id: str) -> str:
    """`@it-reviewers`, or Slack's mention of a user group given by ID."""
    group = handle_or_id.lstrip("@")
    return f"<!subteam^{group}>" if group.startswith("S") and group.isupper() else f"@{group}"


@dataclass(frozen=True)
class AnswerChange:
    question: Question
    before: str
    after: str


@dataclass
class Review:
    """A submitted (or decided) assessment with everything a card, a DM or a detail view shows."""

    assessment: RiskAssessment
    checklist: Checklist
    project: Project
    previous: RiskAssessment | None = None
    previous_cards: Sequence[RiskReviewCard] = ()
    changes: list[AnswerChange] = field(default_factory=list)

    @property
    def score(self) -> flow.Score:
        return flow.score(self.checklist, self.assessment.answers or {})


async def review_of(session: AsyncSession, team_id: str, assessment_id: int) -> Review:
    repository = RiskRepository(session)
    assessment = await repository.get(team_id, assessment_id, fresh=True)
    if assessment is None:
        raise NotFound(f"There is no risk check {format_id(Kind.RISK, assessment_id)}. Try `/risk list pending`.")
    checklist = await checklist_of(session, assessment)
    project = await get_project(session, team_id, assessment.project_id)
    review = Review(assessment, checklist, project)
    if assessment.previous_id is not None:
        previous = await repository.get(team_id, assessment.previous_id)
        if previous is not None:
            review.previous = previous
            review.previous_cards = await repository.cards(team_id, previous.id)
            review.changes = _changes(checklist, previous, assessment)
    return review


def _changes(checklist: Checklist, previous: RiskAssessment, current: RiskAssessment) -> list[AnswerChange]:
    """Answers that differ from the reviewed version, so a reviewer sees at once what was revised."""
    before = flow.effective_answers(checklist, previous.answers or {})
    after = flow.effective_answers(checklist, current.answers or {})
    changes = []
    for question in checklist.questions:
        old, new = before.get(question.id), after.get(question.id)
        if old != new:
            changes.append(
                AnswerChange(
                    question,
                    flow.answer_text(question, old) if old is not None else "not asked",
                    flow.answer_text(question, new) if new is not None else "no longer asked",
                )
            )
    return changes


def may_decide(actor: Actor, review: Review, group: str) -> None:
    """Raise PermissionDenied unless this person may decide this review."""
    if not actor.is_reviewer:
        raise PermissionDenied(
            f"Only members of {group_mention(group)} can decide risk reviews, so nothing was changed. "
            "If you review risk for IT, ask an admin to add you to the group."
        )
    if actor.user_id in (review.assessment.hero_id, review.project.owner_id):
        raise PermissionDenied(
            "You can't decide the risk check of your own project; another IT reviewer will, so nothing was changed."
        )


def can_decide(actor: Actor, review: Review, group: str) -> bool:
    try:
        may_decide(actor, review, group)
    except PermissionDenied:
        return False
    return review.assessment.status == Status.PENDING


def _already(review: Review) -> AlreadyDecided:
    assessment = review.assessment
    if assessment.status == Status.PENDING:
        return AlreadyDecided(f"{label(assessment)} is still waiting for a decision.")
    if assessment.decided_by:
        return AlreadyDecided(
            f"<@{assessment.decided_by}> already decided {label(assessment)}: "
            f"*{STATUS_LABEL[Status(assessment.status)]}*. Your decision was not recorded."
        )
    return AlreadyDecided(
        f"{label(assessment)} is not waiting for review (it's {STATUS_LABEL[Status(assessment.status)]}), "
        "so nothing was changed."
    )


async def open_for_decision(session: AsyncSession, actor: Actor, assessment_id: int, group: str) -> Review:
    """Checks before a comment modal opens: a reviewer, not their own project, still pending."""
    review = await review_of(session, actor.team_id, assessment_id)
    may_decide(actor, review, group)
    if review.assessment.status != Status.PENDING:
        raise _already(review)
    return review


async def decide(
    session: AsyncSession, actor: Actor, assessment_id: int, decision: Decision, comment: str, group: str
) -> Review:
    review = await review_of(session, actor.team_id, assessment_id)
    may_decide(actor, review, group)
    comment = clean_text(comment)
    if decision.needs_comment and not comment:
        raise InvalidInput("Please tell the HERO what to change or why: they will read this comment.", "comment")
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(f"Please keep the comment under {COMMENT_MAX} characters.", "comment")
    decided = await RiskRepository(session).decide(
        actor.team_id, assessment_id, status=decision.value, by=actor.user_id, at=utcnow(), comment=comment or None
    )
    await session.refresh(review.assessment)
    if not decided:
        raise _already(review)
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="risk_assessment",
        entity_id=assessment_id,
        action="decided",
        actor_id=actor.user_id,
        before={"status": Status.PENDING.value},
        after={"status": decision.value, "comment": comment or None},
    )
    return review


async def remember_cards(
    session: AsyncSession, team_id: str, assessment_id: int, posted: Sequence[tuple[str, str]]
) -> None:
    repository = RiskRepository(session)
    for channel, ts in posted:
        repository.add_card(
            RiskReviewCard(team_id=team_id, assessment_id=assessment_id, channel_id=channel, message_ts=ts)
        )


async def cards_of(session: AsyncSession, team_id: str, assessment_id: int) -> Sequence[RiskReviewCard]:
    return await RiskRepository(session).cards(team_id, assessment_id)


def may_see(actor: Actor, assessment: RiskAssessment, project: Project) -> bool:
    return (
        actor.is_admin
        or actor.is_reviewer
        or actor.user_id == assessment.hero_id
        or may_change(actor, project)
        or actor.user_id in member_ids(project)
    )


async def detail(session: AsyncSession, actor: Actor, assessment_id: int) -> Review:
    review = await review_of(session, actor.team_id, assessment_id)
    if not may_see(actor, review.assessment, review.project):
        raise PermissionDenied(f"{label(review.assessment)} is visible to its project's team and to IT reviewers only.")
    return review


LIST_FILTERS = ("mine", "pending")


@dataclass
class ListedAssessment:
    assessment: RiskAssessment
    project: Project
    where: str  # `question 3 of 11`, `its summary`, or the status


@dataclass
class AssessmentPage:
    filter_name: str
    rows: list[ListedAssessment]
    total: int


async def list_assessments(session: AsyncSession, actor: Actor, filter_name: str = "mine") -> AssessmentPage:
    repository = RiskRepository(session)
    if filter_name == "pending":
        found, total = await repository.list(actor.team_id, statuses=[Status.PENDING.value], oldest_first=True)
    else:
        found, total = await repository.list(actor.team_id, hero_id=actor.user_id, limit=15)
    return AssessmentPage(filter_name, await _listed(session, actor.team_id, found), total)


async def _listed(session: AsyncSession, team_id: str, found: Sequence[RiskAssessment]) -> list[ListedAssessment]:
    projects = await _projects(session, team_id, {a.project_id for a in found})
    rows = []
    for assessment in found:
        project = projects.get(assessment.project_id)
        if project is None:
            continue
        rows.append(ListedAssessment(assessment, project, await _where(session, assessment)))
    return rows


async def _where(session: AsyncSession, assessment: RiskAssessment) -> str:
    if assessment.status != Status.IN_PROGRESS:
        return STATUS_LABEL[Status(assessment.status)]
    if assessment.cursor is None:
        return "in progress, at its summary: ready to submit"
    checklist = await checklist_of(session, assessment)
    return f"in progress, at {flow.progress(checklist, assessment.answers or {}, assessment.cursor)}"


async def _projects(session: AsyncSession, team_id: str, ids: set[int]) -> dict[int, Project]:
    if not ids:
        return {}
    rows = await session.scalars(select(Project).where(Project.team_id == team_id, Project.id.in_(ids)))
    return {project.id: project for project in rows.all()}


@dataclass
class HomeRisk:
    """The App Home's risk section: the person's projects with their latest check, and IT's queue."""

    user_id: str
    projects: list[tuple[Project, ListedAssessment | None]]
    queue: list[ListedAssessment] | None  # None: not a reviewer
    queue_total: int = 0


async def home(session: AsyncSession, actor: Actor, projects: Sequence[Project]) -> HomeRisk:
    repository = RiskRepository(session)
    shown = {project.id: project for project in projects if project.stage != "retired"}
    for assessment in await repository.in_progress_of(actor.team_id, actor.user_id):
        if assessment.project_id not in shown:
            shown[assessment.project_id] = await get_project(session, actor.team_id, assessment.project_id)
    latest = await repository.latest_by_project(actor.team_id, list(shown))
    rows: list[tuple[Project, ListedAssessment | None]] = []
    for project in shown.values():
        found = latest.get(project.id)
        rows.append((project, ListedAssessment(found, project, await _where(session, found)) if found else None))
    queue = None
    total = 0
    if actor.is_reviewer:
        pending, total = await repository.list(
            actor.team_id, statuses=[Status.PENDING.value], oldest_first=True, limit=10
        )
        queue = await _listed(session, actor.team_id, pending)
    return HomeRisk(actor.user_id, rows, queue, total)
