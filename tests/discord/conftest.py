"""A running digestbot wired to the local Discord emulator through the real discord.py, on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.bootstrap import Application, bootstrap, default_platform_factories
from adapters.discord.embeds import refs_in
from adapters.discord.platform import make_discord_platform
from adapters.discord.runtime import DiscordRuntime
from bot.config import parse_config
from bot.model import Channel, Platform
from bot.posting.poster import PostReport, RetryPolicy, post_to_channels
from tests.emulators.discord_emulator import DiscordEmulator
from tests.examples import AppWorld, add_newsletter_guild

SECTION_SIZES = {"Top stories": 7, "Mobile & Edge": 8, "Libraries & Code": 3, "Papers & Publications": 3}
VOTE_WEIGHTS = {"👍": 1, "fire": 2, "upvote": 3}


@pytest.fixture(autouse=True)
def restore_discord_globals() -> Iterator[None]:
    """The adapter points discord.py's process-wide endpoints at the emulator; put them back."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def discord_config(
    emu: DiscordEmulator,
    database_url: str,
    guild: int,
    text: int,
    forum: int,
    admins: list[str],
    other: tuple[int, int],
) -> dict[str, Any]:
    return {
        "database": {"url": database_url},
        "admins": {"discord": admins},
        "discord": {"token": emu.token, "api_url": emu.api_base, "gateway_url": emu.gateway_url},
        "votes": {"emoji": VOTE_WEIGHTS},
        "channels": [
            {"name": "newsletter", "platform": "discord", "id": str(text), "guild": str(guild)},
            {"name": "newsletter-forum", "platform": "discord", "id": str(forum), "guild": str(guild)},
            {"name": "other-news", "platform": "discord", "id": str(other[1]), "guild": str(other[0])},
        ],
    }


async def start_app(config: dict[str, Any]) -> tuple[Application, DiscordRuntime]:
    """digestbot as ``digestbot run`` builds it, with discord.py's waits shortened for the emulator."""
    factories = {
        **default_platform_factories(),
        Platform.DISCORD: lambda app: make_discord_platform(
            app.config.discord, app.uow_factory, guild_ready_timeout=0.05, identify_delay=False
        ),
    }
    app = await bootstrap(
        parse_config(config, {}), platform_factories=factories, retry=RetryPolicy(first_delay=0.01)
    )
    runtime = DiscordRuntime(app, ready_timeout=10)
    try:
        await runtime.start()
    except BaseException:
        await app.aclose()
        raise
    return app, runtime


@dataclass
class DiscordWorld(AppWorld):
    emu: DiscordEmulator
    app: Application
    runtime: DiscordRuntime
    config: dict[str, Any]
    guild: int
    text: int
    forum: int
    reader: int  # a member without special permissions
    editor: int  # a member with Manage Server
    named_admin: int  # listed by user id under admins.discord
    role_admin: int  # holds a role listed under admins.discord
    upvote: int  # a custom emoji of the guild
    other_guild: int  # a second guild the bot serves at the same time
    other_text: int
    other_member: int

    def channel(self, name: str = "newsletter") -> Channel:
        return self.app.config.channel(name).to_channel()

    async def post(self, name: str = "newsletter", number: int = 195) -> PostReport:
        [report] = await post_to_channels(self.app.poster, number, [self.channel(name)])
        return report

    def top_level(self) -> list[dict[str, Any]]:
        return self.emu.channel_messages(self.text)

    def thread_items(self, thread_id: int | str) -> list[dict[str, Any]]:
        return self.emu.channel_messages(int(thread_id))

    def item(self, title_part: str) -> tuple[int, int]:
        """(thread id, message id) of the item message whose content mentions ``title_part``."""
        for thread_id in self.emu.threads:
            for message in self.emu.channel_messages(thread_id):
                if title_part in message["content"] and message["embeds"]:
                    return thread_id, int(message["id"])
        raise AssertionError(f"no item message mentions {title_part!r}")


@pytest.fixture
async def discord_world(tmp_path: Path) -> AsyncIterator[DiscordWorld]:
    async with DiscordEmulator(message_rate=(50, 1.0), heartbeat_interval_ms=5_000) as emu:
        newsletter = add_newsletter_guild(emu)
        guild = newsletter.id
        named_admin = emu.add_member(guild, "named-admin")
        admin_role = emu.add_role(guild, "digest-admins")
        role_admin = emu.add_member(guild, "role-admin", roles=[admin_role])
        upvote = emu.add_custom_emoji(guild, "upvote")
        other_guild = emu.add_guild("Another community")
        other_text = emu.add_text_channel(other_guild, "weekly")
        other_member = emu.add_member(other_guild, "elsewhere")
        config = discord_config(
            emu,
            f"sqlite:///{tmp_path / 'bot.db'}",
            guild,
            newsletter.text,
            newsletter.forum,
            [str(named_admin), str(admin_role)],
            (other_guild, other_text),
        )
        app, runtime = await start_app(config)
        try:
            yield DiscordWorld(
                emu, app, runtime, config, guild, newsletter.text, newsletter.forum, newsletter.reader,
                newsletter.editor, named_admin, role_admin, upvote, other_guild, other_text, other_member,
            )  # fmt: skip
        finally:
            await runtime.stop()
            await app.aclose()


def refs(messages: list[dict[str, Any]]) -> list[str]:
    """The delivery references digestbot put on its messages (content or embed footers)."""
    found = []
    for message in messages:
        texts = [message["content"], *((e.get("footer") or {}).get("text", "") for e in message["embeds"])]
        found.extend(ref for text in texts for ref in refs_in(text))
    return found


def everything_in(emu: DiscordEmulator, channel_id: int) -> list[dict[str, Any]]:
    """Every message in a channel and in the threads (or forum posts) under it."""
    messages = list(emu.channel_messages(channel_id))
    for thread_id, thread in emu.threads.items():
        if thread["parent_id"] == str(channel_id):
            messages.extend(emu.channel_messages(thread_id))
    return messages


async def eventually(predicate: Callable[[], Any], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not await predicate():
            await asyncio.sleep(0.02)
