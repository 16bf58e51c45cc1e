"""The Slack emulator talking to an app, with the real slack_bolt: signed events and slash commands over
HTTP, Socket Mode, the files upload flow and block actions."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from tests.emulators.conftest import bolt_app, serve, wait_until, web_client
from tests.emulators.slack_emulator import SlackEmulator, SocketAck, sign_request


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
