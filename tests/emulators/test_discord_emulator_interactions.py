"""The Discord emulator with the real discord.py client: application commands and interactions, gateway
reconnects and invalid sessions, direct messages, attachments and components."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
from discord import app_commands

from tests.emulators.conftest import RecordingClient, World, in_newsletter, running
from tests.emulators.discord_emulator import Permissions


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
    async with in_newsletter(world) as (client, channel):
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
    async with in_newsletter(world) as (client, channel):
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
