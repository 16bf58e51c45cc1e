"""A history look-up (``find_sent``) that fails once is retried like a send, on Slack and on Discord: one
5xx in the middle of recovering a message whose response was lost does not stop the channel's post."""

from __future__ import annotations

from tests.community.conftest import discord_world, restore_discord_globals, slack_world  # noqa: F401
from tests.discord.conftest import DiscordWorld, everything_in, refs
from tests.slack.conftest import SlackWorld


async def test_slack_a_500_from_the_history_look_up_is_retried(slack_world: SlackWorld):  # noqa: F811
    emu = slack_world.emu
    await slack_world.ingest_example()
    slack_world.app.retry.first_delay = 0.01
    emu.drop_after_accept("chat.postMessage", 1)  # the header lands, its response is lost...
    emu.fail_next("conversations.history", 1, status=500)  # ...and the first look for it fails
    report = await slack_world.post()
    assert report.complete, report.errors
    assert report.recovered == 1
    texts = [m.text for m in emu.all_messages(slack_world.channel_id)]
    assert len(texts) == len(set(texts)) == 26


async def test_discord_a_503_from_the_history_look_up_is_retried(discord_world: DiscordWorld):  # noqa: F811
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    emu.drop_after_accept(1)  # the header lands, its response is lost...
    emu.fail_next("GET /channels/*/messages", times=1, status=503)  # ...and the first look fails
    report = await world.post()
    assert report.complete, report.errors
    assert report.recovered == 1
    everything = everything_in(emu, world.text)
    assert len(everything) == len(set(refs(everything))) == 26
