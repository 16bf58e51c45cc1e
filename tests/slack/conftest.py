"""A running digestbot (HTTP mode) wired to a local Slack emulator, on a real SQLite database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from adapters.bootstrap import Application, bootstrap
from adapters.slack.app import SlackRuntime
from bot.config import parse_config
from bot.model import Channel
from bot.posting.poster import PostReport, post_to_channels
from tests.emulators.slack_emulator import AppResponse, SlackEmulator, User
from tests.examples import AppWorld

ADMIN = "U0ADMIN001"

# Hypothesis over a running world: the fixture is made once for all examples, and each example is a
# round trip through the emulator.
fuzz_a_running_world = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class SlackWorld(AppWorld):
    emu: SlackEmulator
    app: Application
    runtime: SlackRuntime
    channel_id: str

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.port}/slack/events"

    @property
    def channel(self) -> Channel:
        return self.app.config.channel("newsletter").to_channel()

    async def post(self, number: int = 195) -> PostReport:
        [report] = await post_to_channels(self.app.poster, number, [self.channel])
        return report

    def item_ts(self, title: str) -> str:
        for parent in self.emu.messages(self.channel_id):
            for reply in self.emu.replies(self.channel_id, parent.ts):
                if title in reply.text:
                    return reply.ts
        raise AssertionError(f"no item message titled {title!r}")


def slack_config(emu: SlackEmulator, database_url: str, channel_id: str, **slack: Any) -> dict[str, Any]:
    return {
        "database": {"url": database_url},
        "admins": {"slack": [ADMIN]},
        "slack": {
            "bot_token": emu.bot_token,
            "signing_secret": emu.signing_secret,
            "api_url": emu.api_url,
            "http": {"host": "127.0.0.1", "port": 0},
            "messages_per_second": 50,
            "burst": 10,
            **slack,
        },
        "votes": {"emoji": {"+1": 1, "fire": 2, "heart": 1}},
        "channels": [{"name": "newsletter", "platform": "slack", "id": channel_id}],
    }


@contextlib.asynccontextmanager
async def serving(app: Application, emu: SlackEmulator) -> AsyncIterator[SlackRuntime]:
    """digestbot's Slack runtime on a free port, with the emulator's events sent to it; afterwards the
    runtime is stopped and ``app`` closed."""
    runtime = SlackRuntime(app)
    await runtime.start()
    emu.event_request_url = f"http://127.0.0.1:{runtime.port}/slack/events"
    try:
        yield runtime
    finally:
        await runtime.stop()
        await app.aclose()


@pytest.fixture
async def slack_world(tmp_path: Path) -> AsyncIterator[SlackWorld]:
    async with SlackEmulator(post_rate_per_second=50, post_burst=10) as emu:
        channel_id = emu.add_channel("newsletter")
        emu.users[ADMIN] = User(ADMIN, "admin", "Ada Admin")
        config = parse_config(slack_config(emu, f"sqlite:///{tmp_path / 'bot.db'}", channel_id), {})
        app = await bootstrap(config)
        async with serving(app, emu) as runtime:
            yield SlackWorld(emu, app, runtime, channel_id)


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 5.0) -> None:
    """Reactions are acknowledged before they are stored: wait (bounded) until ``check`` holds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the expected state was not reached in time")
        await asyncio.sleep(0.02)


async def reply_to(emu: SlackEmulator, answer: AppResponse, *, within: float = 5.0) -> dict[str, Any]:
    """What the user sees for a slash command: the reply in the acknowledgement, or the one that the bot
    sent to ``response_url`` when the reply was not ready in time for the acknowledgement."""
    assert answer.status == 200, answer.body
    assert answer.elapsed < 3, "Slack shows an error when a command is not acknowledged within 3 s"
    assert answer.trigger_id is not None

    async def replied() -> bool:
        return any(r.body.get("text") for r in emu.responses_for(answer.trigger_id))

    await eventually(replied, within=within)
    [reply] = [r.body for r in emu.responses_for(answer.trigger_id) if r.body.get("text")]
    return reply
