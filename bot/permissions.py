"""Who is acting, and what their role lets them do. Resolved on the server for every action."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    team_id: str
    user_id: str
    is_admin: bool = False
    is_reviewer: bool = False
