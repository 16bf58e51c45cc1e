"""digestbot as its users run it on Discord: separate processes, a config file, the emulator for Discord."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import yaml

from tests.discord.conftest import SECTION_SIZES, VOTE_WEIGHTS, everything_in, refs
from tests.emulators.discord_emulator import DiscordEmulator, Permissions
from tests.emulators.processes import (
    DEVNULL,
    PIPE,
    SUGGESTED_ONCE,
    digestbot,
    discord_environment,
    ingest_and_post_twice,
    start_digestbot,
)
from tests.examples import EXAMPLE


def write_config(tmp_path: Path, emu: DiscordEmulator, guild: int, *channels: int) -> Path:
    names = ["team-news", *(f"team-news-{n}" for n in range(2, len(channels) + 1))]
    config = {
        "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
        "discord": {
            "token": "${TEST_DISCORD_TOKEN}",
            "api_url": emu.api_base,
            "gateway_url": emu.gateway_url,
        },
        "votes": {"emoji": VOTE_WEIGHTS},
        "channels": [
            {"name": name, "platform": "discord", "id": str(channel), "guild": str(guild)}
            for name, channel in zip(names, channels, strict=True)
        ],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def item_message(emu: DiscordEmulator, title_part: str) -> tuple[int, int]:
    for thread_id in emu.threads:
        for message in emu.channel_messages(thread_id):
            if title_part in message["content"]:
                return thread_id, int(message["id"])
    raise AssertionError(f"no item message mentions {title_part!r}")


async def test_ingest_post_twice_run_vote_and_suggest_like_a_user(tmp_path: Path):
    async with DiscordEmulator(message_rate=(20, 1.0), heartbeat_interval_ms=5_000) as emu:
        guild = emu.add_guild("Deep Learning Weekly")
        channel = emu.add_text_channel(guild, "team-news")
        reader = emu.add_member(guild, "reader")
        editor = emu.add_member(guild, "editor", permissions=Permissions.MANAGE_GUILD)
        upvote = emu.add_custom_emoji(guild, "upvote")
        env = discord_environment(emu, write_config(tmp_path, emu, guild, channel))

        await ingest_and_post_twice(env, "team-news")
        assert len(everything_in(emu, channel)) == 26
        assert emu.counters["messages_created"] == 26

        run = await start_digestbot(env, "run", stdout=PIPE)
        try:
            # ready once the slash commands are registered (synced after the gateway is ready)
            await emu.wait_until(
                lambda: bool(emu.commands_for(guild)) or run.returncode is not None, within=30
            )
            assert run.returncode is None, "digestbot run exited early"
            lyra_thread, lyra = item_message(emu, "Lyra")
            banding_thread, banding = item_message(emu, "Weight Banding")
            await emu.dispatch_reaction_add(lyra_thread, lyra, reader, "👍")
            await emu.dispatch_reaction_add(lyra_thread, lyra, editor, f"upvote:{upvote}")
            await emu.dispatch_reaction_add(banding_thread, banding, reader, "🔥")
            await emu.dispatch_reaction_remove(banding_thread, banding, reader, "🔥")

            good = await emu.dispatch_slash_command(
                guild,
                channel,
                reader,
                "suggest",
                {"url": "https://example.com/post?utm_medium=x", "note": "Nice one"},
            )
            reply = await good.final(within=5)
            assert reply.ephemeral
            assert "suggested for the next issue" in (reply.content or "")
            bad = await emu.dispatch_slash_command(guild, channel, reader, "suggest", {"url": "not-a-link"})
            assert "only http:// and https://" in ((await bad.final(within=5)).content or "")

            for _ in range(50):  # the bot itself says when it has counted the votes
                top = await emu.dispatch_slash_command(guild, channel, reader, "digest top")
                if "— 4 (" in ((await top.final(within=5)).content or ""):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the votes were not counted")
        finally:
            run.send_signal(signal.SIGTERM)
            _, run_err = await asyncio.wait_for(run.communicate(), 30)
        assert run.returncode == 0, run_err.decode()
        assert "Traceback" not in run_err.decode()
        assert emu.connected_sessions == []  # it closed its gateway session

        (code, out, err), (suggestions_code, suggestions_out, suggestions_err) = await asyncio.gather(
            digestbot(env, "votes", "195", "--json"), digestbot(env, "suggestions", "--json")
        )
        assert code == 0, err
        votes = json.loads(out)
        assert votes[0]["title"].startswith("Google Open-Sources Lyra")
        assert votes[0]["score"] == 4
        assert votes[0]["reactions"] == {"thumbsup": 1, "upvote": 1}
        assert votes[0]["section"] == "Top stories"
        assert {"title", "url", "section", "score", "reactions"} <= set(votes[0])
        assert next(v for v in votes if v["title"] == "Weight Banding")["score"] == 0

        assert suggestions_code == 0, suggestions_err
        assert json.loads(suggestions_out) == SUGGESTED_ONCE


async def test_posts_killed_half_way_resume_without_duplicates(tmp_path: Path):
    """Two channels, each post killed at a different point (SIGKILL: no clean-up), then one resumed post."""
    async with DiscordEmulator(message_rate=(4, 0.5)) as emu:
        guild = emu.add_guild("Deep Learning Weekly")
        channels = [emu.add_text_channel(guild, "team-news"), emu.add_text_channel(guild, "team-news-2")]
        env = discord_environment(emu, write_config(tmp_path, emu, guild, *channels))
        assert (await digestbot(env, "ingest", str(EXAMPLE)))[0] == 0

        async def post_killed_after(name: str, channel: int, kill_after: int) -> None:
            post = await start_digestbot(env, "post", "195", "--channel", name, stderr=DEVNULL)
            await emu.wait_until(
                lambda: len(everything_in(emu, channel)) >= kill_after or post.returncode is not None,
                within=30,
            )
            post.kill()
            await post.wait()
            assert len(everything_in(emu, channel)) < 26, "the post finished before it could be killed"

        await asyncio.gather(
            post_killed_after("team-news", channels[0], 3), post_killed_after("team-news-2", channels[1], 14)
        )
        code, _, err = await digestbot(env, "post", "195")  # every configured channel
        assert code == 0, err
        for channel in channels:
            everything = everything_in(emu, channel)
            delivered = refs(everything)
            assert len(everything) == len(delivered) == len(set(delivered)) == 26
            _, *sections = emu.channel_messages(channel)
            sizes = {s["content"].split("**")[1]: len(emu.channel_messages(int(s["id"]))) for s in sections}
            assert sizes == SECTION_SIZES
