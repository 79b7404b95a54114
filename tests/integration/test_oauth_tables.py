"""The OAuth tables our migration creates are the ones slack_sdk's stores read and write."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import inspect

from storage.db import Database


async def test_the_migrated_tables_have_every_column_of_slack_sdks_stores(database: Database) -> None:
    store = AsyncSQLAlchemyInstallationStore(client_id="1.2", engine=database.engine)
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=database.engine)
    expected = {
        table.name: {c.name for c in table.columns} for table in [store.installations, store.bots, states.oauth_states]
    }
    async with database.engine.connect() as connection:
        found = await connection.run_sync(
            lambda sync: {name: {c["name"] for c in inspect(sync).get_columns(name)} for name in expected}
        )
    assert found == expected


async def test_slack_sdks_stores_work_on_the_migrated_database(database: Database) -> None:
    store = AsyncSQLAlchemyInstallationStore(client_id="1.2", engine=database.engine)
    await store.async_save(
        Installation(
            app_id="A1",
            enterprise_id=None,
            team_id="T1",
            bot_token="xoxb-T1-1",
            bot_id="B1",
            bot_user_id="U0BOT",
            bot_scopes=["chat:write"],
            user_id="U1",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-T1-1"
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=database.engine)
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
