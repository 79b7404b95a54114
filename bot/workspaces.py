"""A Slack client for a workspace outside any request: what scheduled jobs use to post.

Inside a request Bolt hands each listener a client already holding that workspace's token. A job that
acts on stored records has only their `team_id`; it asks `await runtime.client_for(record.team_id)`:

- one workspace (SLACK_BOT_TOKEN): the bot's client, after checking the token belongs to that team, so
  records of another workspace (a database reused after a token change) are never posted to this one;
- many workspaces (OAuth): a client holding the newest bot token installed for that team, read from the
  installation store (our database) at each call, so an uninstall takes effect at once.

Either way an unknown workspace raises `WorkspaceNotInstalled`: skip its records, keep going.
"""

from __future__ import annotations

from typing import Protocol

from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import desc, select

from bot.metrics import Metrics
from bot.slack_client import copy_client


class WorkspaceNotInstalled(Exception):
    def __init__(self, team_id: str) -> None:
        super().__init__(f"the bot is not installed in workspace {team_id}")
        self.team_id = team_id


class Workspaces(Protocol):
    async def client_for(self, team_id: str) -> AsyncWebClient: ...

    async def team_ids(self) -> list[str]: ...


class SingleWorkspace:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._team_id: str | None = None

    async def _own_team(self) -> str:
        if self._team_id is None:
            answer = await self.client.auth_test()
            self._team_id = str(answer["team_id"])
        return self._team_id

    async def client_for(self, team_id: str) -> AsyncWebClient:
        if team_id != await self._own_team():
            raise WorkspaceNotInstalled(team_id)
        return self.client

    async def team_ids(self) -> list[str]:
        return [await self._own_team()]


class InstalledWorkspaces:
    def __init__(self, store: AsyncSQLAlchemyInstallationStore, client: AsyncWebClient, metrics: Metrics) -> None:
        self.store = store
        self.client = client
        self.metrics = metrics

    async def client_for(self, team_id: str) -> AsyncWebClient:
        bots = self.store.bots
        # By team alone: a workspace of an Enterprise Grid is stored with its enterprise_id too, and our
        # records carry only the team.
        query = (
            select(bots)
            .where(bots.c.client_id == self.store.client_id, bots.c.team_id == team_id, bots.c.bot_token.is_not(None))
            .order_by(desc(bots.c.installed_at))
            .limit(1)
        )
        async with self.store.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            raise WorkspaceNotInstalled(team_id)
        bot = SQLAlchemyInstallationStore.build_bot_entity(row)
        return copy_client(self.client, self.metrics, token=bot.bot_token, team_id=team_id)

    async def team_ids(self) -> list[str]:
        bots = self.store.bots
        query = (
            select(bots.c.team_id)
            .where(bots.c.client_id == self.store.client_id, bots.c.bot_token.is_not(None), bots.c.team_id.is_not(None))
            .distinct()
            .order_by(bots.c.team_id)
        )
        async with self.store.engine.connect() as connection:
            return [str(team) for team in (await connection.scalars(query)).all()]
