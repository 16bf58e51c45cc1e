"""The Slack emulator, exercised with the real slack_sdk and slack_bolt (nothing reaches slack.com).

Tests that are not about pacing run with ``post_rate_per_second=None``; the real-rate tests keep
to a handful of posts so the whole file stays within a few seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.slack_emulator import SlackEmulator, SlackEmulatorError, SocketAck, sign_request


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(post_rate_per_second=None) as emulator:
        yield emulator


def web_client(emu: SlackEmulator, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, **kwargs)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


async def wait_until(predicate: Any, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------------------------- Web API


async def test_auth_and_unknown_method(emu: SlackEmulator) -> None:
    auth = await web_client(emu).auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == (emu.team_id, emu.bot_user_id, emu.bot_id)

    for token, error in [
        ("xoxb-wrong", "invalid_auth"),
        (None, "not_authed"),
        (emu.app_token, "not_allowed_token_type"),
    ]:
        with pytest.raises(SlackApiError) as exc:
            await AsyncWebClient(token=token, base_url=emu.api_url).chat_postMessage(
                channel="general", text="x"
            )
        assert exc.value.response["error"] == error
    with pytest.raises(SlackApiError) as exc:
        await web_client(emu).api_call("chat.frobnicate")
    assert exc.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as exc:
        await web_client(emu).chat_postMessage(channel="C_NOPE", text="x")
    assert exc.value.response["error"] == "channel_not_found"


async def test_post_top_level_and_threaded_messages_and_read_them_back(emu: SlackEmulator) -> None:
    client = web_client(emu)
    ch = emu.add_channel("digest")
    head = await client.chat_postMessage(
        channel=ch, text="Issue 195", blocks=[header("Deep Learning Weekly")]
    )
    sec = await client.chat_postMessage(
        channel=ch,
        text="Research",
        metadata={"event_type": "digest_section", "event_payload": {"issue": 195, "section": "Research"}},
    )
    items = [
        await client.chat_postMessage(
            channel=ch,
            thread_ts=sec["ts"],
            text=f"item {i}",
            blocks=[section(f"*Item {i}* <https://example.com/{i}|link>")],
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": "digest_item", "event_payload": {"item": i}},
        )
        for i in range(3)
    ]
    # Form-encoded bodies (as api_call(data=...) sends them) work as well as JSON ones.
    form = await client.api_call("chat.postMessage", data={"channel": ch, "text": "form-encoded"})
    assert form["message"]["text"] == "form-encoded"

    all_ts = [head["ts"], sec["ts"], *(m["ts"] for m in items), form["ts"]]
    assert all_ts == sorted(all_ts, key=lambda t: tuple(map(int, t.split("."))))
    assert len(set(all_ts)) == 6
    assert [m.text for m in emu.messages(ch)] == ["Issue 195", "Research", "form-encoded"]
    replies = emu.replies(ch, sec["ts"])
    assert [r.text for r in replies] == ["item 0", "item 1", "item 2"]
    assert replies[0].metadata == {"event_type": "digest_item", "event_payload": {"item": 0}}
    assert replies[0].unfurl_links is False
    assert replies[0].user == emu.bot_user_id
    assert replies[0].blocks == [section("*Item 0* <https://example.com/0|link>")]

    history = await client.conversations_history(channel=ch, include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == [
        "form-encoded",
        "Research",
        "Issue 195",
    ]  # newest first
    research = history["messages"][1]
    assert research["metadata"]["event_payload"] == {"issue": 195, "section": "Research"}
    assert research["reply_count"] == 3
    assert research["thread_ts"] == sec["ts"]
    plain = await client.conversations_history(channel=ch)
    assert all("metadata" not in m for m in plain["messages"])

    page1 = await client.conversations_history(channel=ch, limit=2)
    assert page1["has_more"]
    assert len(page1["messages"]) == 2
    page2 = await client.conversations_history(
        channel=ch, limit=2, cursor=page1["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in page2["messages"]] == ["Issue 195"]
    assert not page2["has_more"]
    newer = await client.conversations_history(channel=ch, oldest=sec["ts"])
    assert [m["text"] for m in newer["messages"]] == ["form-encoded"]

    thread = await client.conversations_replies(channel=ch, ts=sec["ts"], include_all_metadata=True, limit=2)
    assert [m["text"] for m in thread["messages"]] == ["Research", "item 0", "item 1"]  # parent first
    assert thread["messages"][1]["metadata"]["event_type"] == "digest_item"
    rest = await client.conversations_replies(
        channel=ch, ts=sec["ts"], cursor=thread["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["Research", "item 2"]

    for bad_thread in ["1.000001", items[0]["ts"]]:  # unknown ts, and a reply's ts (stricter than Slack)
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel=ch, thread_ts=bad_thread, text="x")
        assert exc.value.response["error"] == "thread_not_found"


async def test_block_kit_and_text_limits(emu: SlackEmulator) -> None:
    client = web_client(emu)
    ch = emu.default_channel_id
    ok_cases = [[section("x")] * 50, [section("a" * 3000)], [header("h" * 150)]]
    for blocks in ok_cases:
        await client.chat_postMessage(channel=ch, text="fallback", blocks=blocks)
    bad_cases = {
        "51 blocks": [section("x")] * 51,
        "3001-char section": [section("a" * 3001)],
        "151-char header": [header("h" * 151)],
        "mrkdwn header": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
        "empty section": [section("")],
    }
    for name, blocks in bad_cases.items():
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel=ch, text="fallback", blocks=blocks)
        assert exc.value.response["error"] == "invalid_blocks", name
        assert exc.value.response["errors"], name
    too_many = await _error(client.chat_postMessage(channel=ch, text="fallback", blocks=[section("x")] * 51))
    assert "too_many_blocks" in too_many["errors"][0]
    assert (await _error(client.chat_postMessage(channel=ch, text="x" * 40_001)))["error"] == "msg_too_long"
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns client-side, then Slack refuses
        assert (await _error(client.chat_postMessage(channel=ch)))["error"] == "no_text"
    assert len(emu.messages(ch)) == len(ok_cases)  # nothing invalid was stored


async def _error(call: Any) -> Any:
    with pytest.raises(SlackApiError) as exc:
        await call
    return exc.value.response


async def test_reactions_add_get_remove(emu: SlackEmulator) -> None:
    client = web_client(emu)
    ch = emu.default_channel_id
    bob = emu.add_user("bob")
    ts = (await client.chat_postMessage(channel=ch, text="vote on me"))["ts"]
    await client.reactions_add(channel=ch, timestamp=ts, name="thumbsup")
    assert (await _error(client.reactions_add(channel=ch, timestamp=ts, name="thumbsup")))[
        "error"
    ] == "already_reacted"
    await emu.add_reaction(ch, ts, emu.default_user_id, "thumbsup")  # no event target: state only
    await emu.add_reaction(ch, ts, bob, "fire")

    got = await client.reactions_get(channel=ch, timestamp=ts, full=True)
    assert got["type"] == "message"
    assert got["channel"] == ch
    assert got["message"]["reactions"] == [
        {"name": "thumbsup", "users": [emu.bot_user_id, emu.default_user_id], "count": 2},
        {"name": "fire", "users": [bob], "count": 1},
    ]
    await client.reactions_remove(channel=ch, timestamp=ts, name="thumbsup")
    await emu.remove_reaction(ch, ts, bob, "fire")
    got = await client.reactions_get(channel=ch, timestamp=ts, full=True)
    assert got["message"]["reactions"] == [{"name": "thumbsup", "users": [emu.default_user_id], "count": 1}]
    assert (await _error(client.reactions_remove(channel=ch, timestamp=ts, name="fire")))[
        "error"
    ] == "no_reaction"
    assert (await _error(client.reactions_get(channel=ch, timestamp="1.2")))["error"] == "message_not_found"
    assert (await _error(client.reactions_add(channel=ch, timestamp=ts, name=":x:")))[
        "error"
    ] == "invalid_name"
    with pytest.raises(SlackEmulatorError, match="already_reacted"):
        await emu.add_reaction(ch, ts, emu.default_user_id, "thumbsup")


async def test_ephemeral_update_permalink_users(emu: SlackEmulator) -> None:
    client = web_client(emu)
    ch = emu.default_channel_id
    await client.chat_postEphemeral(channel=ch, user=emu.default_user_id, text="only you")
    assert [(e.user, e.text, e.via) for e in emu.ephemerals] == [(emu.default_user_id, "only you", "api")]
    ts = (await client.chat_postMessage(channel=ch, text="v1"))["ts"]
    await client.chat_update(channel=ch, ts=ts, text="v2", blocks=[section("v2")])
    assert emu.message(ch, ts).text == "v2"
    assert emu.message(ch, ts).edited_ts
    link = await client.chat_getPermalink(channel=ch, message_ts=ts)
    assert link["permalink"].endswith(ts.replace(".", ""))
    user = await client.users_info(user=emu.default_user_id)
    assert user["user"]["name"] == "alice"
    assert (await _error(client.users_info(user="U_NOPE")))["error"] == "user_not_found"


# ---------------------------------------------------------------------------------- rate limits


async def test_post_rate_limit_is_per_channel_and_answers_429_with_retry_after() -> None:
    async with SlackEmulator(post_rate_per_second=1.0, post_burst=3) as emu:
        client = web_client(emu, retry_handlers=[])
        a, b = emu.default_channel_id, emu.add_channel("other")
        for i in range(3):
            await client.chat_postMessage(channel=a, text=f"a{i}")
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel=a, text="a3")
        assert exc.value.response.status_code == 429
        assert exc.value.response.headers["Retry-After"] == "1"
        assert exc.value.response["error"] == "ratelimited"
        for i in range(3):  # the other channel has its own bucket
            await client.chat_postMessage(channel=b, text=f"b{i}")
        assert emu.rate_limited_count == 1
        assert emu.rate_limited_by_channel == {a: 1}
        assert len(emu.post_times(a)) == 3
        assert len(emu.post_times(b)) == 3
        assert [m.text for m in emu.messages(a)] == ["a0", "a1", "a2"]


async def test_sdk_rate_limit_retry_handler_waits_for_retry_after_and_succeeds() -> None:
    async with SlackEmulator(post_rate_per_second=1.0, post_burst=2) as emu:
        handler = AsyncRateLimitErrorRetryHandler(max_retry_count=2)
        client = web_client(emu, retry_handlers=[handler])
        ch = emu.default_channel_id
        started = time.monotonic()
        for i in range(3):
            await client.chat_postMessage(channel=ch, text=f"m{i}")
        elapsed = time.monotonic() - started
        assert emu.rate_limited_count == 1
        assert 1.0 <= elapsed < 3.0  # slept int(Retry-After) + random() in [0, 1)
        times = emu.post_times(ch)
        assert len(times) == 3
        assert times[2] - times[0] >= 1.0
        # accepted posts always respect the bucket: n posts in t seconds <= burst + rate * t
        for i in range(len(times)):
            for j in range(i, len(times)):
                assert j - i + 1 <= emu.max_allowed_posts(times[j] - times[i]) + 1e-6


async def test_storm_fail_next_and_tier_limits(emu: SlackEmulator) -> None:
    client = web_client(emu, retry_handlers=[])
    ch = emu.default_channel_id
    emu.rate_limit_storm(ch, 2, retry_after=7)
    for _ in range(2):
        resp = await _error(client.chat_postMessage(channel=ch, text="x"))
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "7"
    await client.chat_postMessage(channel=ch, text="after the storm")

    emu.fail_next("chat.postMessage", 1, status=500)
    assert (await _error(client.chat_postMessage(channel=ch, text="x"))).status_code == 500
    emu.fail_next("chat.postMessage", 1, status=503)
    retrying = web_client(emu, retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=1)])
    await retrying.chat_postMessage(channel=ch, text="retried after 503")
    emu.fail_next("reactions.get", 1, error="internal_error")
    assert (await _error(client.reactions_get(channel=ch, timestamp="1.2"))).status_code == 200
    assert [m.text for m in emu.messages(ch)] == ["after the storm", "retried after 503"]

    emu.set_method_limit("reactions.get", 60, burst=2)
    ts = emu.messages(ch)[0].ts
    await client.reactions_get(channel=ch, timestamp=ts)
    await client.reactions_get(channel=ch, timestamp=ts)
    limited = await _error(client.reactions_get(channel=ch, timestamp=ts))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert emu.rate_limited_by_method["reactions.get"] == 1


async def test_drop_after_accept_stores_the_message_but_the_client_sees_an_error(emu: SlackEmulator) -> None:
    ch = emu.default_channel_id
    emu.drop_after_accept("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await web_client(emu, retry_handlers=[]).chat_postMessage(channel=ch, text="accepted")
    assert [m.text for m in emu.messages(ch)] == ["accepted"]

    # slack_sdk's default AsyncWebClient retries connection errors once, so the same post lands twice.
    emu.drop_after_accept("chat.postMessage")
    await web_client(emu).chat_postMessage(channel=ch, text="dup")
    assert [m.text for m in emu.messages(ch)] == ["accepted", "dup", "dup"]


# ---------------------------------------------------------------------------------- Bolt over HTTP


@asynccontextmanager
async def serve(app: AsyncApp) -> AsyncIterator[str]:
    """Serve a Bolt AsyncApp's ``POST /slack/events`` on 127.0.0.1 with aiohttp; yields the URL."""

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        await runner.cleanup()


def bolt_app(emu: SlackEmulator) -> tuple[AsyncApp, asyncio.Queue[dict[str, Any]]]:
    app = AsyncApp(client=web_client(emu), signing_secret=emu.signing_secret)
    seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @app.event("reaction_added")
    async def on_reaction(body: dict[str, Any], event: dict[str, Any], request: Any) -> None:
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        await seen.put({"event_id": body["event_id"], "event": event, "retry": retry})

    @app.event("reaction_removed")
    async def on_unreaction(body: dict[str, Any], event: dict[str, Any]) -> None:
        await seen.put({"event_id": body["event_id"], "event": event})

    @app.command("/suggest")
    async def on_suggest(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(f"Thanks, queued {command['text'].split()[0]}")
        await seen.put({"command": command})

    return app, seen


async def test_signed_reaction_added_reaches_the_bolt_listener(emu: SlackEmulator) -> None:
    app, seen = bolt_app(emu)
    ch, user = emu.default_channel_id, emu.default_user_id
    ts = (await web_client(emu).chat_postMessage(channel=ch, text="item"))["ts"]
    async with serve(app) as url:
        assert (await emu.verify_request_url(url, challenge="abc")).json() == {"challenge": "abc"}
        event = emu.reaction_added_event(ch, ts, user, "thumbsup")
        status, body = await emu.deliver_event(url, event, event_id="Ev0001")
        assert status == 200
        assert body == ""
        got = await asyncio.wait_for(seen.get(), 3)
        assert got["event_id"] == "Ev0001"
        assert got["retry"] is None
        assert got["event"] == {
            "type": "reaction_added",
            "user": user,
            "item": {"type": "message", "channel": ch, "ts": ts},
            "reaction": "thumbsup",
            "item_user": emu.bot_user_id,
            "event_ts": event["event_ts"],
        }
        assert emu.call_counts["auth.test"] == 1  # Bolt authorizes via auth.test on the emulator

        # Redelivery: same event_id, with Slack's retry headers.
        response = await emu.redeliver(url, emu.deliveries[-1], retry_num=1, retry_reason="http_timeout")
        assert response.status == 200
        again = await asyncio.wait_for(seen.get(), 3)
        assert (again["event_id"], again["retry"]) == ("Ev0001", "1")

        # State-changing helper emits the event to the configured Request URL.
        emu.event_request_url = url
        delivery = await emu.add_reaction(ch, ts, user, "fire")
        assert delivery is not None
        assert delivery.response is not None
        assert delivery.response.status == 200
        assert (await asyncio.wait_for(seen.get(), 3))["event"]["reaction"] == "fire"
        assert emu.message(ch, ts).reactions == {"fire": [user]}


async def test_forged_or_stale_requests_get_401_and_never_reach_the_listener(emu: SlackEmulator) -> None:
    app, seen = bolt_app(emu)
    ch = emu.default_channel_id
    event = emu.reaction_added_event(ch, "1700000000.000100", emu.default_user_id, "thumbsup")
    async with serve(app) as url:
        forged = await emu.deliver_event(url, event, bad_signature=True)
        stale = await emu.deliver_event(url, event, timestamp=int(time.time()) - 301)
        wrong_secret = await emu.send_slash_command(url, text="https://x.y", signing_secret="not-the-secret")
        assert [forged.status, stale.status, wrong_secret.status] == [401, 401, 401]
        # The bot's own reactions are dropped by Bolt's ignoring-self-events middleware (status 200).
        own = await emu.deliver_event(url, emu.reaction_added_event(ch, "1.1", emu.bot_user_id, "x"))
        assert own.status == 200
        await asyncio.sleep(0.2)
        assert seen.empty()


async def test_slash_command_is_acked_and_respond_is_recorded(emu: SlackEmulator) -> None:
    app, seen = bolt_app(emu)
    async with serve(app) as url:
        result = await emu.send_slash_command(url, "/suggest", "https://example.com/paper great read")
        assert result.status == 200
        assert result.body == ""
        assert result.elapsed < 3.0  # Slack's ack deadline
        got = await asyncio.wait_for(seen.get(), 3)
        command = got["command"]
        assert command["command"] == "/suggest"
        assert command["text"] == "https://example.com/paper great read"
        assert command["user_id"] == emu.default_user_id
        assert command["channel_name"] == "general"
        assert command["response_url"].startswith(emu.base_url + "commands/response/")
        for key in ("token", "team_id", "team_domain", "api_app_id", "is_enterprise_install", "trigger_id"):
            assert key in command
        await wait_until(lambda: emu.responses_for(result.trigger_id))
        (response,) = emu.responses_for(result.trigger_id)
        assert (response.via, response.response_type) == ("response_url", "ephemeral")
        assert response.body["text"] == "Thanks, queued https://example.com/paper"
        assert emu.ephemerals[-1].text == response.body["text"]


async def test_bolt_answers_404_to_unhandled_events_so_slack_would_retry_them(emu: SlackEmulator) -> None:
    app, _ = bolt_app(emu)
    mention = {"type": "app_mention", "user": emu.default_user_id, "text": "hi", "event_ts": emu.next_ts()}
    async with serve(app) as url:
        assert (await emu.deliver_event(url, mention)).status == 404
        assert (await emu.send_slash_command(url, "/unregistered")).status == 404


def test_signature_matches_slack_sdk_verifier() -> None:
    from slack_sdk.signature import SignatureVerifier

    body, ts = '{"a":1}', str(int(time.time()))
    assert SignatureVerifier("s3cret").is_valid(body, ts, sign_request("s3cret", ts, body))


# ---------------------------------------------------------------------------------- Socket Mode


async def test_socket_mode_event_and_command_are_received_and_acked(emu: SlackEmulator) -> None:
    app, seen = bolt_app(emu)

    @app.command("/vote")
    async def on_vote(ack: Any) -> None:
        await ack("Counted!")

    handler = AsyncSocketModeHandler(app, emu.app_token)
    await handler.connect_async()
    try:
        await emu.wait_for_socket_connection()
        ch = emu.default_channel_id
        ts = (await web_client(emu).chat_postMessage(channel=ch, text="item"))["ts"]

        delivery = await emu.push_socket_event(emu.reaction_added_event(ch, ts, emu.default_user_id, "fire"))
        assert delivery.ack is not None
        assert delivery.ack.envelope_id == delivery.envelope_id
        got = await asyncio.wait_for(seen.get(), 3)
        assert got["event_id"] == delivery.event_id
        assert got["event"]["reaction"] == "fire"
        assert got["retry"] == "0"  # Bolt mirrors retry_attempt into x-slack-retry-num

        inv, ack = await emu.push_socket_command("/suggest", "https://example.com/x")
        assert isinstance(ack, SocketAck)
        assert ack.payload is None
        assert ack.envelope_type == "slash_commands"
        assert (await asyncio.wait_for(seen.get(), 3))["command"]["trigger_id"] == inv.trigger_id
        await wait_until(lambda: emu.responses_for(inv.trigger_id))
        assert emu.responses_for(inv.trigger_id)[0].body["text"] == "Thanks, queued https://example.com/x"

        vote, vote_ack = await emu.push_socket_command("/vote")
        assert isinstance(vote_ack, SocketAck)
        assert vote_ack.payload == {"text": "Counted!"}
        assert [r.via for r in emu.responses_for(vote.trigger_id)] == ["ack"]

        # Slack's "disconnect" message makes slack_sdk open a fresh connection.
        await emu.disconnect_socket()
        await emu.wait_for_socket_connection(count=2)
        await wait_until(lambda: emu.socket_connections == 1)
        added = await emu.add_reaction(ch, ts, emu.default_user_id, "fire")  # goes over the new socket
        assert added is not None
        assert added.transport == "socket"
        assert (await asyncio.wait_for(seen.get(), 3))["event"]["type"] == "reaction_added"
        removed = await emu.remove_reaction(ch, ts, emu.default_user_id, "fire")
        assert removed is not None
        assert removed.transport == "socket"
        assert removed.ack is not None
        assert (await asyncio.wait_for(seen.get(), 3))["event"]["type"] == "reaction_removed"
        assert emu.call_counts["apps.connections.open"] == 2
    finally:
        await handler.close_async()


# ---------------------------------------------------------------------------------- files + interactivity


async def test_files_upload_v2_goes_through_the_three_step_upload(emu: SlackEmulator) -> None:
    client = web_client(emu)
    general = emu.channel_id("general")
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    response = await client.files_upload_v2(
        channel=general, content=png, filename="chart.png", title="Top 5", initial_comment="Last week"
    )
    assert response["file"]["title"] == "Top 5"
    [uploaded] = emu.files.values()
    assert (uploaded.data, uploaded.filename, uploaded.channel) == (png, "chart.png", general)
    [message] = emu.messages(general)
    assert message.text == "Last week"
    assert message.files is not None
    assert message.files[0]["id"] == uploaded.id
    assert [m for m, _ in emu.calls][-2:] == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id=general)
    assert refused.value.response["error"] == "file_not_found"


async def test_a_block_action_reaches_the_bolt_listener_and_its_response_url(emu: SlackEmulator) -> None:
    app = AsyncApp(client=web_client(emu), signing_secret=emu.signing_secret)
    seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @app.action("approve")
    async def on_approve(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        await seen.put({"body": body, "action": action})
        await respond(text=f"approved {action['value']}", response_type="ephemeral")

    @app.action("section")
    async def on_section(ack: Any, action: dict[str, Any]) -> None:
        await ack()
        await seen.put({"action": action})

    async with serve(app) as url:
        result = await emu.send_block_action(url, "approve", value="17")
        assert result.status == 200
        got = await asyncio.wait_for(seen.get(), 3)
        assert got["action"]["value"] == "17"
        assert got["body"]["user"]["id"] == emu.default_user_id
        await wait_until(lambda: emu.responses_for(result.trigger_id))
        [response] = emu.responses_for(result.trigger_id)
        assert response.body["text"] == "approved 17"
        await emu.send_block_action(url, "section", selected="Papers")
        picked = await asyncio.wait_for(seen.get(), 3)
        assert picked["action"]["selected_option"]["value"] == "Papers"
