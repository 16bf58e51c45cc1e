"""/suggest abuse limits (quota, repeats, mentions) and the page titles fetched in the background."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import timedelta

import pytest
from aiohttp import web

from adapters.outbound.title_fetcher import HttpTitleFetcher, any_address, public_only
from bot.community.suggestions import Actor, SuggestionService, strip_mentions
from bot.community.titles import title_from_html
from bot.config import SuggestionsConfig
from bot.model import Platform
from tests.fakes import FakeClock
from tests.local_http import served
from tests.tables import table_test

ALICE = Actor(Platform.SLACK, "U1", workspace_id="T1", channel_id="C1")


async def stored(uow_factory):
    async with uow_factory() as uow:
        return await uow.suggestions.list()


test_mentions_are_stripped_from_notes = table_test(
    strip_mentions,
    [
        ("Great read @here <!channel> <!here> <!everyone> @everyone", "Great read"),
        ("thanks <@U123ABC> and <@!42> and <@&777> <!subteam^S1|@devs>", "thanks and and"),
        ("plain note about a@here.com", "plain note about a@here.com"),
    ],
)


async def test_notes_are_stored_without_mentions(uow_factory):
    service = SuggestionService(uow_factory, FakeClock())
    await service.suggest(ALICE, "https://example.com/a", "<!channel> look @everyone")
    [suggestion] = await stored(uow_factory)
    assert suggestion.note == "look"


async def test_a_daily_quota_per_user(uow_factory):
    clock = FakeClock()
    service = SuggestionService(uow_factory, clock, config=SuggestionsConfig(daily_quota=3))
    for n in range(3):
        assert (await service.suggest(ALICE, f"https://example.com/{n}", None)).ok
    refused = await service.suggest(ALICE, "https://example.com/4", None)
    assert not refused.ok
    assert "24 hours" in refused.text
    again = await service.suggest(ALICE, "https://example.com/0", None)  # a repeat is a no-op, no quota
    assert "already suggested" in again.text
    other = Actor(Platform.DISCORD, "U1")  # the same id on another platform is someone else
    assert (await service.suggest(other, "https://example.com/5", None)).ok
    clock.current += timedelta(hours=24, seconds=1)
    assert (await service.suggest(ALICE, "https://example.com/4", None)).ok
    assert len(await stored(uow_factory)) == 5


def test_titles_come_from_open_graph_then_the_title_tag():
    page = """<html><head><title>  Plain &amp; simple </title>
        <meta content="The OG title" property="og:title"></head></html>"""
    assert title_from_html(page) == "The OG title"
    assert title_from_html("<TITLE>Only\n a title</TITLE>") == "Only a title"
    assert title_from_html("<p>nothing</p>") is None


@pytest.fixture
async def site():
    hits: list[str] = []

    async def page(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(
            text="<html><head><meta property='og:title' content='A local page'></head></html>",
            content_type="text/html",
        )

    async def hop(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound("/page")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="<title>late</title>", content_type="text/html")

    async def huge(request: web.Request) -> web.Response:
        return web.Response(text="x" * 300_000 + "<title>after the cap</title>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/page", page)
    app.router.add_get("/hop", hop)
    app.router.add_get("/slow", slow)
    app.router.add_get("/huge", huge)
    async with served(app) as base:
        yield base, hits


async def test_a_title_is_fetched_when_private_addresses_are_allowed(site):
    base, _ = site
    fetcher = HttpTitleFetcher(policy=any_address)
    assert await fetcher.fetch_title(f"{base}/page") == "A local page"
    assert await fetcher.fetch_title(f"{base}/hop") == "A local page"


async def test_loopback_is_refused_by_default(site):
    base, hits = site
    fetcher = HttpTitleFetcher()
    assert await fetcher.fetch_title(f"{base}/page") is None
    assert await fetcher.fetch_title(f"http://localhost:{base.rsplit(':', 1)[1]}/page") is None
    assert hits == []  # refused before connecting


def test_the_default_policy_allows_only_public_unicast():
    for address in ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fe80::1", "0.0.0.0"]:
        assert not public_only(ipaddress.ip_address(address)), address
    assert not public_only(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert public_only(ipaddress.ip_address("93.184.216.34"))


async def test_every_redirect_hop_is_checked_again(site):
    base, hits = site
    checks: list[str] = []

    def first_only(address):
        checks.append(str(address))
        return len(checks) == 1

    assert await HttpTitleFetcher(policy=first_only).fetch_title(f"{base}/hop") is None
    assert hits == ["/hop"]  # the redirect target was never fetched


async def test_other_schemes_timeouts_and_size_caps(site):
    base, _ = site
    fetcher = HttpTitleFetcher(policy=any_address, timeout=0.3, max_bytes=100_000)
    assert await fetcher.fetch_title("ftp://127.0.0.1/x") is None
    assert await fetcher.fetch_title("file:///etc/passwd") is None
    assert await fetcher.fetch_title(f"{base}/slow") is None
    assert await fetcher.fetch_title(f"{base}/huge") is None  # the title lies past the cap


async def test_titles_are_fetched_after_the_reply_and_kept(uow_factory, site):
    base, _ = site
    service = SuggestionService(uow_factory, FakeClock(), titles=HttpTitleFetcher(policy=any_address))
    reply = await service.suggest(ALICE, f"{base}/page", None)
    assert reply.ok
    await service.drain()
    [suggestion] = await stored(uow_factory)
    assert suggestion.title == "A local page"


async def test_a_failed_fetch_still_keeps_the_suggestion(uow_factory, site):
    base, _ = site
    service = SuggestionService(uow_factory, FakeClock(), titles=HttpTitleFetcher())  # loopback refused
    assert (await service.suggest(ALICE, f"{base}/page", None)).ok
    await service.drain()
    [suggestion] = await stored(uow_factory)
    assert suggestion.title is None
