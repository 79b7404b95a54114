"""Slack installations and OAuth states, for the multi-workspace install flow.

slack_sdk's async SQLAlchemy stores read and write these tables; their shape is slack_sdk's own (built by
its classmethods, so it cannot drift), declared here so Alembic and the tests know them. Every row
carries its workspace's `team_id`.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Index

from storage.models.base import Base

slack_installations = SQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
slack_bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, "slack_oauth_states")

# The state store looks states up one by one, and the install flow's clients are looked up by team.
Index("ix_slack_oauth_states_state", slack_oauth_states.c.state)
Index("ix_slack_bots_team_id", slack_bots.c.team_id)
