"""The Slack emulator's Web API, exercised with the real slack_sdk (nothing reaches slack.com): messages,
threads, Block Kit limits, reactions, ephemerals, and the rate limits.

Tests that are not about pacing run with ``post_rate_per_second=None``; the real-rate tests keep
to a handful of posts so the whole file stays within a few seconds.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.conftest import header, section, web_client
from tests.emulators.slack_emulator import SlackEmulator, SlackEmulatorError


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
