"""Fixtures and helpers of the emulators' own tests: a Discord world with discord.py connected, a Slack
workspace with slack_sdk and bolt pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from aiohttp import web
from discord import app_commands
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.discord_emulator import DiscordEmulator, point_discord_py_at
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import add_newsletter_guild
from tests.local_http import served

INTENTS = discord.Intents(guilds=True, guild_messages=True, guild_reactions=True)


@dataclass
class World:
    emu: DiscordEmulator
    guild: int
    channel: int
    forum: int
    reader: int  # a member without special permissions
    admin: int  # a member with Manage Server


class RecordingClient(discord.Client):
    """A plain discord.py client that records the raw events the tests look at."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(intents=INTENTS, guild_ready_timeout=0.05, **kwargs)
        self.raw_adds: asyncio.Queue[discord.RawReactionActionEvent] = asyncio.Queue()
        self.raw_removes: asyncio.Queue[discord.RawReactionActionEvent] = asyncio.Queue()
        self.resumed_count = 0
        self.ready_count = 0
        self.tree = app_commands.CommandTree(self)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every non-initial IDENTIFY; not needed against the emulator.
        return None

    async def on_ready(self) -> None:
        self.ready_count += 1

    async def on_resumed(self) -> None:
        self.resumed_count += 1

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.raw_adds.put(payload)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.raw_removes.put(payload)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with DiscordEmulator(message_rate=(5, 1.0), heartbeat_interval_ms=500) as emu:
        newsletter = add_newsletter_guild(emu)
        yield World(
            emu, newsletter.id, newsletter.text, newsletter.forum, newsletter.reader, newsletter.editor
        )


@contextlib.asynccontextmanager
async def running(
    emu: DiscordEmulator, client: RecordingClient | None = None
) -> AsyncIterator[RecordingClient]:
    """Log a real discord.py client in against the emulator and wait for on_ready."""
    with point_discord_py_at(emu):
        client = client or RecordingClient()
        await client.login(emu.token)
        task = asyncio.create_task(client.connect(reconnect=True))
        try:
            async with asyncio.timeout(5):
                await client.wait_until_ready()
            await emu.wait_until(lambda: client.ready_count >= 1)  # on_ready runs as a task
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)


@contextlib.asynccontextmanager
async def in_newsletter(world: World) -> AsyncIterator[tuple[RecordingClient, discord.TextChannel]]:
    """discord.py logged in (as :func:`running` does) and the world's newsletter channel as it sees it."""
    async with running(world.emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        yield client, channel


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(post_rate_per_second=None) as emulator:
        yield emulator


def web_client(emu: SlackEmulator, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, **kwargs)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


async def wait_until(predicate: Any, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def serve(app: AsyncApp) -> AsyncIterator[str]:
    """Serve a Bolt AsyncApp's ``POST /slack/events`` on 127.0.0.1 with aiohttp; yields the URL."""

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    async with served(web_app) as base:
        yield f"{base}/slack/events"


def bolt_app(emu: SlackEmulator) -> tuple[AsyncApp, asyncio.Queue[dict[str, Any]]]:
    app = AsyncApp(client=web_client(emu), signing_secret=emu.signing_secret)
    seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @app.event("reaction_added")
    async def on_reaction(body: dict[str, Any], event: dict[str, Any], request: Any) -> None:
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        await seen.put({"event_id": body["event_id"], "event": event, "retry": retry})

    @app.event("reaction_removed")
    async def on_unreaction(body: dict[str, Any], event: dict[str, Any]) -> None:
        await seen.put({"event_id": body["event_id"], "event": event})

    @app.command("/suggest")
    async def on_suggest(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(f"Thanks, queued {command['text'].split()[0]}")
        await seen.put({"command": command})

    return app, seen
