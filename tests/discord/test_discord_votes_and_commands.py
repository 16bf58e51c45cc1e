"""The real discord.py, through digestbot's Discord adapter, against the local Discord emulator: reactions
as votes and their recovery, /suggest and /digest, several guilds, a refused token."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.model import Platform
from tests.discord.conftest import DiscordWorld, eventually, everything_in, refs, start_app


async def test_reactions_are_votes(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.post_example()
    lyra_thread, lyra = world.item("Lyra")
    banding_thread, banding = world.item("Weight Banding")
    upvote = f"upvote:{world.upvote}"

    await emu.dispatch_reaction_add(lyra_thread, lyra, world.reader, "👍")
    await emu.dispatch_reaction_add(lyra_thread, lyra, world.editor, upvote)
    await emu.dispatch_reaction_add(lyra_thread, lyra, world.editor, "😀")  # not a voting emoji
    await emu.dispatch_reaction_add(banding_thread, banding, world.reader, "🔥")
    await emu.send_reconnect()  # dispatched while discord.py reconnects: replayed on RESUME
    await emu.dispatch_reaction_remove(banding_thread, banding, world.reader, "🔥")
    await emu.dispatch_reaction_add(banding_thread, banding, world.editor, "👍")
    await emu.wait_until(lambda: emu.counters["resumes"] == 1)
    # the bot's own reaction (dispatched back to it, as Discord does) and reactions on non-items
    await world.runtime.bot.http.add_reaction(lyra_thread, lyra, "👍")
    await emu.dispatch_reaction_add(world.text, int(world.top_level()[0]["id"]), world.reader, "👍")
    await emu.dispatch_reaction_add(world.text, lyra_thread, world.reader, "👍")  # the section message

    async def counted() -> bool:
        scores = await world.scores()
        return (
            scores["Weight Banding"].score == 1 and scores[next(t for t in scores if "Lyra" in t)].score == 4
        )

    await eventually(counted)
    await asyncio.sleep(0.2)  # let any late (wrong) count land before looking at the totals
    scores = await world.scores()
    lyra_score = next(s for t, s in scores.items() if "Lyra" in t)
    assert lyra_score.score == 4  # 👍 (1) + upvote (3); not the bot's 👍, not 😀
    assert dict(lyra_score.reactions) == {"thumbsup": 1, "upvote": 1}
    assert dict(scores["Weight Banding"].reactions) == {"thumbsup": 1}
    assert sum(s.score for s in scores.values()) == 5
    assert emu.counters["identifies"] == 1

    # quick changes of mind arrive as separate events, handled concurrently: the last one wins
    gans_thread, gans = world.item("GANsformer")
    for _ in range(5):
        await emu.dispatch_reaction_add(gans_thread, gans, world.role_admin, "🔥")
        await emu.dispatch_reaction_remove(gans_thread, gans, world.role_admin, "🔥")
    await emu.dispatch_reaction_add(gans_thread, gans, world.reader, "👍")

    async def settled() -> bool:
        return (await world.scores())["GANsformer: Generative Adversarial Transformers"].score >= 1

    await eventually(settled)
    await asyncio.sleep(0.2)
    assert dict((await world.scores())["GANsformer: Generative Adversarial Transformers"].reactions) == {
        "thumbsup": 1
    }


async def test_reconcile_recovers_votes_given_while_the_bot_was_down(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.post_example()
    gans_thread, gans = world.item("GANsformer")
    vidsitu_thread, vidsitu = world.item("VidSitu")
    await emu.dispatch_reaction_add(gans_thread, gans, world.reader, "👍")

    async def gans_counted() -> bool:
        return (await world.scores())["GANsformer: Generative Adversarial Transformers"].score == 1

    await eventually(gans_counted)
    await world.runtime.stop()  # the bot is down: what follows reaches nobody
    await emu.dispatch_reaction_remove(gans_thread, gans, world.reader, "👍")
    await emu.dispatch_reaction_add(vidsitu_thread, vidsitu, world.editor, f"upvote:{world.upvote}")
    await emu.dispatch_reaction_add(vidsitu_thread, vidsitu, world.reader, "🔥")
    await world.app.aclose()

    app, runtime = await start_app(world.config)  # restarted: it recovers on start
    try:
        vidsitu_title = "VidSitu: Towards understanding situations in videos"

        async def recovered() -> bool:
            scores = await app.votes.scores(195)
            assert scores is not None
            by_title = {s.title: s.score for s in scores}
            return (
                by_title[vidsitu_title] == 5
                and by_title["GANsformer: Generative Adversarial Transformers"] == 0
            )

        await eventually(recovered)
        again = await app.votes.reconcile(app.platform(Platform.DISCORD))
        assert (again.added, again.removed, again.errors) == (0, 0, [])
        assert again.messages_read == 21
    finally:
        await runtime.stop()
        await app.aclose()


async def test_suggest_good_bad_and_duplicate(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    good = await emu.dispatch_slash_command(
        world.guild, world.text, world.reader, "suggest",
        {"url": "https://example.com/post?utm_source=x", "note": "A great read"},
    )  # fmt: skip
    reply = await good.final()
    assert reply.ephemeral
    assert reply.content == "Thanks! https://example.com/post is suggested for the next issue."
    bad = await emu.dispatch_slash_command(
        world.guild, world.text, world.reader, "suggest", {"url": "not-a-link"}
    )
    reply = await bad.final()
    assert reply.ephemeral
    assert "only http:// and https://" in (reply.content or "")
    again = await emu.dispatch_slash_command(
        world.guild, world.forum, world.editor, "suggest", {"url": "https://example.com/post"}
    )
    reply = await again.final()
    assert reply.ephemeral
    assert "supporter number 2" in (reply.content or "")
    assert emu.channel_messages(world.text) == []  # ephemeral: nothing shows in the channel

    [suggestion] = await world.app.suggestions.all()
    assert (suggestion.url, suggestion.note) == ("https://example.com/post", "A great read")
    assert suggestion.submitted_by.platform is Platform.DISCORD
    assert (suggestion.submitted_by.user_id, suggestion.submitted_by.workspace_id) == (
        str(world.reader),
        str(world.guild),
    )
    assert sorted(s.user_id for s in suggestion.supporters) == sorted([str(world.reader), str(world.editor)])


async def test_digest_admin_commands_need_manage_server_or_a_configured_admin(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.post_example()

    refused = await emu.dispatch_slash_command(world.guild, world.text, world.reader, "digest status")
    reply = await refused.final()
    assert reply.ephemeral
    assert reply.content == "Sorry, /digest status is for digestbot admins only."
    for admin in (world.editor, world.named_admin, world.role_admin):
        allowed = await emu.dispatch_slash_command(world.guild, world.text, admin, "digest status")
        reply = await allowed.final()
        assert reply.ephemeral
        assert "#195 → newsletter: complete (26 messages)" in (reply.content or ""), admin

    lyra_thread, lyra = world.item("Lyra")
    await emu.dispatch_reaction_add(lyra_thread, lyra, world.reader, "🔥")

    async def top_shows_lyra() -> bool:
        handle = await emu.dispatch_slash_command(
            world.guild, world.text, world.reader, "digest top", {"number": 195}
        )
        return "1. Google Open-Sources Lyra" in ((await handle.final()).content or "")

    await eventually(top_shows_lyra)


async def test_digest_post_posts_to_the_channel_it_was_asked_in(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    unconfigured = emu.add_text_channel(world.guild, "elsewhere")
    nowhere = await emu.dispatch_slash_command(world.guild, unconfigured, world.editor, "digest post")
    assert "not configured" in ((await nowhere.final()).content or "")
    missing = await emu.dispatch_slash_command(
        world.guild, world.text, world.editor, "digest post", {"number": 7}
    )
    assert (await missing.final()).content == "There is no issue #7."
    refused = await emu.dispatch_slash_command(world.guild, world.text, world.reader, "digest post")
    assert "admins only" in ((await refused.final()).content or "")

    handle = await emu.dispatch_slash_command(world.guild, world.text, world.editor, "digest post")
    reply = await handle.final()
    assert (reply.content, reply.ephemeral) == ("Posting #195 to newsletter…", True)
    await emu.wait_until(lambda: len(everything_in(world.emu, world.text)) == 26, within=10)
    assert Counter(refs(everything_in(world.emu, world.text))).most_common(1)[0][1] == 1


async def test_a_slow_answer_is_deferred_and_a_failure_is_an_apology(
    discord_world: DiscordWorld, monkeypatch
):
    from adapters.discord import cogs
    from bot.community.suggestions import Reply

    world, emu = discord_world, discord_world.emu
    monkeypatch.setattr(cogs, "INLINE_REPLY_SECONDS", 0.1)

    async def slow(actor, link, note, newsletter=None):
        await asyncio.sleep(0.4)
        return Reply(f"Thanks, {actor.display_name}!")

    monkeypatch.setattr(world.app.suggestions, "suggest", slow)
    handle = await emu.dispatch_slash_command(
        world.guild, world.text, world.reader, "suggest", {"url": "https://a.example"}
    )
    first = await handle.response()
    assert first.type == 5  # deferred within the 3 s
    assert first.ephemeral
    final = await handle.final()
    assert final.content == "Thanks, reader!"

    async def broken(actor, link, note):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(world.app.suggestions, "suggest", broken)
    handle = await emu.dispatch_slash_command(
        world.guild, world.text, world.reader, "suggest", {"url": "https://b.example"}
    )
    reply = await handle.final()
    assert reply.ephemeral
    assert (reply.content or "").startswith("Sorry, something went wrong")
    assert "Traceback" not in (reply.content or "")
    assert "fire" not in (reply.content or "")


async def test_several_guilds_are_served_at_once(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    assert sorted(world.runtime.synced_guilds) == sorted([world.guild, world.other_guild])
    for guild in (world.guild, world.other_guild):
        assert {c["name"] for c in emu.commands_for(guild)} == {"suggest", "digest"}
    assert emu.commands_for(None) == []  # guild commands only: they show at once
    await world.ingest_example()
    for name in ("newsletter", "newsletter-forum", "other-news"):
        assert (await world.post(name)).complete

    forum_post = next(t for t in emu.threads.values() if t["name"] == "Libraries & Code · #195")
    forum_item = emu.channel_messages(int(forum_post["id"]))[1]  # after the starter message
    other_section = emu.channel_messages(world.other_text)[3]
    other_item = emu.channel_messages(int(other_section["id"]))[0]
    await emu.dispatch_reaction_add(int(forum_post["id"]), int(forum_item["id"]), world.reader, "🔥")
    await emu.dispatch_reaction_add(
        int(other_section["id"]), int(other_item["id"]), world.other_member, f"upvote:{world.upvote}"
    )
    handle = await emu.dispatch_slash_command(
        world.other_guild, world.other_text, world.other_member, "suggest", {"url": "https://example.org/a"}
    )
    assert "suggested for the next issue" in ((await handle.final()).content or "")

    async def counted() -> bool:
        return (await world.scores())["GANsformer: Generative Adversarial Transformers"].score == 5

    await eventually(counted)  # 🔥 (2) in the forum post, upvote (3) in the other guild
    [suggestion] = await world.app.suggestions.all()
    assert suggestion.submitted_by.workspace_id == str(world.other_guild)


async def test_a_refused_token_stops_the_start_with_a_clear_error(discord_world: DiscordWorld):
    from bot.config import ConfigError

    config = {
        **discord_world.config,
        "discord": {**discord_world.config["discord"], "token": "not-the-token"},
    }
    with pytest.raises(ConfigError, match="refused the bot token"):
        await start_app(config)
