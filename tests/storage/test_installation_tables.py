"""Slack installation tables as slack_sdk builds them, and its stores over the migrated schema."""

from datetime import UTC, datetime

import sqlalchemy
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore, SQLAlchemyOAuthStateStore

from storage.database import create_engine, upgrade
from storage.orm.installations import slack_bots, slack_installations, slack_oauth_states


def shape(table):
    columns = [(c.name, type(c.type).__name__, getattr(c.type, "length", None), c.nullable) for c in table.c]
    indexes = sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes)
    return columns, indexes


def test_the_tables_are_slack_sdks_column_for_column():
    theirs = sqlalchemy.MetaData()
    assert shape(slack_installations) == shape(
        SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations")
    )
    assert shape(slack_bots) == shape(SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots"))
    assert shape(slack_oauth_states) == shape(
        SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states")
    )


def installation(team, token, *, installed_at):
    return Installation(
        app_id="A1",
        team_id=team,
        team_name=f"team {team}",
        bot_token=token,
        bot_id="B" + team,
        bot_user_id="U" + team,
        bot_scopes=["chat:write", "reactions:read"],
        user_id="UINSTALLER",
        installed_at=installed_at,
    )


async def test_slack_sdks_stores_work_on_the_migrated_schema(database_url):
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        store = AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=engine)
        other_app = AsyncSQLAlchemyInstallationStore(client_id="999.999", engine=engine)
        first = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
        await store.async_save(installation("T1", "xoxb-t1-old", installed_at=first))
        await store.async_save(installation("T1", "xoxb-t1-new", installed_at=first + 60))
        await store.async_save(installation("T2", "xoxb-t2", installed_at=first))

        found = await store.async_find_installation(enterprise_id=None, team_id="T1")
        assert found is not None
        assert found.bot_token == "xoxb-t1-new"
        bot = await store.async_find_bot(enterprise_id=None, team_id="T2")
        assert bot is not None
        assert bot.bot_token == "xoxb-t2"
        assert bot.bot_user_id == "UT2"
        assert await other_app.async_find_bot(enterprise_id=None, team_id="T2") is None

        await store.async_delete_all(enterprise_id=None, team_id="T1")
        assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
        assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
        assert (await store.async_find_bot(enterprise_id=None, team_id="T2")) is not None

        states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
        state = await states.async_issue()
        assert await states.async_consume(state) is True
        assert await states.async_consume(state) is False  # a state is good once
        assert await states.async_consume("forged") is False
        expired = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=-1, engine=engine)
        assert await expired.async_consume(await expired.async_issue()) is False
    finally:
        await engine.dispose()
