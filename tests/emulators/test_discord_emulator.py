"""The Discord emulator, proven against the real discord.py client (no network beyond 127.0.0.1)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.emulators.discord_emulator import DiscordEmulator, Permissions, point_discord_py_at

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
        guild = emu.add_guild("Deep Learning Weekly")
        channel = emu.add_text_channel(guild, "newsletter")
        forum = emu.add_forum_channel(guild, "newsletter-forum")
        reader = emu.add_member(guild, "reader")
        admin = emu.add_member(guild, "editor", permissions=Permissions.MANAGE_GUILD)
        yield World(emu, guild, channel, forum, reader, admin)


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


async def test_login_ready_and_guild_create(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        assert client.user is not None
        assert client.user.id == emu.bot_id
        assert client.application_id == emu.application_id
        guild = client.get_guild(world.guild)
        assert guild is not None
        assert guild.name == "Deep Learning Weekly"
        assert isinstance(guild.get_channel(world.channel), discord.TextChannel)
        assert isinstance(guild.get_channel(world.forum), discord.ForumChannel)
        assert guild.me is not None
        assert guild.me.guild_permissions.send_messages
        assert client.ready_count == 1
    assert emu.identify_intents == [INTENTS.value]
    assert emu.counters["heartbeats"] >= 1
    # discord.py asks for zlib-stream (zstd-stream when zstandard is installed) and decoded our frames
    assert emu.gateway_compression in (["zlib-stream"], ["zstd-stream"])


async def test_wrong_token_is_401(world: World) -> None:
    with point_discord_py_at(world.emu):
        client = discord.Client(intents=INTENTS)
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
        await client.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{world.emu.api_base}/users/@me", headers={"Authorization": "Bot nope"}) as resp:
            assert resp.status == 401
            assert resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
        async with http.get(f"{world.emu.api_base}/no/such/route") as resp:
            assert resp.status == 404
            assert (await resp.json())["code"] == 0
        async with http.get(
            f"{world.emu.api_base}/gateway/bot", headers={"Authorization": "Bot " + world.emu.token}
        ) as resp:
            assert (await resp.json())["url"] == world.emu.gateway_url
    # point_discord_py_at restored discord.py's globals
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


async def test_gateway_zlib_stream_frames(world: World) -> None:
    """A raw client asking for zlib-stream gets one shared deflate stream flushed per message."""
    emu = world.emu
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(emu.gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws,
    ):
        inflator = zlib.decompressobj()

        async def receive() -> dict[str, Any]:
            msg = await ws.receive(timeout=2)
            assert msg.type == aiohttp.WSMsgType.BINARY
            assert msg.data.endswith(b"\x00\x00\xff\xff")
            return json.loads(inflator.decompress(msg.data))

        hello = await receive()
        assert hello["op"] == 10
        assert hello["d"]["heartbeat_interval"] == 500
        await ws.send_json({"op": 1, "d": None})
        assert (await receive())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": INTENTS.value, "properties": {}}})
        ready = await receive()
        assert (ready["t"], ready["s"]) == ("READY", 1)
        assert ready["d"]["guilds"] == [{"id": str(world.guild), "unavailable": True}]
        guild_create = await receive()
        assert guild_create["t"] == "GUILD_CREATE"
        assert guild_create["s"] == 2
        assert {c["id"] for c in guild_create["d"]["channels"]} == {str(world.channel), str(world.forum)}
        # without GUILD_MEMBERS only the bot itself is in the member list
        assert [m["user"]["id"] for m in guild_create["d"]["members"]] == [str(emu.bot_id)]


async def test_messages_embeds_threads_and_forum_posts(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        header = await channel.send("**Deep Learning Weekly #195**")
        assert header.content == "**Deep Learning Weekly #195**"
        section = await channel.send(embed=discord.Embed(title="Industry", description="Four items"))
        thread = await section.create_thread(name="Industry")
        assert thread.id == section.id
        item = await thread.send(
            embed=discord.Embed(title="A model", url="https://example.com/a", description="Why it matters")
        )
        assert item.channel.id == thread.id
        # the emulator saw all of it
        assert [m["content"] for m in emu.channel_messages(world.channel)] == [
            "**Deep Learning Weekly #195**",
            "",
        ]
        assert emu.channel_messages(world.channel)[1]["embeds"][0]["title"] == "Industry"
        assert emu.threads[section.id]["parent_id"] == str(world.channel)
        assert emu.channel_messages(thread.id)[0]["embeds"][0]["url"] == "https://example.com/a"
        # a second thread on the same message is refused the way Discord does
        with pytest.raises(discord.HTTPException) as exc:
            await section.create_thread(name="again")
        assert exc.value.code == 160004
        # fetch round trip (REST GET) and history paging
        fetched = await channel.fetch_message(section.id)
        assert fetched.thread is not None
        assert fetched.thread.id == thread.id
        history = [m.id async for m in channel.history(limit=10)]
        assert history == [section.id, header.id]
        # the gateway told the client about the thread (THREAD_CREATE)
        await emu.wait_until(lambda: client.get_channel(thread.id) is not None)

        forum = client.get_channel(world.forum)
        assert isinstance(forum, discord.ForumChannel)
        post = await forum.create_thread(
            name="Research", embed=discord.Embed(title="Research", description="3 items")
        )
        assert post.thread.id == post.message.id
        assert emu.threads[post.thread.id]["parent_id"] == str(world.forum)
        assert emu.channel_messages(post.thread.id)[0]["embeds"][0]["title"] == "Research"
        await post.thread.send("another item")
        assert len(emu.channel_messages(post.thread.id)) == 2

        with pytest.raises(discord.NotFound) as not_found:
            await channel.fetch_message(12345)
        assert not_found.value.code == 10008
        with pytest.raises(discord.NotFound) as no_channel:
            await client.fetch_channel(999)
        assert no_channel.value.code == 10003


async def test_limits_raise_invalid_form_body(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert (too_long.value.status, too_long.value.code) == (400, 50035)
        assert "content" in too_long.value.text
        with pytest.raises(discord.HTTPException) as long_description:
            await channel.send(embed=discord.Embed(title="t", description="y" * 4097))
        assert long_description.value.code == 50035
        assert "embeds.0.description" in long_description.value.text
        with pytest.raises(discord.HTTPException) as long_title:
            await channel.send(embed=discord.Embed(title="t" * 257))
        assert long_title.value.code == 50035
        with pytest.raises(discord.HTTPException) as total:
            await channel.send(
                embeds=[discord.Embed(description="z" * 4000), discord.Embed(description="z" * 2001)]
            )
        assert total.value.code == 50035
        assert "6000" in total.value.text
        # exactly at the limits is fine
        await channel.send("x" * 2000, embed=discord.Embed(title="t" * 256, description="y" * 4096))
        # missing permission
        emu.deny_bot(world.channel, Permissions.SEND_MESSAGES)
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("nope")
        assert forbidden.value.code == 50013
        assert emu.counters["messages_created"] == 1


async def test_nonce_enforce_nonce_dedupes_and_survives_a_dropped_response(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("section header", nonce="digest-195-h")
        again = await channel.send("section header", nonce="digest-195-h")
        assert again.id == first.id
        other = await channel.send("other", nonce="digest-195-x")
        assert other.id != first.id
        assert emu.counters["messages_deduplicated"] == 1
        assert len(emu.channel_messages(world.channel)) == 2

        # The message is stored but the response never arrives: the retry with the same nonce
        # returns the stored message instead of posting a duplicate.
        emu.drop_after_accept(1)
        with pytest.raises((aiohttp.ClientError, OSError)):
            await channel.send("item", nonce="digest-195-i1")
        assert len(emu.channel_messages(world.channel)) == 3
        retried = await channel.send("item", nonce="digest-195-i1")
        assert retried.id == int(emu.channel_messages(world.channel)[-1]["id"])
        assert len(emu.channel_messages(world.channel)) == 3
        assert emu.counters["connections_dropped"] == 1


async def test_fail_next_injects_errors(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        emu.fail_next("POST /channels/*/messages", times=1, status=503)
        with pytest.raises(discord.DiscordServerError):
            await channel.send("first try")
        emu.fail_next(
            "POST /channels/{channel_id}/messages",
            times=1,
            status=403,
            code=50013,
            message="Missing Permissions",
        )
        with pytest.raises(discord.Forbidden):
            await channel.send("second try")
        sent = await channel.send("third try")
        assert [m["id"] for m in emu.channel_messages(world.channel)] == [str(sent.id)]
        assert emu.counters["faults_injected"] == 2


async def test_rate_limits_are_paced_by_discord_py(world: World) -> None:
    emu = world.emu  # 5 messages per 1 s per channel
    limit, per = emu.message_rate
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        sent = await asyncio.gather(*(channel.send(f"item {i}") for i in range(12)))
        elapsed = time.monotonic() - started
        assert len({m.id for m in sent}) == 12
        # 12 messages at 5/s need at least two full windows
        assert elapsed >= (12 - 1) // limit * per - 0.05
        times = emu.message_times[world.channel]
        assert len(times) == 12
        for i in range(len(times) - limit):
            assert times[i + limit] - times[i] >= per - 0.01, (
                "emulator accepted more than the limit per window"
            )
        # discord.py learnt the bucket from the headers and waited instead of hammering: few 429s
        print(f"\n12 messages in {elapsed:.2f}s, 429s served: {emu.counters['rate_limited']}")
        assert emu.counters["rate_limited_route"] <= 2
        buckets = {r.route for r in emu.requests_to("POST /channels/*/messages")}
        assert buckets == {"POST /channels/{channel_id}/messages"}


async def test_rate_limit_storm_is_ridden_out(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        emu.rate_limit_storm(world.channel, 3, retry_after=0.05)
        message = await channel.send("after the storm")
        assert emu.counters["rate_limited_storm"] == 3
        assert emu.channel_messages(world.channel)[-1]["id"] == str(message.id)
        # discord.py gives up after 5 attempts for one request
        emu.rate_limit_storm(world.channel, 5, retry_after=0.01)
        with pytest.raises(discord.HTTPException) as exc:
            await channel.send("lost")
        assert exc.value.status == 429


async def test_global_rate_limit(world: World) -> None:
    emu = world.emu
    emu.global_rate = 5
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
        statuses = []
        for _ in range(7):
            async with http.get(f"{emu.api_base}/users/@me") as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    body = await resp.json()
                    assert body["global"] is True
                    assert body["message"] == "You are being rate limited."
                    assert 0 < body["retry_after"] <= 1
                    assert resp.headers["X-RateLimit-Global"] == "true"
                    assert "Retry-After" in resp.headers
                else:
                    assert resp.headers["X-RateLimit-Limit"] == "50"
                    assert "X-RateLimit-Bucket" in resp.headers
    assert statuses == [200] * 5 + [429, 429]
    assert emu.counters["rate_limited_global"] == 2


async def test_reactions_reach_raw_events(world: World) -> None:
    emu = world.emu
    upvote = emu.add_custom_emoji(world.guild, "upvote")
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        item = await channel.send(embed=discord.Embed(title="An item"))

        await emu.dispatch_reaction_add(world.channel, item.id, world.reader, "👍")
        added = await asyncio.wait_for(client.raw_adds.get(), 2)
        assert (added.message_id, added.channel_id, added.guild_id, added.user_id) == (
            item.id,
            world.channel,
            world.guild,
            world.reader,
        )
        assert added.emoji.name == "👍"
        assert added.emoji.id is None
        assert added.message_author_id == emu.bot_id
        assert added.member is not None
        assert added.member.id == world.reader

        await emu.dispatch_reaction_add(world.channel, item.id, world.admin, f"upvote:{upvote}")
        custom = await asyncio.wait_for(client.raw_adds.get(), 2)
        assert (custom.emoji.name, custom.emoji.id) == ("upvote", upvote)
        assert emu.reactions_on(item.id) == {"👍": [world.reader], f"upvote:{upvote}": [world.admin]}

        assert (
            await emu.dispatch_reaction_add(world.channel, item.id, world.reader, "👍") is None
        )  # no double vote

        await emu.dispatch_reaction_remove(world.channel, item.id, world.reader, "👍")
        removed = await asyncio.wait_for(client.raw_removes.get(), 2)
        assert (removed.message_id, removed.user_id, removed.emoji.name) == (item.id, world.reader, "👍")
        assert emu.reactions_on(item.id) == {f"upvote:{upvote}": [world.admin]}

        # the bot's own reaction via REST (also dispatched back, as on Discord), and the reactors list
        await item.add_reaction("👍")
        own = await asyncio.wait_for(client.raw_adds.get(), 2)
        assert own.user_id == emu.bot_id
        fetched = await channel.fetch_message(item.id)
        counts = {str(r.emoji): r.count for r in fetched.reactions}
        assert counts == {"👍": 1, f"<:upvote:{upvote}>": 1}
        reaction = next(r for r in fetched.reactions if str(r.emoji) == "👍")
        assert reaction.me
        assert [u.id async for u in reaction.users()] == [emu.bot_id]
        with pytest.raises(discord.HTTPException) as unknown:
            await item.add_reaction(":thumbsup:")
        assert unknown.value.code == 10014


async def test_slash_command_sync_and_ephemeral_interaction(world: World) -> None:
    emu = world.emu
    client = RecordingClient()
    received: list[tuple[str, str, bool]] = []

    @client.tree.command(name="suggest", description="Suggest a link for the next issue")
    async def suggest(interaction: discord.Interaction, url: str, note: str = "") -> None:
        assert isinstance(interaction.user, discord.Member)
        # resolved permissions from the payload's member.permissions
        received.append((url, note, interaction.permissions.manage_guild))
        await interaction.response.send_message(f"Thanks! Queued {url}", ephemeral=True)

    digest = app_commands.Group(name="digest", description="Digest admin")

    @digest.command(name="top", description="Top voted items")
    async def top(interaction: discord.Interaction, limit: int = 5) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(f"top {limit}", ephemeral=True)

    @digest.command(name="status", description="Public status")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("all good")

    @digest.command(name="post", description="Post the digest now")
    async def post(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content="posted 12 items")

    client.tree.add_command(digest)

    async with running(emu, client):
        guild = discord.Object(world.guild)
        client.tree.copy_global_to(guild=guild)
        synced = await client.tree.sync(guild=guild)
        assert sorted(c.name for c in synced) == ["digest", "suggest"]
        assert {c["name"] for c in emu.commands_for(world.guild)} == {"digest", "suggest"}
        # syncing again keeps the ids (PUT is an overwrite by name)
        ids = {c.name: c.id for c in synced}
        assert {c.name: c.id for c in await client.tree.sync(guild=guild)} == ids

        handle = await emu.dispatch_slash_command(
            world.guild,
            world.channel,
            world.admin,
            "suggest",
            {"url": "https://example.com/x", "note": "great read"},
        )
        reply = await handle.response(within=3)
        assert reply.type == 4
        assert reply.ephemeral
        assert reply.flags == 64
        assert reply.content == "Thanks! Queued https://example.com/x"
        assert reply.elapsed < 3
        assert received == [("https://example.com/x", "great read", True)]
        assert emu.channel_messages(world.channel) == []  # ephemeral: nothing in the channel

        sub = await emu.dispatch_slash_command(
            world.guild, world.channel, world.reader, "digest top", {"limit": 3}
        )
        assert sub.payload["data"]["options"] == [
            {"name": "top", "type": 1, "options": [{"name": "limit", "type": 4, "value": 3}]}
        ]
        assert (await sub.response()).type == 5
        final = await sub.final()
        assert final.content == "top 3"
        assert final.ephemeral

        deferred = await emu.dispatch_slash_command(world.guild, world.channel, world.admin, "digest post")
        edited = await deferred.final()
        assert (edited.content, edited.ephemeral) == ("posted 12 items", True)
        assert deferred.edits == [edited]

        # an explicit permissions override (the reader has no Manage Server of their own)
        override = await emu.dispatch_slash_command(
            world.guild,
            world.channel,
            world.reader,
            "suggest",
            {"url": "u"},
            permissions=Permissions.MANAGE_GUILD,
        )
        await override.response()
        assert received[-1] == ("u", "", True)
        plain = await emu.dispatch_slash_command(
            world.guild, world.channel, world.reader, "suggest", {"url": "v"}
        )
        await plain.response()
        assert received[-1] == ("v", "", False)

        # a public response is a real channel message (type 20) and comes back as MESSAGE_CREATE
        public = await emu.dispatch_slash_command(world.guild, world.channel, world.reader, "digest status")
        assert not (await public.response()).ephemeral
        [message] = emu.channel_messages(world.channel)
        assert (message["type"], message["content"]) == (20, "all good")
        assert message["interaction_metadata"]["user"]["id"] == str(world.reader)

        with pytest.raises(LookupError):
            await emu.dispatch_slash_command(world.guild, world.channel, world.reader, "unknown")


async def test_reconnect_resumes_and_replays(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        item = await channel.send("vote on me")
        await emu.send_reconnect()
        # dispatched while the client is reconnecting: queued and replayed on RESUME
        await emu.dispatch_reaction_add(world.channel, item.id, world.reader, "🔥")
        await emu.wait_until(lambda: emu.counters["resumes"] == 1)
        await emu.wait_until(lambda: client.resumed_count == 1)
        assert emu.counters["replayed_dispatches"] >= 1
        first = await asyncio.wait_for(client.raw_adds.get(), 2)
        assert (first.message_id, first.emoji.name) == (item.id, "🔥")
        await emu.dispatch_reaction_add(world.channel, item.id, world.admin, "🔥")
        second = await asyncio.wait_for(client.raw_adds.get(), 2)
        assert second.user_id == world.admin
        assert emu.counters["identifies"] == 1
        assert client.ready_count == 1


async def test_invalid_session_leads_to_fresh_identify(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        item = await channel.send("vote on me")
        await emu.send_invalid_session(resumable=False)
        await emu.wait_until(lambda: emu.counters["identifies"] == 2)
        await emu.wait_until(lambda: len(emu.connected_sessions) == 1)
        assert emu.counters["resumes"] == 0
        await emu.dispatch_reaction_add(world.channel, item.id, world.reader, "👍")
        added = await asyncio.wait_for(client.raw_adds.get(), 2)
        assert added.message_id == item.id
        # the cache was rebuilt from the new READY/GUILD_CREATE
        await emu.wait_until(lambda: client.ready_count == 2)
        assert client.get_channel(world.channel) is not None


async def test_interaction_callback_after_deadline_is_unknown(world: World) -> None:
    emu = world.emu
    emu.interaction_timeout = 0.2
    client = RecordingClient()
    errors: list[Exception] = []

    @client.tree.command(name="suggest", description="Suggest a link")
    async def suggest(interaction: discord.Interaction, url: str) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.send_message("too late", ephemeral=True)
        except discord.NotFound as exc:
            errors.append(exc)

    async with running(emu, client):
        client.tree.copy_global_to(guild=discord.Object(world.guild))
        await client.tree.sync(guild=discord.Object(world.guild))
        handle = await emu.dispatch_slash_command(
            world.guild, world.channel, world.reader, "suggest", {"url": "u"}
        )
        await emu.wait_until(lambda: bool(errors), within=3)
        assert errors[0].code == 10062
        assert not handle.acknowledged


# ---------------------------------------------------------------------------------- DMs, files, components


async def test_direct_messages_and_file_attachments(world: World) -> None:
    emu = world.emu
    async with running(emu) as client:
        user = await client.fetch_user(world.reader)
        dm = await user.send("Your suggestion was approved")
        assert dm.content == "Your suggestion was approved"
        assert [m["content"] for m in emu.dm_messages(world.reader)] == ["Your suggestion was approved"]
        channel = client.get_channel(world.channel)
        assert isinstance(channel, discord.TextChannel)
        png = b"\x89PNG\r\n\x1a\n" + b"y" * 50
        sent = await channel.send("Last week's top 5", file=discord.File(io.BytesIO(png), "top.png"))
        assert sent.attachments[0].filename == "top.png"
        [stored] = emu.channel_messages(world.channel)
        [attachment] = stored["attachments"]
        assert (attachment["filename"], attachment["size"]) == ("top.png", len(png))
        assert emu.attachments[int(attachment["id"])] == png


async def test_button_and_select_interactions_reach_discord_py(world: World) -> None:
    emu = world.emu
    client = RecordingClient()
    pressed: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await pressed.put(interaction)
        await interaction.response.send_message(f"got {interaction.data}", ephemeral=True)

    async with running(emu, client):
        handle = await emu.dispatch_component(world.guild, world.channel, world.reader, "approve:7")
        interaction = await asyncio.wait_for(pressed.get(), 3)
        assert interaction.type is discord.InteractionType.component
        assert interaction.data is not None
        assert interaction.data["custom_id"] == "approve:7"
        reply = await handle.response()
        assert reply.ephemeral
        picked = await emu.dispatch_component(
            world.guild, world.channel, world.admin, "section:7", values=["Papers"]
        )
        choice = await asyncio.wait_for(pressed.get(), 3)
        assert choice.data is not None
        assert choice.data["values"] == ["Papers"]
        assert (await picked.response()).type == 4
