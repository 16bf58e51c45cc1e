"""The Slack emulator's workspaces and OAuth install flow, driven by the real slack_sdk."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.slack_emulator import SlackEmulator

REDIRECT = "https://bot.example/slack/oauth_redirect"


async def authorize(
    emu: SlackEmulator, team: str, *, state: str = "s1", **extra: str
) -> dict[str, list[str]]:
    params = {"client_id": "111.222", "scope": "chat:write", "state": state, "team": team, **extra}
    async with (
        aiohttp.ClientSession() as session,
        session.get(emu.authorize_url, params=params, allow_redirects=False) as response,
    ):
        assert response.status == 302, await response.text()
        location = urlparse(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


async def install(emu: SlackEmulator, team: str) -> str:
    code = (await authorize(emu, team))["code"][0]
    client = AsyncWebClient(base_url=emu.api_url)
    answer = await client.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert answer["team"]["id"] == team
    return str(answer["access_token"])


@pytest.fixture
async def emu():
    async with SlackEmulator(post_rate_per_second=None) as emulator:
        emulator.add_team("T0SECOND")
        emulator.set_oauth_app("111.222", "shh", redirect_uri=REDIRECT)
        yield emulator


async def test_an_install_hands_out_a_token_for_the_chosen_workspace_once(emu: SlackEmulator):
    granted = await authorize(emu, "T0SECOND", state="abc")
    assert granted["state"] == ["abc"]
    client = AsyncWebClient(base_url=emu.api_url)
    answer = await client.oauth_v2_access(client_id="111.222", client_secret="shh", code=granted["code"][0])
    assert answer["token_type"] == "bot"
    assert answer["bot_user_id"] == emu.teams["T0SECOND"].bot_user_id != emu.bot_user_id
    assert answer["access_token"].startswith("xoxb-T0SECOND-")
    who = await AsyncWebClient(token=answer["access_token"], base_url=emu.api_url).auth_test()
    assert (who["team_id"], who["user_id"]) == ("T0SECOND", answer["bot_user_id"])

    with pytest.raises(SlackApiError) as reused:
        await client.oauth_v2_access(client_id="111.222", client_secret="shh", code=granted["code"][0])
    assert reused.value.response["error"] == "invalid_code"
    code = (await authorize(emu, "T0SECOND"))["code"][0]
    with pytest.raises(SlackApiError) as wrong_secret:
        await client.oauth_v2_access(client_id="111.222", client_secret="guess", code=code)
    assert wrong_secret.value.response["error"] == "bad_client_secret"


async def test_a_declined_install_comes_back_with_an_error_and_no_code(emu: SlackEmulator):
    answer = await authorize(emu, "T0SECOND", state="s9", deny="1")
    assert answer == {"error": ["access_denied"], "state": ["s9"]}


async def test_a_token_reaches_only_its_own_workspace(emu: SlackEmulator):
    token = await install(emu, "T0SECOND")
    theirs = emu.add_channel("news", team="T0SECOND")
    ours = emu.add_channel("news")  # the same name in the first workspace
    second = AsyncWebClient(token=token, base_url=emu.api_url)
    first = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    await second.chat_postMessage(channel=theirs, text="hello second")
    await first.chat_postMessage(channel="#news", text="hello first")
    assert [m.text for m in emu.messages(theirs)] == ["hello second"]
    assert [m.text for m in emu.messages(ours)] == ["hello first"]
    assert emu.messages(theirs)[0].user == emu.teams["T0SECOND"].bot_user_id
    for client, channel in ((second, ours), (first, theirs)):
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel=channel, text="trespass")
        assert refused.value.response["error"] == "channel_not_found"


async def test_events_carry_the_workspace_of_their_channel_and_uninstall_revokes(emu: SlackEmulator):
    token = await install(emu, "T0SECOND")
    channel = emu.add_channel("news", team="T0SECOND")
    user = emu.add_user("bo", team="T0SECOND", user_id=emu.default_user_id)  # an id the first one has too
    posted = await AsyncWebClient(token=token, base_url=emu.api_url).chat_postMessage(
        channel=channel, text="x"
    )
    envelope = emu.event_envelope(emu.reaction_added_event(channel, posted["ts"], user, "fire"))
    assert envelope["team_id"] == "T0SECOND"
    assert envelope["authorizations"][0]["user_id"] == emu.teams["T0SECOND"].bot_user_id
    assert emu.event_envelope({"type": "app_uninstalled"}, team_id="T0SECOND")["team_id"] == "T0SECOND"
    assert json.dumps(emu.event_envelope(emu.reaction_added_event(emu.default_channel_id, "1.0", user, "x")))

    await emu.uninstall("T0SECOND", emit=False)
    with pytest.raises(SlackApiError) as revoked:
        await AsyncWebClient(token=token, base_url=emu.api_url).auth_test()
    assert revoked.value.response["error"] == "token_revoked"
