"""HERO project use cases. Functions take an open session and plain data; they flush, never commit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound, PermissionDenied, UserError
from bot.ids import Kind, format_id
from bot.networks import NETWORKS
from bot.permissions import Actor
from bot.projects.stages import Stage, can_move, next_stages
from bot.risk.gate import latest_assessment_approved
from bot.text import clean_text, one_line
from storage.db import Database
from storage.models import Project, ProjectMember, ProjectNote, utcnow
from storage.repositories import audit
from storage.repositories.audit import AuditRepository
from storage.repositories.councils import CouncilRepository
from storage.repositories.projects import (
    NOTES_SHOWN,
    ProjectLine,
    ProjectRepository,
    compact_accepted,
    insert_project,
    project_lines,
    read_project_card,
)

TITLE_MAX = 150
TEXT_MAX = 2900
NOTE_MAX = 2900
MEMBERS_MAX = 20
USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


@dataclass
class ProjectDraft:
    title: str
    problem: str = ""
    network: str = ""
    audience: str = ""
    success_measure: str = ""
    members: list[str] = field(default_factory=list)
    council_id: int | None = None

    def validated(self) -> ProjectDraft:
        title = one_line(self.title)
        if len(title) < 3:
            raise InvalidInput("Give the project a title of at least 3 characters.", "title")
        if len(title) > TITLE_MAX:
            raise InvalidInput(f"Keep the title under {TITLE_MAX} characters.", "title")
        if len(self.problem) > TEXT_MAX:
            raise InvalidInput(f"Keep the problem under {TEXT_MAX} characters.", "problem")
        if len(self.success_measure) > TEXT_MAX:
            raise InvalidInput(f"Keep this under {TEXT_MAX} characters.", "success")
        if self.network and self.network not in NETWORKS:
            raise InvalidInput("Pick a social channel from the list.", "network")
        members = list(dict.fromkeys(self.members))
        if not all(isinstance(m, str) and USER_ID.fullmatch(m) for m in members):
            raise InvalidInput("Pick the team members from the list of people.", "members")
        if len(members) > MEMBERS_MAX:
            raise InvalidInput(f"A project can have at most {MEMBERS_MAX} team members.", "members")
        return ProjectDraft(
            title=title,
            problem=clean_text(self.problem),
            network=self.network,
            audience=one_line(self.audience)[:200],
            success_measure=clean_text(self.success_measure),
            members=members,
            council_id=self.council_id,
        )


def snapshot(project: Project) -> dict[str, Any]:
    return {
        "title": project.title,
        "stage": project.stage,
        "network": project.network,
        "owner_id": project.owner_id,
        "members": sorted(m.user_id for m in project.members),
    }


class Listed(Protocol):
    """What a one-line listing of a project reads: a whole `Project` or a lean `ProjectLine`."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def network(self) -> str: ...
    @property
    def owner_id(self) -> str: ...


def label(project: Listed) -> str:
    return format_id(Kind.PROJECT, project.id)


async def get_project(session: AsyncSession, team_id: str, project_id: int) -> Project:
    project = await ProjectRepository(session).get(team_id, project_id)
    if project is None:
        raise NotFound(f"There is no project {format_id(Kind.PROJECT, project_id)}. Try `/hero list all`.")
    return project


async def project_card(
    database: Database, team_id: str, project_id: int, *, notes: int = NOTES_SHOWN
) -> tuple[Project, Sequence[ProjectNote]]:
    """A project with its members and the newest entries of its timeline, in one short read outside any
    unit of work: what the *View* button shows (`notes=0`: what a button that only checks who may
    change the project needs)."""
    found = await database.read(read_project_card, team_id, project_id, notes)
    if found is None:
        raise NotFound(f"There is no project {format_id(Kind.PROJECT, project_id)}. Try `/hero list all`.")
    return found


def may_change(actor: Actor, project: Project) -> bool:
    return actor.is_admin or actor.user_id == project.owner_id or actor.user_id in member_ids(project)


def member_ids(project: Project) -> list[str]:
    return [member.user_id for member in project.members]


def _require_change_rights(actor: Actor, project: Project) -> None:
    if not may_change(actor, project):
        raise PermissionDenied(
            f"Only the owner <@{project.owner_id}>, the team members or an admin can change {label(project)}."
        )


async def _check_council(session: AsyncSession, team_id: str, council_id: int | None) -> None:
    """A project may name a council of its own workspace only (the modal offers those; a payload may lie)."""
    if council_id is not None and await CouncilRepository(session).get(team_id, council_id) is None:
        raise InvalidInput("That council no longer exists; pick another, or none.", "council")


async def create_project(database: Database, actor: Actor, draft: ProjectDraft, now: datetime) -> Project:
    """Store a new project (owned by `actor`, proposed), its members, its timeline's first entry and its
    audit row in one short Core write (`Database.write`); the project, outside any session."""
    clean = draft.validated()
    if clean.council_id is not None:
        async with database.unit_of_work() as session:
            await _check_council(session, actor.team_id, clean.council_id)
    return await database.write(_store_project, actor, clean, now)


def _store_project(connection: Connection, actor: Actor, clean: ProjectDraft, now: datetime) -> Project:
    values = {
        "team_id": actor.team_id,
        "title": clean.title,
        "problem": clean.problem,
        "network": clean.network,
        "audience": clean.audience,
        "success_measure": clean.success_measure,
        "owner_id": actor.user_id,
        "stage": Stage.PROPOSED.value,
        "council_id": clean.council_id,
        "created_at": now,
        "updated_at": now,
        "launched_at": None,
        "last_activity_at": now,
    }
    first_note = {
        "team_id": actor.team_id,
        "author_id": actor.user_id,
        "kind": "created",
        "body": "",
        "from_stage": None,
        "to_stage": Stage.PROPOSED.value,
        "created_at": now,
    }
    members = [user for user in clean.members if user != actor.user_id]
    project = insert_project(connection, values, members, first_note)
    audit.insert_events(
        connection,
        [
            {
                "team_id": actor.team_id,
                "entity_type": "project",
                "entity_id": project.id,
                "action": "created",
                "actor_id": actor.user_id,
                "before": None,
                "after": snapshot(project),
                "created_at": now,
            }
        ],
    )
    return project


async def update_details(
    session: AsyncSession, actor: Actor, project_id: int, draft: ProjectDraft, now: datetime | None = None
) -> Project:
    clean = draft.validated()
    await _check_council(session, actor.team_id, clean.council_id)
    project = await _locked(session, actor, project_id)
    before = snapshot(project)
    project.title = clean.title
    project.problem = clean.problem
    project.network = clean.network
    project.audience = clean.audience
    project.success_measure = clean.success_measure
    project.council_id = clean.council_id
    project.members = [ProjectMember(user_id=u) for u in clean.members if u != project.owner_id]
    project.updated_at = now or utcnow()
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="project",
        entity_id=project.id,
        action="details_updated",
        actor_id=actor.user_id,
        before=before,
        after=snapshot(project),
    )
    return project


async def add_note(
    session: AsyncSession, actor: Actor, project_id: int, text: str, now: datetime | None = None
) -> ProjectNote:
    body = clean_text(text)
    if not body:
        raise InvalidInput("Write the progress note after the project ID.", "note")
    if len(body) > NOTE_MAX:
        raise InvalidInput(f"Keep a progress note under {NOTE_MAX} characters.", "note")
    project = await _locked(session, actor, project_id)
    now = now or utcnow()
    project.last_activity_at = now
    project.updated_at = now
    note = ProjectNote(
        team_id=actor.team_id, project_id=project.id, author_id=actor.user_id, kind="note", body=body, created_at=now
    )
    ProjectRepository(session).add_note(note)
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="project",
        entity_id=project.id,
        action="note_added",
        actor_id=actor.user_id,
        after={"note": body[:500]},
    )
    await session.flush()
    return note


@dataclass(frozen=True)
class StageChange:
    project: Project
    from_stage: Stage
    to_stage: Stage


async def change_stage(
    session: AsyncSession, actor: Actor, project_id: int, target: Stage, note: str = "", now: datetime | None = None
) -> StageChange:
    project = await _locked(session, actor, project_id)
    current = Stage(project.stage)
    if current == target:
        raise UserError(f"{label(project)} is already *{target.value}*.")
    if not can_move(current, target):
        allowed = ", ".join(f"`{s.value}`" for s in next_stages(current)) or "none: it is retired"
        raise UserError(
            f"{label(project)} cannot move from *{current.value}* to *{target.value}*. "
            f"From {current.value} it can go to: {allowed}."
        )
    if target == Stage.LAUNCHED and not await latest_assessment_approved(session, actor.team_id, project.id):
        raise UserError(
            f"{label(project)} cannot launch yet: its latest IT risk assessment must be approved first. "
            f"Start one with `/risk start {label(project)}`."
        )
    now = now or utcnow()
    project.stage = target.value
    project.updated_at = now
    project.last_activity_at = now
    if target == Stage.LAUNCHED:
        project.launched_at = now
    ProjectRepository(session).add_note(
        ProjectNote(
            team_id=actor.team_id,
            project_id=project.id,
            author_id=actor.user_id,
            kind="stage",
            body=clean_text(note)[:NOTE_MAX],
            from_stage=current.value,
            to_stage=target.value,
            created_at=now,
        )
    )
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="project",
        entity_id=project.id,
        action="stage_changed",
        actor_id=actor.user_id,
        before={"stage": current.value},
        after={"stage": target.value},
    )
    await session.flush()
    return StageChange(project=project, from_stage=current, to_stage=target)


async def _locked(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    project = await ProjectRepository(session).get(actor.team_id, project_id, for_update=True)
    if project is None:
        raise NotFound(f"There is no project {format_id(Kind.PROJECT, project_id)}. Try `/hero list all`.")
    _require_change_rights(actor, project)
    return project


LIST_FILTERS = ("mine", "all", *(stage.value for stage in Stage))


ListedT = TypeVar("ListedT", Project, ProjectLine)


@dataclass(frozen=True)
class ProjectPage(Generic[ListedT]):
    projects: Sequence[ListedT]
    total: int
    filter_name: str
    offset: int
    limit: int


def _list_filter(actor: Actor, filter_name: str) -> dict[str, Any]:
    if filter_name == "mine":
        return {"involving": actor.user_id}
    if filter_name == "all":
        return {}
    return {"stages": [filter_name]}


async def list_projects(
    session: AsyncSession, actor: Actor, filter_name: str = "mine", offset: int = 0, limit: int = 10
) -> ProjectPage[Project]:
    """Whole projects (with their members), for surfaces that go on to use them."""
    rows, total = await ProjectRepository(session).list(
        actor.team_id, **_list_filter(actor, filter_name), limit=limit, offset=offset
    )
    return ProjectPage(rows, total, filter_name, offset, limit)


async def list_project_lines(
    database: Database, actor: Actor, filter_name: str = "mine", offset: int = 0, limit: int = 10
) -> ProjectPage[ProjectLine]:
    """One line per project, in a single query outside any unit of work: what `/hero list` shows."""
    rows, total = await database.read(
        project_lines, actor.team_id, **_list_filter(actor, filter_name), limit=limit, offset=offset
    )
    return ProjectPage(rows, total, filter_name, offset, limit)


@dataclass(frozen=True)
class ProjectStats:
    by_stage: dict[str, int]
    by_network: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


async def project_stats(session: AsyncSession, team_id: str) -> ProjectStats:
    repository = ProjectRepository(session)
    return ProjectStats(
        by_stage=await repository.count_by(team_id, "stage"),
        by_network=await repository.count_by(team_id, "network"),
    )


async def has_accepted_compact(session: AsyncSession, team_id: str, user_id: str) -> bool:
    return await ProjectRepository(session).has_accepted_compact(team_id, user_id)


async def accepted_compact(database: Database, team_id: str, user_id: str) -> bool:
    """`has_accepted_compact` outside a unit of work: a short read, for the ack path."""
    return await database.read(compact_accepted, team_id, user_id)


async def accept_compact(session: AsyncSession, actor: Actor) -> bool:
    """Record the acceptance; False when this person had already accepted."""
    repository = ProjectRepository(session)
    if await repository.has_accepted_compact(actor.team_id, actor.user_id):
        return False
    repository.accept_compact(actor.team_id, actor.user_id)
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type="compact",
        entity_id=None,
        action="accepted",
        actor_id=actor.user_id,
    )
    return True


async def project_notes(session: AsyncSession, team_id: str, project_id: int) -> Sequence[ProjectNote]:
    return await ProjectRepository(session).notes(team_id, project_id)
