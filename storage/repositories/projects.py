from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, Table, bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.driver import execute_rows, insert_with_ids, select_rows
from storage.models import CompactAcceptance, Project, ProjectMember, ProjectNote
from storage.models.base import detached, detached_rows


class ProjectLine(NamedTuple):
    """What a list shows of a project: one line each, read without loading the whole record."""

    id: int
    title: str
    stage: str
    network: str
    owner_id: str


_PROJECTS: Table = Project.__table__  # type: ignore[assignment]
_INSERT_MEMBER = insert(ProjectMember)
_INSERT_NOTE = insert(ProjectNote)


def insert_project(
    connection: Connection, values: dict[str, Any], member_ids: Sequence[str], first_note: dict[str, Any]
) -> Project:
    """A new project (`values`: every column but its ID), its members and the first entry of its timeline,
    through Core in a `Database.write`; the project as an object outside any session, members loaded."""
    project_id = insert_with_ids(connection, _PROJECTS, [values])[0]
    members: list[dict[str, Any]] = [
        {"project_id": project_id, "user_id": user_id} for user_id in sorted(set(member_ids))
    ]
    if members:
        execute_rows(connection, _INSERT_MEMBER, members)
    execute_rows(connection, _INSERT_NOTE, [{**first_note, "project_id": project_id}])
    return detached(
        Project,
        {
            **values,
            "id": project_id,
            "members": [detached(ProjectMember, member) for member in members],
        },
    )


_PROJECT = select(Project).where(Project.team_id == bindparam("team_id"), Project.id == bindparam("project_id"))
_MEMBERS = (
    select(ProjectMember).where(ProjectMember.project_id == bindparam("project_id")).order_by(ProjectMember.user_id)
)
# Timeline entries read for a project card (it shows the newest of them that fit).
NOTES_SHOWN = 50
_NEWEST_NOTES = (
    select(ProjectNote)
    .where(ProjectNote.team_id == bindparam("team_id"), ProjectNote.project_id == bindparam("project_id"))
    .order_by(ProjectNote.created_at.desc(), ProjectNote.id.desc())
    .limit(bindparam("limit"))
)


def read_project_card(
    connection: Connection, team_id: str, project_id: int, notes: int = NOTES_SHOWN
) -> tuple[Project, list[ProjectNote]] | None:
    """The workspace's project with its members, and the newest `notes` entries of its timeline, oldest
    first (`Database.read`): what the project card shows, as objects outside any session (`notes=0`: the
    project alone). None: no such project in this workspace."""
    params = {"team_id": team_id, "project_id": project_id}
    found = detached_rows(Project, connection.execute(_PROJECT, params))
    if not found:
        return None
    project = found[0]
    project.__dict__["members"] = detached_rows(ProjectMember, connection.execute(_MEMBERS, params))
    if notes <= 0:
        return project, []
    timeline = detached_rows(ProjectNote, connection.execute(_NEWEST_NOTES, {**params, "limit": notes}))
    return project, timeline[::-1]


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, project: Project) -> None:
        self.session.add(project)

    def add_note(self, note: ProjectNote) -> None:
        self.session.add(note)

    async def get(self, team_id: str, project_id: int, *, for_update: bool = False) -> Project | None:
        statement = (
            select(Project)
            .where(Project.team_id == team_id, Project.id == project_id)
            .options(selectinload(Project.members))
        )
        if for_update:
            # The row as it is once the lock is ours: an object this session loaded before the lock (the
            # listener's first read) would otherwise keep the values another instance has since changed.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).first()

    async def list(
        self,
        team_id: str,
        *,
        involving: str | None = None,
        stages: Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[Sequence[Project], int]:
        """Newest first, with the total count for paging."""
        conditions = _filter(bool(involving), bool(stages))
        values = _filter_values(team_id, involving, stages)
        total = await self.session.scalar(select(func.count()).select_from(Project).where(*conditions), values)
        rows = await self.session.scalars(
            select(Project)
            .where(*conditions)
            .options(selectinload(Project.members))
            .order_by(Project.created_at.desc(), Project.id.desc())
            .limit(limit)
            .offset(offset),
            values,
        )
        return rows.all(), int(total or 0)

    async def notes(self, team_id: str, project_id: int, limit: int = NOTES_SHOWN) -> Sequence[ProjectNote]:
        """The newest `limit` entries of the project's timeline, oldest first."""
        params = {"team_id": team_id, "project_id": project_id, "limit": limit}
        return list(reversed((await self.session.scalars(_NEWEST_NOTES, params)).all()))

    async def count_by(self, team_id: str, column: str) -> dict[str, int]:
        field = getattr(Project, column)
        rows = await self.session.execute(select(field, func.count()).where(Project.team_id == team_id).group_by(field))
        return {str(key): int(count) for key, count in rows.all()}

    async def count_by_stage_in_all_workspaces(self) -> dict[str, int]:
        """For /metrics only: an operator's figure across workspaces, never shown to a user."""
        rows = await self.session.execute(select(Project.stage, func.count()).group_by(Project.stage))
        return {str(stage): int(count) for stage, count in rows.all()}

    async def has_accepted_compact(self, team_id: str, user_id: str) -> bool:
        found = await self.session.get(CompactAcceptance, (team_id, user_id))
        return found is not None

    def accept_compact(self, team_id: str, user_id: str) -> None:
        self.session.add(CompactAcceptance(team_id=team_id, user_id=user_id))


_COMPACT_ACCEPTED = select(CompactAcceptance.user_id).where(
    CompactAcceptance.team_id == bindparam("team_id"), CompactAcceptance.user_id == bindparam("user_id")
)


def compact_accepted(connection: Connection, team_id: str, user_id: str) -> bool:
    """Whether this person has accepted the HERO compact (`Database.read`: one look-up by the primary key,
    without a unit of work — `/hero new` asks it on the ack path)."""
    return bool(select_rows(connection, _COMPACT_ACCEPTED, {"team_id": team_id, "user_id": user_id}))


def project_lines(
    connection: Connection,
    team_id: str,
    *,
    involving: str | None = None,
    stages: Sequence[str] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[ProjectLine], int]:
    """One line per project (`Database.read`): the listed columns of one page, and how many there are.

    The page is read along the (team, created) index and stops at `limit`; the total is a count on the
    index, asked only when the page does not tell it (a first page that is not full is everything).
    A window `count(*) OVER ()` beside the page would read every project of the workspace each time.
    """
    page, count = _lines_statements(bool(involving), bool(stages))
    values = _filter_values(team_id, involving, stages)
    rows = select_rows(connection, page, {**values, "limit": limit, "offset": offset})
    complete = offset == 0 and len(rows) < limit  # the first page holds them all: no count needed
    total = len(rows) if complete else int(select_rows(connection, count, values)[0][0] or 0)
    return [ProjectLine(*row) for row in rows], total


@cache
def _lines_statements(involving: bool, stages: bool) -> tuple[Select[int, str, str, str, str], Select[int]]:
    """Built once per shape with bound parameters: building and keying a statement costs more than running it."""
    conditions = _filter(involving, stages)
    page = (
        select(Project.id, Project.title, Project.stage, Project.network, Project.owner_id)
        .where(*conditions)
        .order_by(Project.created_at.desc(), Project.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, select(func.count()).select_from(Project).where(*conditions)


@cache
def _filter(involving: bool, stages: bool) -> tuple[Any, ...]:
    """A list's conditions, with bound parameters for `_filter_values`: the workspace, the projects a
    person owns or is a member of, the stages."""
    conditions: list[Any] = [Project.team_id == bindparam("team_id")]
    if involving:
        member_of = select(ProjectMember.project_id).where(ProjectMember.user_id == bindparam("involving"))
        conditions.append(or_(Project.owner_id == bindparam("involving"), Project.id.in_(member_of)))
    if stages:
        conditions.append(Project.stage.in_(bindparam("stages", expanding=True)))
    return tuple(conditions)


def _filter_values(team_id: str, involving: str | None, stages: Sequence[str] | None) -> dict[str, Any]:
    values: dict[str, Any] = {"team_id": team_id}
    if involving:
        values["involving"] = involving
    if stages:
        values["stages"] = list(stages)
    return values
