"""The state of one risk check as the conversation sees it: its status, its checklist version,
where it is, and the refusals that say why a button changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound, UserError
from bot.ids import Kind, format_id
from bot.projects.service import get_project
from bot.risk import flow
from bot.risk.checklist import Checklist, Question
from bot.risk.ids import Ref
from storage.models import Project, RiskAssessment
from storage.repositories.risk import RiskRepository


class Status(StrEnum):
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


STATUS_LABEL = {
    Status.IN_PROGRESS: "in progress",
    Status.PENDING: "waiting for IT review",
    Status.APPROVED: "approved",
    Status.CHANGES_REQUESTED: "changes requested",
    Status.REJECTED: "rejected",
}


class StaleAction(UserError):
    """A button from an earlier point of the conversation; the message says where it stands now."""

    def __init__(self, message: str, *, resume_id: int | None = None) -> None:
        super().__init__(message)
        self.resume_id = resume_id


class ApprovedAlready(UserError):
    """The project's latest check is approved; a new one would replace it, so the person confirms first."""

    def __init__(self, approved: RiskAssessment, project_name: str) -> None:
        super().__init__(
            f"{project_name}'s latest risk check, {label(approved)}, is approved. Start a new one only if the "
            f"project has changed: it replaces {label(approved)}, and {project_name} can launch only once IT "
            "approves the new one. Your earlier answers will be filled in."
        )
        # plain values: the session's rollback expires the row before anyone reads this
        self.assessment_id = approved.id
        self.project_id = approved.project_id


def label(assessment: RiskAssessment) -> str:
    return format_id(Kind.RISK, assessment.id)


_versions: dict[str, Checklist] = {}


def remember_checklist(checklist: Checklist) -> None:
    _versions.setdefault(checklist.digest, checklist)


async def checklist_of(session: AsyncSession, assessment: RiskAssessment) -> Checklist:
    """The checklist exactly as this assessment was started with, whatever the file says today."""
    digest = assessment.checklist_digest
    if digest not in _versions:
        content = await RiskRepository(session).checklist_content(digest)
        if content is None:
            raise NotFound(f"The checklist version of {label(assessment)} is missing.")
        _versions[digest] = Checklist.model_validate(content)
    return _versions[digest]


@dataclass
class Conversation:
    """An assessment with what it takes to draw its next message."""

    assessment: RiskAssessment
    checklist: Checklist
    project: Project

    @property
    def question(self) -> Question | None:
        cursor = self.assessment.cursor
        return self.checklist.question(cursor) if cursor else None

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.assessment.answers or {})

    def progress(self) -> flow.Progress | None:
        question = self.question
        return flow.progress(self.checklist, self.answers, question.id) if question else None

    def where(self) -> str:
        """`question 5 of 11` or `its summary`, for messages that say where the conversation is."""
        progress = self.progress()
        return str(progress) if progress else "its summary"

    def ref(self, question_id: str | None = None, value: str | None = None) -> Ref:
        return Ref(a=self.assessment.id, s=self.assessment.step, q=question_id, v=value)


async def load_conversation(session: AsyncSession, assessment: RiskAssessment) -> Conversation:
    project = await get_project(session, assessment.team_id, assessment.project_id)
    return Conversation(assessment, await checklist_of(session, assessment), project)
