"""Reading complaints: lists with filters and pages, one complaint's details, a person's Home section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.complaints.fields import normalise_tags
from bot.complaints.service import get_complaint, tags_of
from bot.permissions import Actor
from storage.models import Complaint, ComplaintNote
from storage.repositories.complaints import OPEN_STATUSES, ComplaintRepository

LIST_FILTERS = ("open", "mine", "overdue", "all")
PAGE_SIZE = 10


@dataclass(frozen=True)
class ComplaintPage:
    complaints: Sequence[Complaint]
    tags: dict[int, list[str]]
    total: int
    filter_name: str  # open | mine | overdue | all | tag:<tag>
    page: int
    page_size: int
    now: datetime

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def parse_filter(text: str) -> tuple[str, int] | None:
    """`open`, `mine page 2`, `tag:refunds 3` → (filter, page); None when it is not a list I know."""
    words = text.lower().split()
    page = 1
    if len(words) >= 2 and words[-2] == "page" and words[-1].isdigit():
        page, words = int(words[-1]), words[:-2]
    elif len(words) >= 2 and words[-1].isdigit():
        page, words = int(words[-1]), words[:-1]
    if len(words) > 1 or page < 1:
        return None
    name = words[0] if words else "open"
    if name.startswith("tag:") or name.startswith("#"):
        tag = normalise_tags([name.removeprefix("tag:")])
        return (f"tag:{tag[0]}", page) if tag else None
    return (name, page) if name in LIST_FILTERS else None


async def list_complaints(
    session: AsyncSession, actor: Actor, filter_name: str, page: int, now: datetime, page_size: int = PAGE_SIZE
) -> ComplaintPage:
    repository = ComplaintRepository(session)
    options: dict[str, Any] = {"limit": page_size, "offset": (page - 1) * page_size}
    if filter_name == "open":
        options["statuses"] = OPEN_STATUSES
    elif filter_name == "mine":
        options.update(statuses=OPEN_STATUSES, owner_id=actor.user_id)
    elif filter_name == "overdue":
        options.update(statuses=OPEN_STATUSES, overdue_at=now)
    elif filter_name.startswith("tag:"):
        options["tag"] = filter_name.removeprefix("tag:")
    rows, total = await repository.page(actor.team_id, **options)
    tags = await repository.tags_of([row.id for row in rows])
    return ComplaintPage(rows, tags, total, filter_name, page, page_size, now)


@dataclass(frozen=True)
class ComplaintDetail:
    complaint: Complaint
    tags: list[str]
    notes: Sequence[ComplaintNote]
    trail: Sequence[Any]


async def detail(session: AsyncSession, team_id: str, complaint_id: int) -> ComplaintDetail:
    complaint = await get_complaint(session, team_id, complaint_id)
    repository = ComplaintRepository(session)
    return ComplaintDetail(
        complaint,
        await tags_of(session, complaint),
        await repository.notes(team_id, complaint_id),
        await repository.audit_trail(team_id, complaint_id),
    )


@dataclass(frozen=True)
class HomeComplaints:
    complaints: Sequence[Complaint]
    total: int
    now: datetime


async def home(session: AsyncSession, actor: Actor, now: datetime, limit: int = 8) -> HomeComplaints:
    rows, total = await ComplaintRepository(session).owned_open(actor.team_id, actor.user_id, limit)
    return HomeComplaints(rows, total, now)


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    return complaint.status in OPEN_STATUSES and complaint.first_response_at is None and complaint.due_at < now
