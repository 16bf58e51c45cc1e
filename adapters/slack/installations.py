"""Slack for many workspaces: who installed digestbot, with which bot token, kept in digestbot's database.

slack_sdk's ``AsyncSQLAlchemyInstallationStore`` and ``AsyncSQLAlchemyOAuthStateStore`` do the writing, on
the tables migration 0006 created (``storage/orm/installations.py``), over the bot's own async engine: bolt's
OAuth flow saves an installation through them and its ``authorize`` finds a workspace's token for each
incoming event. The platform asks :meth:`Installations.bot` for the token of a channel's workspace when it
posts; an uninstalled workspace has none, and its channels stop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import desc, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# How long an install link stays good: from /slack/install to Slack sending the browser back.
STATE_EXPIRATION_SECONDS = 600
BOT_CACHE_SECONDS = 60.0


class _Store(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, telling :class:`Installations` when a workspace's bot changes (a reinstall)."""

    def __init__(self, client_id: str, engine: AsyncEngine, changed: Callable[[], None]) -> None:
        super().__init__(
            client_id=client_id, engine=engine, logger=logging.getLogger("digestbot.slack.installations")
        )
        self._changed = changed

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(bot)
        self._changed()

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self._changed()


class Installations:
    """The workspaces that installed this Slack app (``client_id``), and the OAuth states in flight."""

    def __init__(
        self, client_id: str, engine: AsyncEngine, *, state_expiration_seconds: int = STATE_EXPIRATION_SECONDS
    ) -> None:
        self.client_id = client_id
        self.engine = engine
        self._bots: dict[str, tuple[Bot, float]] = {}
        self.store = _Store(client_id, engine, self._bots.clear)
        self.states = AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=state_expiration_seconds,
            engine=engine,
            logger=logging.getLogger("digestbot.slack.oauth_state"),
        )

    async def bot(self, team_id: str) -> Bot | None:
        """The latest bot installed in a workspace, whatever its Enterprise Grid organisation.

        Found bots are remembered for ``BOT_CACHE_SECONDS`` (a post asks once per message); an uninstall
        seen here forgets at once, one seen by another replica within that time (Slack then answers
        ``token_revoked``, a permanent error). A workspace not found is asked again next time."""
        cached = self._bots.get(team_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        bot = await self._find_bot(team_id)
        if bot is not None:
            self._bots[team_id] = (bot, time.monotonic() + BOT_CACHE_SECONDS)
        return bot

    async def _find_bot(self, team_id: str) -> Bot | None:
        bots = self.store.bots
        query = (
            select(bots)
            .where(
                bots.c.client_id == self.client_id, bots.c.team_id == team_id, bots.c.bot_token.is_not(None)
            )
            .order_by(desc(bots.c.installed_at))
            .limit(1)
        )
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return SQLAlchemyInstallationStore.build_bot_entity(row) if row is not None else None

    async def teams(self) -> list[str]:
        """Every workspace with a bot installed, in the order they installed it."""
        bots = self.store.bots
        query = (
            select(bots.c.team_id)
            .where(
                bots.c.client_id == self.client_id, bots.c.bot_token.is_not(None), bots.c.team_id.is_not(None)
            )
            .group_by(bots.c.team_id)
            .order_by(func.min(bots.c.installed_at), bots.c.team_id)
        )
        async with self.engine.connect() as connection:
            return [str(team) for team in (await connection.execute(query)).scalars()]

    async def adopt(self, token: str, who: dict[str, Any]) -> bool:
        """``slack.bot_token``'s workspace (``who``: its ``auth.test``) kept as an installation when it has
        none, so that bolt authorizes that workspace's events too. True when it was saved."""
        team_id = who.get("team_id")
        if not team_id or await self.bot(str(team_id)) is not None:
            return False
        installation = Installation(
            app_id=str(who.get("app_id") or "configured"),
            team_id=str(team_id),
            team_name=who.get("team"),
            bot_token=token,
            bot_id=who.get("bot_id"),
            bot_user_id=who.get("user_id"),
            user_id=str(who.get("user_id") or "configured"),
        )
        await self.store.async_save(installation)
        log.info("slack: workspace %s of slack.bot_token kept with the OAuth installations", team_id)
        return True

    async def uninstall(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget a workspace: its installations and bots (``app_uninstalled``, or its bot token revoked)."""
        await self.store.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        log.warning("slack: workspace %s uninstalled digestbot; its channels are stopped", team_id)

    async def revoke_users(self, *, enterprise_id: str | None, team_id: str | None, users: list[str]) -> None:
        """User tokens revoked: those users' installations go; the workspace's bot stays."""
        for user in users:
            await self.store.async_delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user
            )
