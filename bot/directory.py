"""Who people are, looked up in Slack and cached briefly: admins, time zones, user-group members.

Permissions are decided on the server from these answers, never from what a payload claims.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.permissions import Actor
from bot.settings import Settings


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    is_admin: bool
    tz: str


@dataclass(frozen=True)
class Group:
    id: str
    handle: str
    name: str


class Directory:
    def __init__(
        self,
        settings: Settings,
        *,
        ttl_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.ttl = ttl_seconds
        self.monotonic = monotonic
        self._people: dict[tuple[str, str], tuple[float, Person]] = {}
        self._groups: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._group_lists: dict[str, tuple[float, list[Group]]] = {}

    def _fresh(self, stamp: float) -> bool:
        return self.monotonic() - stamp < self.ttl

    async def person(self, client: AsyncWebClient, team_id: str, user_id: str) -> Person:
        cached = self._people.get((team_id, user_id))
        if cached and self._fresh(cached[0]):
            return cached[1]
        try:
            answer = await client.users_info(user=user_id)
            user: dict[str, Any] = answer.get("user") or {}
            person = Person(
                user_id=user_id,
                name=user.get("real_name") or user.get("name") or user_id,
                is_admin=bool(user.get("is_admin") or user.get("is_owner")),
                tz=user.get("tz") or "UTC",
            )
        except SlackApiError:
            person = Person(user_id=user_id, name=user_id, is_admin=False, tz="UTC")
        self._people[(team_id, user_id)] = (self.monotonic(), person)
        return person

    async def group_members(self, client: AsyncWebClient, team_id: str, handle_or_id: str) -> frozenset[str]:
        """Members of a user group named by handle (`it-reviewers`, `@it-reviewers`) or ID (`S…`)."""
        key = (team_id, handle_or_id)
        cached = self._groups.get(key)
        if cached and self._fresh(cached[0]):
            return cached[1]
        members = await self._fetch_group(client, handle_or_id.lstrip("@"))
        self._groups[key] = (self.monotonic(), members)
        return members

    async def _fetch_group(self, client: AsyncWebClient, handle_or_id: str) -> frozenset[str]:
        group_id = handle_or_id if handle_or_id.startswith("S") and handle_or_id.isupper() else None
        try:
            if group_id is None:
                groups = (await client.usergroups_list()).get("usergroups") or []
                group_id = next((g["id"] for g in groups if g.get("handle") == handle_or_id), None)
                if group_id is None:
                    return frozenset()
            users = (await client.usergroups_users_list(usergroup=group_id)).get("users") or []
        except SlackApiError:
            return frozenset()
        return frozenset(users)

    async def groups(self, client: AsyncWebClient, team_id: str) -> list[Group]:
        """The workspace's user groups (enabled ones), by handle; empty when Slack cannot say."""
        cached = self._group_lists.get(team_id)
        if cached and self._fresh(cached[0]):
            return cached[1]
        try:
            listed = (await client.usergroups_list()).get("usergroups") or []
        except SlackApiError:
            return []
        found = sorted(
            (
                Group(id=g["id"], handle=g.get("handle") or g["id"], name=g.get("name") or g.get("handle") or g["id"])
                for g in listed
                if g.get("id") and not g.get("date_delete")
            ),
            key=lambda g: g.handle.casefold(),
        )
        self._group_lists[team_id] = (self.monotonic(), found)
        return found

    async def is_admin(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        if user_id in self.settings.admin_ids:
            return True
        return (await self.person(client, team_id, user_id)).is_admin

    async def is_reviewer(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        members = await self.group_members(client, team_id, self.settings.hero_it_reviewers_group)
        return user_id in members

    async def actor(self, client: AsyncWebClient, team_id: str, user_id: str, *, reviewer: bool = False) -> Actor:
        """The acting person with their roles; the reviewer check costs Slack calls, so it is asked for."""
        return Actor(
            team_id=team_id,
            user_id=user_id,
            is_admin=await self.is_admin(client, team_id, user_id),
            is_reviewer=await self.is_reviewer(client, team_id, user_id) if reviewer else False,
        )

    def forget(self) -> None:
        self._people.clear()
        self._groups.clear()
        self._group_lists.clear()
