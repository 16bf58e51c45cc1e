"""/suggest under pressure: forty at once from one user stop at the quota, a database outage is owned up to
(on Slack in tests/reliability, on Discord and in the core here) with nothing half-stored, and text a
database cannot keep (NUL) is dropped on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.community.suggestions import UNAVAILABLE, Actor, SuggestionService
from bot.config import SuggestionsConfig
from bot.model import Platform
from storage.database import create_engine, upgrade
from storage.unit_of_work import make_uow_factory
from tests.discord.conftest import DiscordEmulator, discord_config, start_app
from tests.fakes import FakeClock, small_issue
from tests.private_postgres import PrivatePostgres

ALICE = Actor(Platform.SLACK, "U1", workspace_id="T1", channel_id="C1")


async def all_suggestions(uow_factory):
    async with uow_factory() as uow:
        return await uow.suggestions.list()


async def test_forty_concurrent_suggestions_from_one_user_store_exactly_the_quota(uow_factory):
    service = SuggestionService(uow_factory, FakeClock(), config=SuggestionsConfig(daily_quota=10))
    replies = await asyncio.gather(
        *(service.suggest(ALICE, f"https://example.com/{n}", None) for n in range(40))
    )
    assert sum(r.ok for r in replies) == 10
    assert sum("the most allowed" in r.text for r in replies) == 30
    assert len(await all_suggestions(uow_factory)) == 10


async def test_nul_and_lone_surrogates_are_dropped_before_storing(uow_factory):
    service = SuggestionService(uow_factory, FakeClock())
    reply = await service.suggest(ALICE, "https://example.com/nul", "a\x00b\ud800c")
    assert reply.ok, reply.text
    [stored] = await all_suggestions(uow_factory)
    assert stored.note == "abc"
    assert stored.id is not None
    async with uow_factory() as uow:
        await uow.suggestions.set_title(stored.id, "Ti\x00tle")
        issue = small_issue(8)
        issue.sections[0].items[0].title = "Paper\x00 one"
        await uow.issues.save(issue, now=FakeClock().now())
        await uow.commit()
    [stored] = await all_suggestions(uow_factory)
    assert stored.title == "Title"
    async with uow_factory() as uow:
        saved = await uow.issues.get(8)
    assert saved is not None
    assert saved.sections[0].items[0].title == "Paper one"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(min_size=1, max_size=80))
async def test_any_note_is_stored_or_refused_never_an_error(uow_factory, note: str):
    service = SuggestionService(uow_factory, FakeClock(), config=SuggestionsConfig(daily_quota=0))
    reply = await service.suggest(ALICE, f"https://example.com/{abs(hash(note))}", note)
    assert "Sorry, I couldn't save" not in reply.text
    if reply.ok and "suggested for the next issue" in reply.text:
        stored = {s.url: s for s in await all_suggestions(uow_factory)}[
            f"https://example.com/{abs(hash(note))}"
        ]
        assert "\x00" not in (stored.note or "")


async def test_a_suggestion_while_the_database_is_down_is_told_to_try_again_and_nothing_is_stored():
    with PrivatePostgres() as cluster:
        await upgrade(cluster.url)
        engine = create_engine(cluster.url)
        try:
            factory = make_uow_factory(engine)
            service = SuggestionService(factory, FakeClock())
            cluster.stop()
            reply = await service.suggest(ALICE, "https://example.com/outage", "good one")
            assert not reply.ok
            assert reply.text == UNAVAILABLE
            assert "try again in a minute" in reply.text
            assert "Thanks" not in reply.text
            cluster.start()
            assert await all_suggestions(factory) == []
            again = await service.suggest(ALICE, "https://example.com/outage", "good one")
            assert "Thanks!" in again.text
        finally:
            await engine.dispose()


async def test_discord_suggest_in_an_outage_gets_the_honest_reply(tmp_path: Path):
    with PrivatePostgres() as cluster:
        async with DiscordEmulator(message_rate=(50, 1.0), heartbeat_interval_ms=5_000) as emu:
            guild = emu.add_guild("Deep Learning Weekly")
            text = emu.add_text_channel(guild, "newsletter")
            forum = emu.add_forum_channel(guild, "newsletter-forum")
            reader = emu.add_member(guild, "reader")
            other_guild = emu.add_guild("Another")
            other_text = emu.add_text_channel(other_guild, "weekly")
            config = discord_config(emu, cluster.url, guild, text, forum, [], (other_guild, other_text))
            config["database"]["spool_dir"] = str(tmp_path / "spool")
            app, runtime = await start_app(config)
            try:
                cluster.stop()
                handle = await emu.dispatch_slash_command(
                    guild, text, reader, "suggest", {"url": "https://example.com/x", "note": "hi"}
                )
                reply = await handle.final()
                assert reply.ephemeral
                assert "try again in a minute" in (reply.content or "")
                assert "Thanks" not in (reply.content or "")
                cluster.start()
                async with app.uow_factory() as uow:
                    assert await uow.suggestions.list() == []
            finally:
                await runtime.stop()
                await app.aclose()
