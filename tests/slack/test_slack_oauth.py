"""Slack for many workspaces, end to end: two workspaces install digestbot through the real OAuth flow over
HTTP (bolt's /slack/install and /slack/oauth_redirect against the emulator's authorize page and
oauth.v2.access), each gets the issue in its own channel with its own token, and their votes count apart."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text, update

from adapters.bootstrap import Application, bootstrap
from adapters.scheduling import build_scheduler, status_rows
from adapters.slack.app import SlackRuntime
from adapters.slack.platform import SlackPlatform
from bot.community.reconcile import ReconcileReport
from bot.config import parse_config
from bot.model import Channel, Platform
from bot.posting.poster import post_to_channels
from bot.scheduling.ports import RunState
from storage.orm.installations import slack_oauth_states
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import ingest_example
from tests.fakes import FakeClock
from tests.slack.conftest import eventually, fuzz_a_running_world, reply_to, serving

FIRST, SECOND = "T0EMULATOR", "T0SECOND"
CLIENT_ID, CLIENT_SECRET = "1234.5678", "oauth-client-secret-value"
STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class Workspaces:
    emu: SlackEmulator
    app: Application
    runtime: SlackRuntime
    channels: dict[str, str]  # team -> channel id

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.runtime.port}"

    def channel(self, team: str) -> Channel:
        return self.app.config.channel(f"news-{team.lower()}").to_channel()

    @property
    def platform(self) -> SlackPlatform:
        platform = self.app.platform(Platform.SLACK)
        assert isinstance(platform, SlackPlatform)
        return platform

    async def start_install(self, browser: aiohttp.ClientSession) -> tuple[str, str]:
        """``GET /slack/install``: Slack's authorize URL to go to, and the state cookie the bot set."""
        async with browser.get(f"{self.base}/slack/install", allow_redirects=False) as response:
            assert response.status == 302, await response.text()
            return response.headers["Location"], response.cookies[STATE_COOKIE].value

    async def approve(self, browser: aiohttp.ClientSession, authorize_url: str, team: str) -> str:
        """A person of ``team`` approves on Slack's page: where Slack sends the browser back."""
        async with browser.get(f"{authorize_url}&team={team}", allow_redirects=False) as response:
            assert response.status == 302, await response.text()
            return response.headers["Location"]

    async def come_back(self, browser: aiohttp.ClientSession, url: str, cookie: str) -> tuple[int, str]:
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"}
        async with browser.get(url, headers=headers, allow_redirects=False) as response:
            return response.status, await response.text()

    async def install(self, team: str) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
            authorize_url, cookie = await self.start_install(browser)
            back = await self.approve(browser, authorize_url, team)
            status, page = await self.come_back(browser, back, cookie)
        assert status == 200, page

    def item_ts(self, team: str, title: str) -> str:
        channel = self.channels[team]
        for parent in self.emu.messages(channel):
            for reply in self.emu.replies(channel, parent.ts):
                if title in reply.text:
                    return reply.ts
        raise AssertionError(f"no item message titled {title!r} in {team}")


def oauth_config(emu: SlackEmulator, database_url: str, channels: dict[str, str]) -> dict[str, Any]:
    return {
        "database": {"url": database_url},
        "slack": {
            "client_id": CLIENT_ID,
            "client_secret": "${SLACK_CLIENT_SECRET}",
            "signing_secret": emu.signing_secret,
            "api_url": emu.api_url,
            "authorize_url": emu.authorize_url,
            "http": {"host": "127.0.0.1", "port": 0},
            "messages_per_second": 50,
            "burst": 10,
        },
        "votes": {"emoji": {"+1": 1, "fire": 2}},
        "channels": [
            {
                "name": f"news-{team.lower()}",
                "platform": "slack",
                "id": channel,
                "team": team,
                "schedule": {"weekday": "monday", "time": "09:00"},
            }
            for team, channel in channels.items()
        ],
    }


@contextlib.asynccontextmanager
async def open_workspaces(database_url: str, *, with_bot_token: bool = False) -> AsyncIterator[Workspaces]:
    """Two workspaces with a channel each; ``with_bot_token``: the first one's channel names no team and
    is posted with ``slack.bot_token``, the way a single-workspace bot grows into many."""
    async with SlackEmulator(post_rate_per_second=50, post_burst=10) as emu:
        emu.add_team(SECOND)
        channels = {FIRST: emu.add_channel("news"), SECOND: emu.add_channel("news", team=SECOND)}
        document = oauth_config(emu, database_url, channels)
        if with_bot_token:
            document["slack"]["bot_token"] = emu.bot_token
            del document["channels"][0]["team"]
        config = parse_config(document, {"SLACK_CLIENT_SECRET": CLIENT_SECRET})
        app = await bootstrap(config, clock=FakeClock())
        async with serving(app, emu) as runtime:
            emu.set_oauth_app(
                CLIENT_ID, CLIENT_SECRET, redirect_uri=f"http://127.0.0.1:{runtime.port}/slack/oauth_redirect"
            )
            yield Workspaces(emu, app, runtime, channels)


@pytest.fixture
async def workspaces(database_url: str) -> AsyncIterator[Workspaces]:
    async with open_workspaces(database_url) as world:
        yield world


async def react_in_both(workspaces: Workspaces, number: int, title: str) -> tuple[str, str]:
    """The same user id reacts 🔥 in both workspaces, and a second voter 👍 in the second one."""
    emu = workspaces.emu
    alice = emu.default_user_id
    assert alice is not None
    emu.add_user("also-alice", team=SECOND, user_id=alice)
    bo = emu.add_user("bo", team=SECOND)
    await emu.add_reaction(workspaces.channels[FIRST], workspaces.item_ts(FIRST, title), alice, "fire")
    await emu.add_reaction(workspaces.channels[SECOND], workspaces.item_ts(SECOND, title), alice, "fire")
    await emu.add_reaction(workspaces.channels[SECOND], workspaces.item_ts(SECOND, title), bo, "+1")
    # A bot's own reaction is not a vote, in whichever workspace.
    await emu.add_reaction(
        workspaces.channels[SECOND], workspaces.item_ts(SECOND, title), emu.teams[SECOND].bot_user_id, "fire"
    )

    async def counted() -> bool:
        scores = await workspaces.app.votes.scores(number)
        assert scores is not None
        return next(s for s in scores if title in s.title).score == 5

    await eventually(counted)
    return alice, bo


async def votes_by_workspace(
    workspaces: Workspaces, number: int, title: str
) -> dict[str, list[tuple[str, str]]]:
    app = workspaces.app
    scores = await app.votes.scores(number)
    assert scores is not None
    score = next(s for s in scores if title in s.title)
    assert dict(score.reactions) == {"fire": 2, "thumbsup": 1}  # two voters called alice: two votes
    async with app.uow_factory() as uow:
        votes = await uow.votes.for_item(number, score.key, Platform.SLACK)
    return {
        team: sorted((v.user_id, v.emoji) for v in votes if v.channel_id == channel)
        for team, channel in workspaces.channels.items()
    }


async def votes_kept_apart_and_reconciled(
    workspaces: Workspaces, number: int, title: str
) -> tuple[str, ReconcileReport]:
    """:func:`react_in_both`, then: each workspace's votes are stored under its own user ids, and reading
    the reactions back through each workspace's token agrees with what the events stored. Returns the
    second voter and the reconcile report."""
    alice, bo = await react_in_both(workspaces, number, title)
    assert await votes_by_workspace(workspaces, number, title) == {
        FIRST: [(f"{FIRST}:{alice}", "fire")],
        SECOND: sorted([(f"{SECOND}:{alice}", "fire"), (f"{SECOND}:{bo}", "thumbsup")]),
    }
    report = await workspaces.app.votes.reconcile(workspaces.platform)
    assert (report.added, report.removed, report.errors) == (0, 0, [])
    return bo, report


async def test_two_workspaces_installed_by_oauth_get_their_posts_and_their_votes_apart(
    workspaces: Workspaces,
):
    emu, app = workspaces.emu, workspaces.app
    await workspaces.install(FIRST)
    await workspaces.install(SECOND)
    assert await workspaces.platform.installations.teams() == [FIRST, SECOND]  # type: ignore[union-attr]
    assert CLIENT_SECRET not in str(app.config)

    number = await ingest_example(app)
    reports = await post_to_channels(
        app.poster, number, [workspaces.channel(FIRST), workspaces.channel(SECOND)]
    )
    assert [r.complete for r in reports] == [True, True]
    for team, channel in workspaces.channels.items():
        posted = emu.all_messages(channel)
        assert len(posted) == 26
        assert {m.user for m in posted} == {emu.teams[team].bot_user_id}  # each with its own bot token

    bo, report = await votes_kept_apart_and_reconciled(workspaces, number, "Lyra")
    assert report.messages_read == 2 * 21

    # The leaderboard, asked from the second workspace, counts both.
    top = await emu.send_slash_command(
        f"{workspaces.base}/slack/events",
        "/digest",
        "top",
        user_id=bo,
        channel_id=workspaces.channels[SECOND],
    )
    text = (await reply_to(emu, top))["text"]
    assert "Lyra" in text.splitlines()[1], text


async def test_an_uninstalled_workspace_is_skipped_and_the_other_goes_on(
    workspaces: Workspaces, caplog: pytest.LogCaptureFixture
):
    emu, app = workspaces.emu, workspaces.app
    await workspaces.install(FIRST)
    await workspaces.install(SECOND)
    await ingest_example(app)

    await emu.uninstall(SECOND)
    installations = workspaces.platform.installations
    assert installations is not None

    async def forgotten() -> bool:
        return await installations.bot(SECOND) is None

    await eventually(forgotten)
    assert await installations.bot(FIRST) is not None

    scheduler = build_scheduler(app)
    assert scheduler is not None
    with caplog.at_level(logging.WARNING):
        outcomes = {o.run.channel_name: o for o in await scheduler.tick()}
    assert outcomes["news-t0emulator"].state is RunState.DONE
    assert outcomes["news-t0second"].state is RunState.SKIPPED
    assert "T0SECOND has not installed digestbot" in str(outcomes["news-t0second"].error)
    skipped = [r.getMessage() for r in caplog.records if "news-t0second" in r.getMessage()]
    assert len(skipped) == 1, skipped
    assert len(emu.all_messages(workspaces.channels[FIRST])) == 26
    assert emu.all_messages(workspaces.channels[SECOND]) == []
    assert await scheduler.tick() == []  # the skipped run is not tried again

    [status] = [row for row in await status_rows(app) if row["channel"] == "news-t0second"]
    assert status["last_run"]["state"] == "skipped"
    assert "has not installed digestbot" in status["last_run"]["error"]

    # Installed again: its channel gets its posts with the new token.
    await workspaces.install(SECOND)
    [report] = await post_to_channels(app.poster, 195, [workspaces.channel(SECOND)])
    assert report.complete
    assert len(emu.all_messages(workspaces.channels[SECOND])) == 26


async def test_a_revoked_bot_token_stops_the_workspace_too(workspaces: Workspaces):
    await workspaces.install(SECOND)
    installations = workspaces.platform.installations
    assert installations is not None
    await workspaces.emu.revoke_bot_token(SECOND)

    async def forgotten() -> bool:
        return await installations.bot(SECOND) is None

    await eventually(forgotten)
    assert "has not installed" in str(await workspaces.app.unavailable(workspaces.channel(SECOND)))


async def test_an_unreadable_installation_store_is_a_transient_failure(workspaces: Workspaces):
    app = workspaces.app
    await workspaces.install(SECOND)
    number = await ingest_example(app)
    app.retry.first_delay = 0.01
    workspaces.platform.installations._bots.clear()  # type: ignore[union-attr]
    async with app.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE slack_bots RENAME TO slack_bots_away"))
    assert await app.unavailable(workspaces.channel(SECOND)) is None  # not a reason to skip the post
    [failed] = await post_to_channels(app.poster, number, [workspaces.channel(SECOND)])
    assert not failed.complete
    assert not failed.permanent
    assert "could not read the Slack installations" in failed.errors[0]
    async with app.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE slack_bots_away RENAME TO slack_bots"))
    [report] = await post_to_channels(app.poster, number, [workspaces.channel(SECOND)])
    assert report.complete


async def test_revoked_user_tokens_leave_the_workspace_installed(workspaces: Workspaces):
    await workspaces.install(SECOND)
    installations = workspaces.platform.installations
    assert installations is not None
    installer = workspaces.emu.default_user_id
    event = {"type": "tokens_revoked", "tokens": {"oauth": [installer]}, "event_ts": workspaces.emu.next_ts()}
    answer = await workspaces.emu.deliver_event(f"{workspaces.base}/slack/events", event, team_id=SECOND)
    assert answer.status == 200

    async def user_install_gone() -> bool:
        found = await installations.store.async_find_installation(
            enterprise_id=None, team_id=SECOND, user_id=installer
        )
        return found is None

    await eventually(user_install_gone)
    assert await installations.bot(SECOND) is not None
    assert await workspaces.app.unavailable(workspaces.channel(SECOND)) is None


async def test_a_forged_or_stale_or_replayed_state_is_refused(workspaces: Workspaces):
    emu = workspaces.emu
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
        # Forged: a state digestbot never issued, even with a matching cookie.
        forged = f"{workspaces.base}/slack/oauth_redirect?{urlencode({'code': 'x', 'state': 'forged'})}"
        status, _ = await workspaces.come_back(browser, forged, "forged")
        assert status >= 400

        # Another browser's state: the cookie does not match.
        authorize_url, cookie = await workspaces.start_install(browser)
        back = await workspaces.approve(browser, authorize_url, SECOND)
        status, _ = await workspaces.come_back(browser, back, "someone-elses-state")
        assert status >= 400

        # Stale: the state expired before the browser came back.
        authorize_url, cookie = await workspaces.start_install(browser)
        state = parse_qs(urlparse(authorize_url).query)["state"][0]
        async with workspaces.app.engine.begin() as connection:
            await connection.execute(
                update(slack_oauth_states)
                .where(slack_oauth_states.c.state == state)
                .values(expire_at=datetime(2000, 1, 1))
            )
        back = await workspaces.approve(browser, authorize_url, SECOND)
        status, _ = await workspaces.come_back(browser, back, cookie)
        assert status >= 400
        assert emu.oauth_exchanges == []  # no code was exchanged for a refused state
        assert await workspaces.platform.installations.teams() == []  # type: ignore[union-attr]

        # Declined on Slack's page: nothing installed, nothing exchanged.
        authorize_url, cookie = await workspaces.start_install(browser)
        back = await workspaces.approve(browser, authorize_url + "&deny=1", SECOND)
        assert "error=access_denied" in back
        await workspaces.come_back(browser, back, cookie)
        assert emu.oauth_exchanges == []

        # Replayed: a good state works once.
        authorize_url, cookie = await workspaces.start_install(browser)
        back = await workspaces.approve(browser, authorize_url, SECOND)
        assert (await workspaces.come_back(browser, back, cookie))[0] == 200
        status, _ = await workspaces.come_back(browser, back, cookie)
        assert status >= 400
    assert len(emu.oauth_exchanges) == 1


async def test_a_configured_bot_token_serves_its_workspace_next_to_the_installed_ones(database_url: str):
    async with open_workspaces(database_url, with_bot_token=True) as workspaces:
        emu, app = workspaces.emu, workspaces.app
        await workspaces.install(SECOND)
        # The bot token's workspace was kept with the installations, so bolt authorizes its events.
        assert await workspaces.platform.installations.teams() == [FIRST, SECOND]  # type: ignore[union-attr]
        number = await ingest_example(app)
        channels = [workspaces.channel(FIRST), workspaces.channel(SECOND)]
        assert workspaces.channel(FIRST).guild_id is None
        reports = await post_to_channels(app.poster, number, channels)
        assert [r.complete for r in reports] == [True, True]
        assert {m.user for m in emu.all_messages(workspaces.channels[FIRST])} == {emu.bot_user_id}

        await votes_kept_apart_and_reconciled(workspaces, number, "Lyra")


@given(state=st.text(max_size=300), code=st.text(max_size=100), same_cookie=st.booleans())
@fuzz_a_running_world
async def test_any_made_up_redirect_is_refused_without_asking_slack(
    workspaces: Workspaces, state: str, code: str, same_cookie: bool
):
    query = urlencode({"code": code, "state": state})
    cookie = quote(state, safe="") if same_cookie else "other"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
        status, _ = await workspaces.come_back(
            browser, f"{workspaces.base}/slack/oauth_redirect?{query}", cookie
        )
    assert 400 <= status < 500
    assert workspaces.emu.oauth_exchanges == []
    assert await workspaces.platform.installations.teams() == []  # type: ignore[union-attr]
