"""The Discord emulator, proven against the real discord.py client (no network beyond 127.0.0.1):
login and the gateway's READY, messages, threads and forums, limits, faults, rate limits, reactions."""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulators.conftest import INTENTS, World, in_newsletter, running
from tests.emulators.discord_emulator import Permissions, point_discord_py_at


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
    async with in_newsletter(world) as (client, channel):
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
    async with in_newsletter(world) as (_, channel):
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
    async with in_newsletter(world) as (_, channel):
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
    async with in_newsletter(world) as (_, channel):
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
    async with in_newsletter(world) as (_, channel):
        started = time.monotonic()
        sent = await asyncio.gather(*(channel.send(f"item {i}") for i in range(12)))
        elapsed = time.monotonic() - started
        assert len({m.id for m in sent}) == 12
        # 12 messages at 5/s need at least two full windows
        assert elapsed >= (12 - 1) // limit * per - 0.05
        times = emu.message_times[world.channel]
        assert len(times) == 12
        # Discord's buckets are fixed windows opened by the first request after the last one closed.
        windows: list[list[float]] = []
        for admitted in times:
            if not windows or admitted >= windows[-1][0] + per:
                windows.append([])
            windows[-1].append(admitted)
        assert max(len(w) for w in windows) <= limit, "emulator accepted more than the limit per window"
        assert len(windows) >= 3
        # discord.py learnt the bucket from the headers and waited instead of hammering: few 429s
        print(f"\n12 messages in {elapsed:.2f}s, 429s served: {emu.counters['rate_limited']}")
        assert emu.counters["rate_limited_route"] <= 2
        buckets = {r.route for r in emu.requests_to("POST /channels/*/messages")}
        assert buckets == {"POST /channels/{channel_id}/messages"}


async def test_rate_limit_storm_is_ridden_out(world: World) -> None:
    emu = world.emu
    async with in_newsletter(world) as (_, channel):
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
    async with in_newsletter(world) as (client, channel):
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
