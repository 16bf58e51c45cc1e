"""Two newsletters with the same issue number, on the Slack and Discord emulators at once: each channel
gets the newsletters it names, on its own schedule and through its own filter; votes, /digest top and
/suggest keep the two #195s apart on both platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.bootstrap import Application, bootstrap, default_platform_factories
from adapters.discord.platform import make_discord_platform
from adapters.discord.runtime import DiscordRuntime
from adapters.scheduling import build_scheduler
from adapters.slack.app import SlackRuntime
from bot.config import parse_config
from bot.ingest import parse_file
from bot.model import Platform
from bot.posting.poster import RetryPolicy
from bot.scheduling.ports import RunState
from tests.discord.conftest import everything_in, refs
from tests.emulators.discord_emulator import DiscordEmulator
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import EXAMPLE, add_newsletter_guild, store_in
from tests.fakes import FakeClock
from tests.slack.conftest import eventually, reply_to
from tests.slack.test_slack_processes import delivery_keys

GLEAM = Path(__file__).resolve().parents[1] / "fixtures" / "newsletters" / "twir-like.md"
MONDAY_9 = {"weekday": "monday", "time": "09:00"}
TUESDAY_10 = {"weekday": "tuesday", "time": "10:00"}


@dataclass
class TwoNewsletters:
    app: Application
    slack: SlackEmulator
    discord: DiscordEmulator
    slack_channel: str
    events_url: str
    guild: int
    text: int
    reader: int


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[TwoNewsletters]:
    async with SlackEmulator(post_rate_per_second=100, post_burst=20) as slack, DiscordEmulator() as discord:
        slack_channel = slack.add_channel("ml-news")
        guild = add_newsletter_guild(discord)
        config = {
            "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
            "slack": {
                "bot_token": slack.bot_token,
                "signing_secret": slack.signing_secret,
                "api_url": slack.api_url,
                "http": {"host": "127.0.0.1", "port": 0},
                "messages_per_second": 100,
                "burst": 20,
            },
            "discord": {
                "token": discord.token,
                "api_url": discord.api_base,
                "gateway_url": discord.gateway_url,
            },
            "votes": {"emoji": {"+1": 1, "fire": 2}},
            "newsletters": [
                {"id": "dlw", "name": "Deep Learning Weekly"},
                # Its own vote settings: 👍 weighs 3, and 🔥 does not count.
                {"id": "gleam", "name": "This Week in Gleam", "votes": {"emoji": {"+1": 3}}},
            ],
            "channels": [
                {
                    "name": "ml-news",
                    "platform": "slack",
                    "id": slack_channel,
                    "filter": {"sponsored": False},
                    "newsletters": [
                        {"id": "dlw", "schedule": MONDAY_9},
                        {"id": "gleam", "schedule": TUESDAY_10},
                    ],
                },
                {
                    "name": "gleam-community",
                    "platform": "discord",
                    "id": str(guild.text),
                    "guild": str(guild.id),
                    "filter": {"sections": {"include": ["Updates from the Community*"]}},
                    "newsletters": [{"id": "gleam", "schedule": MONDAY_9}],
                },
            ],
        }
        factories = {
            **default_platform_factories(),
            Platform.DISCORD: lambda app: make_discord_platform(
                app.config.discord, app.uow_factory, guild_ready_timeout=0.05, identify_delay=False
            ),
        }
        app = await bootstrap(
            parse_config(config, {}),
            clock=FakeClock(),  # Monday 2026-11-23 09:00 UTC
            platform_factories=factories,
            retry=RetryPolicy(first_delay=0.01),
        )
        slack_runtime, discord_runtime = SlackRuntime(app), DiscordRuntime(app, ready_timeout=10)
        try:
            await slack_runtime.start()
            await discord_runtime.start()
            events_url = f"http://127.0.0.1:{slack_runtime.port}/slack/events"
            slack.event_request_url = events_url
            yield TwoNewsletters(
                app, slack, discord, slack_channel, events_url, guild.id, guild.text, guild.reader
            )
        finally:
            await discord_runtime.stop()
            await slack_runtime.stop()
            await app.aclose()


async def store_both(app: Application) -> None:
    [dlw] = parse_file(EXAMPLE)  # Deep Learning Weekly #195
    [gleam] = parse_file(GLEAM)
    dlw.newsletter_id = "dlw"
    gleam.newsletter_id, gleam.number = "gleam", 195  # the same number, another newsletter
    await store_in(app, dlw)
    await store_in(app, gleam)


def slack_item(world: TwoNewsletters, title: str) -> str:
    for parent in world.slack.messages(world.slack_channel):
        for reply in world.slack.replies(world.slack_channel, parent.ts):
            if title in reply.text:
                return reply.ts
    raise AssertionError(f"no Slack item message titled {title!r}")


def discord_everything(world: TwoNewsletters) -> list[dict]:
    return everything_in(world.discord, world.text)


async def slack_command(world: TwoNewsletters, command: str, text: str) -> str:
    answer = await world.slack.send_slash_command(
        world.events_url, command, text, channel_id=world.slack_channel
    )
    return str((await reply_to(world.slack, answer))["text"])


async def test_two_newsletters_with_the_same_numbers_reach_each_channel_on_its_schedule(world):
    await store_both(world.app)
    scheduler = build_scheduler(world.app)
    assert scheduler is not None
    clock = world.app.clock
    assert isinstance(clock, FakeClock)

    monday = await scheduler.tick()
    done = sorted((o.run.channel_name, o.run.newsletter_id) for o in monday if o.state is RunState.DONE)
    assert done == [("gleam-community", "gleam"), ("ml-news", "dlw")]
    # Slack: Deep Learning Weekly #195 without its sponsored item (4 sections, 20 items), nothing of Gleam.
    keys = delivery_keys(world.slack, world.slack_channel)
    assert len(keys) == len(set(keys)) == 25
    assert all(key.startswith(f"digestbot:dlw/195:slack:{world.slack_channel}:") for key in keys)
    assert world.slack.messages(world.slack_channel)[0].text.startswith("Deep Learning Weekly: Issue #195")
    # Discord: This Week in Gleam "#195" with only its community sections (3 sections, 4 items).
    on_discord = discord_everything(world)
    assert len(on_discord) == len(set(refs(on_discord))) == 8
    assert "Gleam" in on_discord[0]["content"] + str(on_discord[0]["embeds"])
    assert not any("Lyra" in str(m) for m in on_discord)

    clock.current += timedelta(days=1, hours=1)  # Tuesday 10:00: Gleam's turn on Slack
    tuesday = await scheduler.tick()
    assert [(o.run.channel_name, o.run.newsletter_id, o.state) for o in tuesday] == [
        ("ml-news", "gleam", RunState.DONE)
    ]
    keys = delivery_keys(world.slack, world.slack_channel)
    gleam_keys = [k for k in keys if k.startswith("digestbot:gleam/195:")]
    assert len(keys) == len(set(keys)) == 25 + 17
    assert len(gleam_keys) == 17  # 7 sections, 9 items: this channel filters only sponsored items
    assert len(discord_everything(world)) == 8  # Discord has no Tuesday schedule

    # Votes on each #195 count for their own newsletter, on both platforms.
    alice = world.slack.default_user_id
    await world.slack.add_reaction(world.slack_channel, slack_item(world, "Lyra"), alice, "fire")
    await world.slack.add_reaction(world.slack_channel, slack_item(world, "lustre_fx"), alice, "+1")
    await world.slack.add_reaction(world.slack_channel, slack_item(world, "lustre_fx"), alice, "fire")
    thread, message = next(
        (int(m["channel_id"]), int(m["id"]))
        for m in discord_everything(world)
        if "Gleam 1.4 released" in m["content"] and m["embeds"]
    )
    await world.discord.dispatch_reaction_add(thread, message, world.reader, "👍")

    async def counted() -> bool:
        scores = [await world.app.votes.scores(195, n) for n in ("dlw", "gleam")]
        return [sum(s.score for s in each or []) for each in scores] == [2, 6]

    await eventually(counted)
    assert await world.app.votes.drain()
    assert await counted()  # the 🔥 on a Gleam item, which Gleam's votes do not count, changed nothing
    async with world.app.uow_factory() as uow:
        gleam_votes = await uow.votes.for_issue(195, newsletter="gleam")
    assert sorted(v.emoji for v in gleam_votes) == ["thumbsup", "thumbsup"]  # the 🔥 was not stored
    assert (await slack_command(world, "/digest", "top dlw")).startswith(
        "Top items of issue dlw #195:\n1. Google Open-Sources Lyra"
    )
    gleam_top = await slack_command(world, "/digest", "top gleam 195")
    assert gleam_top.startswith("Top items of issue gleam #195:\n1. ")
    assert "lustre_fx" in gleam_top
    assert "Gleam 1.4 released" in gleam_top
    assert "Lyra" not in gleam_top
    assert "say which, for example /digest top ID (dlw, gleam)" in await slack_command(
        world, "/digest", "top"
    )
    on_discord = await world.discord.dispatch_slash_command(
        world.guild, world.text, world.reader, "digest top"
    )
    reply = await on_discord.final()  # the channel gets Gleam only: no id needed
    assert reply.ephemeral
    assert (reply.content or "").startswith("Top items of issue gleam #195:")

    # Suggestions name their newsletter: the channel's, or --for / the Discord "for" option.
    assert await slack_command(world, "/suggest", "--for gleam https://example.com/crate A crate") == (
        "Thanks! https://example.com/crate is suggested for the next issue of This Week in Gleam."
    )
    assert "Nothing was saved" in await slack_command(world, "/suggest", "https://example.com/which")
    unknown = await world.discord.dispatch_slash_command(
        world.guild, world.text, world.reader, "suggest", {"url": "https://example.com/x", "for": "rust"}
    )
    assert (await unknown.final()).content == (
        "There is no newsletter 'rust'. Newsletters: dlw, gleam. Nothing was saved."
    )
    by_channel = await world.discord.dispatch_slash_command(
        world.guild, world.text, world.reader, "suggest", {"url": "https://example.com/crate"}
    )
    assert "supporter number 2" in ((await by_channel.final()).content or "")
    async with world.app.uow_factory() as uow:
        stored = await uow.suggestions.list()
    assert [(s.url, s.newsletter_id, len(s.supporters)) for s in stored] == [
        ("https://example.com/crate", "gleam", 2)
    ]
    assert len(world.discord.channel_messages(world.text)) == 4  # the replies were ephemeral
