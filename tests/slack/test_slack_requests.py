"""What digestbot does with whatever arrives at ``POST /slack/events``.

Slash commands with any text, the word "payload" included, reach their listener intact through the real
aiohttp server, the real bolt app and the real database; requests that are unsigned, stale or unreadable
get a 4xx and one short log line, never a 500 or a traceback, and a flood of them cannot fill the log.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import time
from collections.abc import Callable
from html import unescape
from urllib.parse import quote, quote_plus, urlencode

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.requests import parse_slack_body
from adapters.web import metrics
from bot.community.suggestions import split_suggest_text, strip_mentions
from bot.urls import canonical_url
from tests.emulators.slack_emulator import User
from tests.slack.conftest import SlackWorld, fuzz_a_running_world, reply_to

# The ways real Slack bodies are written: `+` for spaces (Slack's own), `%20`, and fields whose `/` and `:`
# are left as they are (the body in Slack's docs that the Java SDK tests with).
ENCODINGS: dict[str, Callable[[dict[str, str]], str]] = {
    "plus": urlencode,
    "percent": lambda fields: urlencode(fields, quote_via=quote),
    "docs": lambda fields: "&".join(f"{k}={quote_plus(v, safe='/:')}" for k, v in fields.items()),
}

# Slack sends UTF-8: lone surrogates cannot reach a form body, so they are not
# a case to read back.
slack_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=300)
path_text = st.lists(
    st.one_of(
        st.sampled_from(["payload", "payload=1", "PAYLOAD", "pay&load", "%7B"]),
        st.text("az09-_.~", max_size=8),
    ),
    max_size=5,
).map("".join)


@given(
    text=slack_text,
    channel=st.sampled_from(["general", "payloads"]),
    encoding=st.sampled_from(sorted(ENCODINGS)),
)
@settings(max_examples=300, deadline=None)
def test_every_slash_command_text_is_read_back_exactly(text: str, channel: str, encoding: str):
    fields = {
        "token": "t",
        "team_id": "T1",
        "team_domain": "payload",
        "channel_id": "C1",
        "channel_name": channel,
        "user_id": "U1",
        "user_name": "ada",
        "command": "/suggest",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T1/1/x",
        "trigger_id": "1.2.3",
    }
    body = ENCODINGS[encoding](fields)
    assert parse_slack_body(body, "application/x-www-form-urlencoded") == fields


def test_interactivity_payloads_and_events_are_read_as_their_json():
    action = {"type": "block_actions", "actions": [{"action_id": "approve", "value": "payload"}]}
    form = urlencode({"payload": json.dumps(action)})
    assert parse_slack_body(form, "application/x-www-form-urlencoded") == action
    event = {"type": "event_callback", "event": {"type": "reaction_added", "reaction": "payload"}}
    assert parse_slack_body(json.dumps(event), "application/json") == event


users = itertools.count(1)


@given(path=path_text, note=slack_text, encoding=st.sampled_from(sorted(ENCODINGS)))
@fuzz_a_running_world
async def test_suggest_with_any_text_gets_its_reply_and_stores_its_note(
    slack_world: SlackWorld, path: str, note: str, encoding: str
):
    emu = slack_world.emu
    n = next(users)
    user = f"UPAYLOAD{n:04d}"
    emu.users[user] = User(user, f"payload-{n}", "Pay Load")
    link = f"https://example.com/{n}/{path}"
    text = f"{link} {note}"

    answer = await emu.send_slash_command(
        slack_world.events_url, "/suggest", text, user_id=user, encode_form=ENCODINGS[encoding]
    )

    assert answer.status == 200, answer.body
    reply = await reply_to(emu, answer)
    sent_link, sent_note = split_suggest_text(text)
    expected_note = strip_mentions(sent_note) if sent_note else None
    stored = {s.url: s for s in await slack_world.app.suggestions.all()}
    if expected_note is not None and len(expected_note) > 500:
        assert reply["text"].startswith("The note is"), reply
        assert canonical_url(sent_link) not in stored
        return
    shown = unescape(reply["text"])  # as Slack shows it: the reply is escaped, so a link cannot ping
    assert shown == f"Thanks! {canonical_url(sent_link)} is suggested for the next issue.", reply
    assert "<" not in reply["text"], reply
    suggestion = stored[canonical_url(sent_link)]
    assert suggestion.note == (expected_note or None)
    assert suggestion.submitted_by.user_id == user


async def test_suggest_in_a_channel_named_payloads_with_a_payload_link(slack_world: SlackWorld):
    emu = slack_world.emu
    channel = emu.add_channel("payloads")
    answer = await emu.send_slash_command(
        slack_world.events_url,
        "/suggest",
        "https://example.com/payload-tuning-guide payload sizes, explained",
        channel_id=channel,
    )
    reply = await reply_to(emu, answer)
    assert (
        reply["text"] == "Thanks! https://example.com/payload-tuning-guide is suggested for the next issue."
    )
    [suggestion] = await slack_world.app.suggestions.all()
    assert suggestion.note == "payload sizes, explained"


# ------------------------------------------------------------------------ unsigned, stale, unreadable


def signed(secret: str, body: bytes, content_type: str, *, timestamp: str | None = None) -> dict[str, str]:
    """Headers as Slack sends them: the signature is over the body's bytes, whatever they are."""
    ts = timestamp or str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(),
    }


MALFORMED = {
    "broken JSON": (b'{"type": "event_callback", ', "application/json"),
    "a JSON array": (b"[1, 2, 3]", "application/json"),
    "JSON null": (b"null", "application/json"),
    "a JSON string": (b'"payload"', "application/json"),
    "deeply nested JSON": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "a broken payload field": (b"payload=%7B%22type%22%3A", "application/x-www-form-urlencoded"),
    "a payload field that is a list": (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
    "a form that starts with a brace": (b"{token=x&text=y", "application/x-www-form-urlencoded"),
    "bytes that are not UTF-8": (b"text=\xff\xfe\xfd", "application/x-www-form-urlencoded"),
}


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "adapters.slack.requests"]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]


@pytest.mark.parametrize("case", MALFORMED)
async def test_a_signed_request_that_cannot_be_read_gets_400_and_one_log_line(
    slack_world: SlackWorld, case: str, caplog: pytest.LogCaptureFixture
):
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.DEBUG)
    headers = signed(slack_world.emu.signing_secret, body, content_type)
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack_world.events_url, data=body, headers=headers) as response,
    ):
        status = response.status
    assert status == 400, case
    assert len(refusals(caplog)) == 1, [r.getMessage() for r in refusals(caplog)]
    assert "400" in refusals(caplog)[0].getMessage()
    assert_no_traceback(caplog)


UNSIGNED = {
    "no headers": {},
    "a timestamp that is not a number": {
        "X-Slack-Request-Timestamp": "yesterday",
        "X-Slack-Signature": "v0=00",
    },
    "a negative timestamp": {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=" + "0" * 64},
    "a huge timestamp": {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=" + "0" * 64},
    "a non-ASCII signature": {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=ü" * 10},
    "a stale timestamp": "stale",
    "a wrong signature": "forged",
}


@pytest.mark.parametrize("case", UNSIGNED)
@pytest.mark.parametrize(
    "body", [b'{"type": "event_callback"', b"null", b"text=payload"], ids=["json", "null", "form"]
)
async def test_an_unsigned_or_stale_request_gets_401_before_its_body_is_read(
    slack_world: SlackWorld, case: str, body: bytes, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    secret = slack_world.emu.signing_secret
    headers: dict[str, str]
    if UNSIGNED[case] == "stale":
        headers = signed(secret, body, "application/json", timestamp=str(int(time.time()) - 301))
    elif UNSIGNED[case] == "forged":
        headers = signed("not-" + secret, body, "application/json")
    else:
        headers = {"Content-Type": "application/json", **UNSIGNED[case]}  # type: ignore[dict-item]
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack_world.events_url, data=body, headers=headers) as response,
    ):
        assert response.status == 401, await response.text()
    assert len(refusals(caplog)) == 1
    assert "401" in refusals(caplog)[0].getMessage()
    assert_no_traceback(caplog)


async def test_a_flood_of_forged_requests_is_refused_in_a_few_log_lines(
    slack_world: SlackWorld, caplog: pytest.LogCaptureFixture
):
    """1,000 unsigned junk requests and 20 forged 1 MB bodies, with debug logging on for everything."""
    caplog.set_level(logging.DEBUG)
    refused_before = metrics.SLACK_REQUESTS_REFUSED.labels(status="401")._value.get()
    started = time.monotonic()
    big = b"payload=" + b"A" * 1_000_000
    async with aiohttp.ClientSession() as session:
        for i in range(1000):
            async with session.post(slack_world.events_url, data=b'{"x": %d' % i) as response:
                assert response.status == 401
        for _ in range(20):
            headers = {
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "1" * 64,
            }
            async with session.post(slack_world.events_url, data=big, headers=headers) as response:
                assert response.status == 401
    elapsed = time.monotonic() - started
    lines = refusals(caplog)
    assert len(lines) <= 5 + elapsed * 1 + 1, len(lines)  # a burst of 5, then one a second
    logged = sum(len(r.getMessage()) for r in caplog.records)
    assert logged < 20_000, f"{logged} characters of log for 1,020 refused requests"
    refused = metrics.SLACK_REQUESTS_REFUSED.labels(status="401")._value.get() - refused_before
    assert refused == 1020
    assert_no_traceback(caplog)
