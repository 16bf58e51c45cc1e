"""The Discord side of ``digestbot run``: the gateway connection, the cogs, and command sync.

``start`` logs in, adds the cogs, connects the gateway in a background task, waits until discord.py is
ready, syncs the slash commands to each guild (guild commands appear at once; global ones can take an
hour), then recovers in the background the votes given while the bot was down. ``stop`` closes it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import discord

from adapters.bootstrap import Application, reconcile_on_start
from adapters.discord.client import DigestBot
from adapters.discord.cogs import DigestCog, SuggestCog, TriageCog, VotesCog, on_app_command_error
from adapters.discord.platform import DiscordPlatform
from bot.community.suggestions import Actor, Reply
from bot.config import ConfigError
from bot.model import DEFAULT_NEWSLETTER, Channel, Platform, issue_label
from bot.ports import PlatformError
from bot.posting.poster import post_to_channels

log = logging.getLogger(__name__)


class DiscordRuntime:
    """Serves Discord until stopped: reactions, ``/suggest`` and ``/digest`` in every guild at once."""

    def __init__(self, app: Application, *, ready_timeout: float = 60.0, reconcile: bool = True) -> None:
        self.app = app
        platform = app.platform(Platform.DISCORD)
        if not isinstance(platform, DiscordPlatform) or not isinstance(platform.client, DigestBot):
            raise ConfigError("the Discord runtime needs the discord.py platform (adapters.discord.platform)")
        self.platform = platform
        self.bot: DigestBot = platform.client
        self.ready_timeout = ready_timeout
        self.reconcile = reconcile
        self._connection: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[object]] = set()
        self.synced_guilds: list[int] = []

    @property
    def channels(self) -> list[Channel]:
        return [c for c in self.app.channels() if c.platform is Platform.DISCORD]

    async def start(self) -> None:
        try:
            await self.platform.ensure_login()
        except PlatformError as error:
            if error.permanent:
                raise ConfigError(f"discord: {error}") from None
            raise
        await self.bot.add_cog(VotesCog(self.bot, self.app))
        await self.bot.add_cog(SuggestCog(self.app))
        await self.bot.add_cog(DigestCog(self.app, self.request_post))
        await self.bot.add_cog(TriageCog(self.app))
        self.bot.tree.on_error = on_app_command_error  # type: ignore[method-assign]
        self._connection = asyncio.create_task(self._connect(), name="discord-gateway")
        ready = asyncio.create_task(self.bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {ready, self._connection}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
        if ready not in done:
            await self.stop()
            if not done:
                raise PlatformError(f"the Discord gateway was not ready within {self.ready_timeout:g}s")
            raise PlatformError("the Discord gateway connection ended before it was ready")
        log.info("discord: connected as %s to %d guild(s)", self.bot.user, len(self.bot.guilds))
        if self.app.config.discord.sync_commands:
            await self.sync_commands()
        if self.reconcile:
            self._spawn(reconcile_on_start(self.app, Platform.DISCORD), "discord-reconcile")

    async def _connect(self) -> None:
        try:
            await self.bot.connect(reconnect=True)
        except discord.LoginFailure:
            log.error("discord: the bot token was refused")
        except discord.PrivilegedIntentsRequired:
            log.error("discord: the gateway refused the intents")
        except (discord.DiscordException, OSError) as error:
            if not self.bot.is_closed():
                log.error("discord: gateway connection ended: %s: %s", error.__class__.__name__, error)

    def guild_ids(self) -> list[int]:
        """The configured channels' guilds; without any, every guild the bot is in."""
        configured = {int(c.guild_id) for c in self.channels if c.guild_id and c.guild_id.isdigit()}
        return sorted(configured or {g.id for g in self.bot.guilds})

    async def sync_commands(self) -> None:
        tree = self.bot.tree
        for guild_id in self.guild_ids():
            guild = discord.Object(guild_id)
            tree.copy_global_to(guild=guild)
            try:
                synced = await tree.sync(guild=guild)
            except (discord.DiscordException, OSError) as error:
                log.warning("discord: could not register the slash commands in guild %s: %s", guild_id, error)
                continue
            self.synced_guilds.append(guild_id)
            log.info("discord: registered %s in guild %s", ", ".join(f"/{c.name}" for c in synced), guild_id)

    async def request_post(
        self, actor: Actor, number: int | None, newsletter: str = DEFAULT_NEWSLETTER
    ) -> Reply:
        """``/digest post [N]``: post issue N of the newsletter to the channel the command came from, if
        it is configured."""
        channel = next((c for c in self.channels if c.id == actor.channel_id), None)
        if channel is None:
            return Reply(
                "This channel is not configured for digestbot: add it under channels: in the config.",
                ok=False,
            )
        async with self.app.uow_factory() as uow:
            if number is None:
                number = await uow.issues.latest_number(newsletter=newsletter)
                if number is None:
                    return Reply("No issue has been ingested yet.", ok=False)
            elif await uow.issues.get(number, newsletter=newsletter) is None:
                return Reply(f"There is no issue {issue_label(newsletter, number)}.", ok=False)
        self._spawn(self._post(number, channel, newsletter), f"discord-post-{newsletter}-{number}")
        return Reply(f"Posting {issue_label(newsletter, number)} to {channel.name}…")

    async def _post(self, number: int, channel: Channel, newsletter: str) -> None:
        [report] = await post_to_channels(self.app.poster, number, [channel], newsletter=newsletter)
        label = issue_label(newsletter, number)
        if report.errors:
            log.warning("discord: posting %s to %s failed: %s", label, channel.name, report.errors[0])
        else:
            log.info("discord: posted %s to %s (%d sent)", label, channel.name, report.sent)

    def _spawn(self, work: Coroutine[Any, Any, object], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.bot.close()  # no new events from here on
        if self._connection is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._connection, 10)
            self._connection = None
        if not await self.app.votes.drain():
            log.warning("discord: stopped before every reaction received was stored")
