"""A local, in-process Slack emulator for tests and benchmarks.

``SlackEmulator`` is an aiohttp web server bound to 127.0.0.1 that speaks enough of Slack's
Web API, Events API (HTTP "Request URL" delivery), slash commands (including ``response_url``)
and Socket Mode for the *real* ``slack_sdk`` / ``slack_bolt`` clients to run against it
unmodified. Nothing ever talks to slack.com.

Typical use::

    async with SlackEmulator(post_rate_per_second=None) as emu:   # None = no per-channel pacing
        general = emu.add_channel("general")
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
        await client.chat_postMessage(channel=general, text="hi")
        assert emu.messages(general)[0].text == "hi"

Point a Bolt app at it by giving it a client whose ``base_url`` is ``emu.api_url`` (Bolt calls
``auth.test`` on the first request it authorizes, so a default client would reach slack.com)::

    app = AsyncApp(client=AsyncWebClient(token=emu.bot_token, base_url=emu.api_url),
                   signing_secret=emu.signing_secret)

Serve a Bolt app's Request URL on aiohttp with ``slack_bolt.adapter.aiohttp``'s
``to_bolt_request``/``to_aiohttp_response`` around ``app.async_dispatch`` (see ``serve()`` in
``test_slack_emulator.py``) and drive it with :meth:`SlackEmulator.deliver_event` /
:meth:`SlackEmulator.send_slash_command`; for Socket Mode, ``AsyncSocketModeHandler(app,
emu.app_token).connect_async()`` then :meth:`SlackEmulator.push_socket_event` /
:meth:`SlackEmulator.push_socket_command`.

Routes: ``/api/<method>`` (Web API), ``/socket-mode/link/?ticket=…`` (WebSocket),
``/commands/response/<id>`` (slash-command ``response_url``).

Design notes and deliberate deviations from Slack:

* **Stricter than Slack.** ``chat.postMessage`` with a ``thread_ts`` that is not the ``ts`` of
  an existing *top-level* message in that channel returns ``thread_not_found``. Real Slack
  silently posts such a message top-level (or threads it under the reply's parent); an
  error surfaces the bug instead of hiding it.
* **Block Kit validation** covers the limits a newsletter bot can hit (≤ 50 blocks, section
  text ≤ 3000, section fields ≤ 10 x 2000, header ``plain_text`` ≤ 150, empty texts, unknown
  block types, duplicate/too-long ``block_id``). Failures return Slack's error code
  ``invalid_blocks`` with an ``errors`` list; the wording of those messages is the emulator's
  own (each names the offending JSON pointer). Non-list/unparsable blocks → ``invalid_blocks_format``.
* **Rate limits.** ``chat.postMessage`` is paced per channel with a token bucket
  (``post_rate_per_second`` tokens/s, capacity ``post_burst``). Slack documents "1 message per
  second per channel, short bursts allowed" without numbers; a burst of 3 lets a header plus a
  couple of quick follow-ups through but makes a naive loop over a section's items hit 429 by
  the 4th message, so pacing code is really exercised. Other methods are limited workspace-wide
  per method with Slack's published tiers (Tier 2 = 20/min, Tier 3 = 50/min, Tier 4 = 100/min)
  as token buckets whose capacity is one full minute of calls (so they only bite under
  sustained load). ``apps.connections.open`` (Tier 1 at Slack) is loosened to 20/min because
  slack_sdk sleeps ``Retry-After`` (default 30 s) when it is limited. A 429 carries an integer
  ``Retry-After`` header (seconds, rounded up, at least 1) and ``{"ok": false, "error":
  "ratelimited"}``. A rate-limited request changes no state. A post that passes the bucket but
  fails validation still consumed its token (the request reached Slack).
* **Files (minimal).** The upload flow of ``files_upload_v2``: ``files.getUploadURLExternal``
  (``filename`` and ``length`` required) returns an ``upload_url`` on this emulator
  (``/upload/<file_id>``) that takes the raw bytes in a POST (the length must match), and
  ``files.completeUploadExternal`` (``files`` JSON list of ``{"id", "title"}``, ``channel_id``,
  optional ``initial_comment``/``thread_ts``) shares them: a message with ``files`` (and the
  comment as its text) is stored in the channel. Uploaded bytes are in :attr:`SlackEmulator.files`.
  No other files.* method, no file scopes, no image processing.
* **Interactivity (minimal).** :meth:`SlackEmulator.send_block_action` POSTs a signed
  ``block_actions`` payload (form field ``payload``) for a button or ``static_select`` in a
  message, with a ``response_url`` recorded like a slash command's (:meth:`responses_for` with
  ``AppResponse.trigger_id``). No view submissions, shortcuts or ``replace_original``.
* **Not emulated:** channel membership (``not_in_channel``), other files.* methods, attachments validation,
  Slack assigning ``block_id``\\s, edited/deleted events, events for the bot's *own* API actions
  (e.g. ``reactions.add`` by the bot does not emit ``reaction_added``), automatic Events API
  retries on timeout (use :meth:`SlackEmulator.redeliver`), interactivity payloads, OAuth,
  Enterprise Grid, workspace-wide ``chat.postMessage`` limits, Socket Mode ticket expiry.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_METHOD_LIMITS_PER_MINUTE",
    "AppResponse",
    "Channel",
    "CommandInvocation",
    "CommandResponse",
    "Ephemeral",
    "EventDelivery",
    "SlackEmulator",
    "SlackEmulatorError",
    "SocketAck",
    "StoredMessage",
    "UploadedFile",
    "User",
    "sign_request",
    "validate_blocks",
]


@dataclass
class UploadedFile:
    """A file uploaded through ``files.getUploadURLExternal`` + the upload URL."""

    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    message_ts: str | None = None


# Slack's published tiers, per minute (Tier 1 = 1+, Tier 2 = 20+, Tier 3 = 50+, Tier 4 = 100+).
_TIER2, _TIER3, _TIER4 = 20.0, 50.0, 100.0
DEFAULT_METHOD_LIMITS_PER_MINUTE: dict[str, float | None] = {
    "auth.test": _TIER4,  # "special" at Slack: hundreds per minute
    "api.test": _TIER4,
    "apps.connections.open": _TIER2,  # Tier 1 at Slack, loosened (see module docstring)
    "chat.postEphemeral": _TIER4,
    "chat.update": _TIER3,
    "chat.delete": _TIER3,
    "chat.getPermalink": _TIER4,
    "conversations.history": _TIER3,
    "conversations.replies": _TIER3,
    "conversations.info": _TIER3,
    "conversations.list": _TIER2,
    "conversations.join": _TIER3,
    "reactions.add": _TIER3,
    "reactions.remove": _TIER2,
    "reactions.get": _TIER3,
    "users.info": _TIER4,
}

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_MESSAGE_TEXT = 40_000
MAX_BLOCK_ID = 255
MAX_CONTEXT_ELEMENTS = 10
RESPONSE_URL_MAX_USES = 5
REACTION_USERS_WITHOUT_FULL = 50
SIGNATURE_VERSION = "v0"

_KNOWN_BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "divider",
        "context",
        "actions",
        "image",
        "rich_text",
        "input",
        "file",
        "video",
        "markdown",
        "table",
        "context_actions",
    }
)
_REACTION_NAME = re.compile(r"^[a-z0-9_+\-']+(::skin-tone-[2-6])?$")


class SlackEmulatorError(Exception):
    """Raised by inspection/state helpers when asked for something that does not exist."""


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    tz: str = "Europe/Berlin"

    def to_api(self, team_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": self.tz,
            "profile": {"real_name": self.real_name, "display_name": self.name},
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_im": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_member": True,
            "created": self.created,
        }


@dataclass
class StoredMessage:
    """One message as the emulator stores it (top-level or thread reply)."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None  # set on replies (the parent's ts)
    parent_user_id: str | None = None  # set on replies
    bot_id: str | None = None
    unfurl_links: bool | None = None
    unfurl_media: bool | None = None
    reply_broadcast: bool = False
    edited_ts: str | None = None
    subtype: str | None = None
    # reaction name -> user ids in the order they reacted
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[dict[str, Any]] | None = None  # shared files (files.completeUploadExternal)
    replies: list[StoredMessage] = field(default_factory=list, repr=False)  # on parents only

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None

    def reaction_list(self, *, users_cap: int | None = None) -> list[dict[str, Any]]:
        return [
            {"name": name, "users": list(users[:users_cap] if users_cap else users), "count": len(users)}
            for name, users in self.reactions.items()
            if users
        ]

    def to_api(self, *, team_id: str, app_id: str, include_metadata: bool = True) -> dict[str, Any]:
        """The message in the shape Slack returns it from history/replies/postMessage."""
        msg: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        if self.subtype:
            msg["subtype"] = self.subtype
        if self.bot_id:
            msg["bot_id"] = self.bot_id
            msg["app_id"] = app_id
        msg["team"] = team_id
        if self.blocks is not None:
            msg["blocks"] = self.blocks
        if self.metadata is not None and include_metadata:
            msg["metadata"] = self.metadata
        if self.edited_ts:
            msg["edited"] = {"user": self.user, "ts": self.edited_ts}
        if self.thread_ts is not None:
            msg["thread_ts"] = self.thread_ts
            msg["parent_user_id"] = self.parent_user_id
        elif self.replies:
            users = list(dict.fromkeys(r.user for r in self.replies))
            msg.update(
                thread_ts=self.ts,
                reply_count=len(self.replies),
                reply_users_count=len(users),
                reply_users=users[:5],
                latest_reply=self.replies[-1].ts,
                is_locked=False,
                subscribed=False,
            )
        if self.reactions:
            msg["reactions"] = self.reaction_list()
        return msg


@dataclass
class Ephemeral:
    """An ephemeral message: via ``chat.postEphemeral`` ("api"), a ``response_url`` post or an ack body."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    via: str  # "api" | "response_url" | "ack"
    ts: str
    thread_ts: str | None = None
    trigger_id: str | None = None


@dataclass
class CommandResponse:
    """Something the app sent back for a slash command (ack body or a ``response_url`` post)."""

    trigger_id: str
    via: str  # "ack" | "response_url"
    body: dict[str, Any]
    response_type: str  # "ephemeral" | "in_channel"
    at: float


@dataclass
class CommandInvocation:
    trigger_id: str
    command: str
    text: str
    user_id: str
    channel_id: str
    response_url: str
    response_id: str
    fields: dict[str, str]
    responses: list[CommandResponse] = field(default_factory=list)
    response_url_uses: int = 0


@dataclass(frozen=True)
class AppResponse:
    """What the app answered to a delivery from the emulator.

    Iterating yields ``(status, body)`` so ``status, body = await emu.deliver_event(...)`` works.
    ``elapsed`` is the wall time from sending the request to reading the full answer (the ack latency).
    """

    status: int
    body: str
    headers: Mapping[str, str]
    elapsed: float
    trigger_id: str | None = None
    event_id: str | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.body))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SocketAck:
    envelope_id: str
    envelope_type: str
    payload: dict[str, Any] | None
    elapsed: float  # seconds from pushing the envelope to receiving the ack
    raw: dict[str, Any]


@dataclass
class EventDelivery:
    """One event the emulator sent to the app, by HTTP or Socket Mode."""

    event_id: str
    envelope: dict[str, Any]
    transport: str  # "http" | "socket"
    response: AppResponse | None = None
    ack: SocketAck | None = None
    envelope_id: str | None = None

    @property
    def event(self) -> dict[str, Any]:
        return self.envelope["event"]


@dataclass
class _SocketConnection:
    id: str
    ws: web.WebSocketResponse
    opened_at: float
    received: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    remaining: int
    status: int
    error: str | None
    retry_after: int | None = None


class _TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.updated = now

    def take(self, now: float) -> float:
        """Take a token. Returns 0.0 on success, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class _ApiError(Exception):
    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in {"1", "true", "yes"}


def _parse_json_field(value: Any, error: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _ApiError(error) from exc
    return value


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _ApiError("invalid_cursor") from exc
    if not raw.startswith("next_ts:"):
        raise _ApiError("invalid_cursor")
    return raw.removeprefix("next_ts:")


def _ts_key(ts: str) -> tuple[int, int]:
    sec, _, frac = ts.partition(".")
    return int(sec), int(frac or 0)


def sign_request(signing_secret: str, timestamp: str | int, body: str | bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""
    raw = body if isinstance(body, bytes) else body.encode()
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + raw
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


# --------------------------------------------------------------------------------------------
# Block Kit validation
# --------------------------------------------------------------------------------------------


def _check_text_object(obj: Any, pointer: str, *, max_len: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"must be a text object [json-pointer:{pointer}]"]
    errors = []
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        errors.append(f"must be one of {', '.join(allowed)} [json-pointer:{pointer}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or len(text) == 0:
        errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
    elif len(text) > max_len:
        errors.append(f"must be less than {max_len + 1} characters [json-pointer:{pointer}/text]")
    return errors


def validate_blocks(blocks: Any) -> list[str]:
    """Return Slack-style error strings for ``blocks`` (empty list = valid). Raises for bad format."""
    if not isinstance(blocks, list):
        raise _ApiError("invalid_blocks_format")
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"too_many_blocks: must be no more than {MAX_BLOCKS} items [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"/blocks/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"must be an object with a type [json-pointer:{ptr}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > MAX_BLOCK_ID:
                errors.append(f"must be 1-{MAX_BLOCK_ID} characters [json-pointer:{ptr}/block_id]")
            elif block_id in seen_ids:
                errors.append(f"duplicate block_id [json-pointer:{ptr}/block_id]")
            else:
                seen_ids.add(block_id)
        kind = block["type"]
        if kind not in _KNOWN_BLOCK_TYPES:
            errors.append(f"unsupported type: {kind} [json-pointer:{ptr}/type]")
        elif kind == "header":
            errors += _check_text_object(
                block.get("text"), f"{ptr}/text", max_len=MAX_HEADER_TEXT, plain_only=True
            )
        elif kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                errors.append(f"must provide either text or fields [json-pointer:{ptr}]")
            if text is not None:
                errors += _check_text_object(text, f"{ptr}/text", max_len=MAX_SECTION_TEXT)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
                    errors.append(
                        f"must be no more than {MAX_SECTION_FIELDS} items [json-pointer:{ptr}/fields]"
                    )
                else:
                    for j, f in enumerate(fields):
                        errors += _check_text_object(f, f"{ptr}/fields/{j}", max_len=MAX_SECTION_FIELD_TEXT)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                errors.append(f"must provide 1-{MAX_CONTEXT_ELEMENTS} elements [json-pointer:{ptr}/elements]")
    return errors


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class SlackEmulator:
    """A fake Slack workspace + Web API + Events/Socket Mode sender. See the module docstring.

    Constructor options (all keyword-only):

    * ``team_id``, ``team_domain``, ``api_app_id``, ``bot_user_id``, ``bot_id``, ``bot_name`` —
      workspace identity, echoed by ``auth.test`` and put in event envelopes.
    * ``bot_token`` (``xoxb-…``; more via :meth:`add_bot_token`), ``app_token`` (``xapp-…``, only
      valid for ``apps.connections.open``), ``signing_secret`` and ``verification_token`` (the
      deprecated ``token`` field in payloads).
    * ``post_rate_per_second`` (default 1.0; ``None`` disables) and ``post_burst`` (default 3):
      the per-channel ``chat.postMessage`` token bucket.
    * ``method_limits_per_minute``: overrides merged into :data:`DEFAULT_METHOD_LIMITS_PER_MINUTE`
      (value ``None`` = unlimited); ``enforce_method_limits=False`` switches all tier limits off.
    * ``clock``: monotonic clock used for rate limiting and the recorded post times.
    * ``create_defaults``: create a ``#general`` channel and a human user ``alice``
      (:attr:`default_channel_id`, :attr:`default_user_id`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = "T0EMULATOR",
        team_domain: str = "digestbot-emulator",
        api_app_id: str = "A0EMULATOR",
        bot_user_id: str = "U0BOTUSER1",
        bot_id: str = "B0BOTUSER1",
        bot_name: str = "digestbot",
        bot_token: str = "xoxb-1-emulator-bot-token",
        app_token: str = "xapp-1-A0EMULATOR-1-emulator-app-token",
        signing_secret: str = "emulator-signing-secret",
        verification_token: str = "emulator-verification-token",
        post_rate_per_second: float | None = 1.0,
        post_burst: int = 3,
        method_limits_per_minute: Mapping[str, float | None] | None = None,
        enforce_method_limits: bool = True,
        clock: Callable[[], float] = time.monotonic,
        create_defaults: bool = True,
    ) -> None:
        if not bot_token.startswith("xoxb-"):
            raise ValueError("bot_token must start with xoxb-")
        if not app_token.startswith("xapp-"):
            raise ValueError("app_token must start with xapp-")
        self.host = host
        self._requested_port = port
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.post_rate_per_second = post_rate_per_second
        self.post_burst = post_burst
        self.method_limits_per_minute: dict[str, float | None] = dict(DEFAULT_METHOD_LIMITS_PER_MINUTE)
        self.method_limits_per_minute.update(method_limits_per_minute or {})
        self.enforce_method_limits = enforce_method_limits
        self.clock = clock

        self._bot_tokens: set[str] = {bot_token}
        self._app_tokens: set[str] = {app_token}
        self._ids = itertools.count(1)
        self._last_ts = (0, 0)

        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {bot_user_id: User(bot_user_id, bot_name, bot_name, is_bot=True)}
        self._messages: dict[str, list[StoredMessage]] = {}
        self._by_ts: dict[tuple[str, str], StoredMessage] = {}
        self.ephemerals: list[Ephemeral] = []
        self.files: dict[str, UploadedFile] = {}
        self.commands: dict[str, CommandInvocation] = {}
        self._commands_by_response_id: dict[str, CommandInvocation] = {}

        # Rate limiting & counters
        self._post_buckets: dict[str, _TokenBucket] = {}
        self._method_buckets: dict[str, _TokenBucket] = {}
        self._storms: dict[str, list[int]] = {}  # channel -> [remaining, retry_after]
        self.rate_limited_count = 0
        self.rate_limited_by_method: Counter[str] = Counter()
        self.rate_limited_by_channel: Counter[str] = Counter()
        self.accepted_post_times: dict[str, list[float]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (method, params) of every Web API call
        self.call_counts: Counter[str] = Counter()

        # Fault injection
        self._faults: dict[str, list[_Fault]] = {}
        self._drops: Counter[str] = Counter()
        self._delays: dict[str, list[float]] = {}

        # Events & Socket Mode
        self.event_request_url: str | None = None
        self.deliveries: list[EventDelivery] = []
        self._socket_tickets: set[str] = set()
        self._socket_conns: list[_SocketConnection] = []
        self._socket_changed = asyncio.Condition()
        self.socket_acks: list[SocketAck] = []
        self.socket_connection_count = 0
        self._pending_acks: dict[str, tuple[asyncio.Future[SocketAck], float, str]] = {}
        self._socket_commands: dict[str, CommandInvocation] = {}

        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port: int | None = None
        self._closing = False

        self.default_channel_id: str | None = None
        self.default_user_id: str | None = None
        if create_defaults:
            self.default_channel_id = self.add_channel("general")
            self.default_user_id = self.add_user("alice", real_name="Alice Example")

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> SlackEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind the server (port 0 → a free port, see :attr:`port`)."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/socket-mode/link/", self._handle_socket)
        app.router.add_post("/commands/response/{response_id}", self._handle_response_url)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self._requested_port)
        await self._site.start()
        server = self._site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._session = aiohttp.ClientSession()
        self._closing = False

    async def stop(self) -> None:
        """Close Socket Mode connections, the outgoing HTTP session and the server."""
        self._closing = True
        for conn in list(self._socket_conns):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"emulator stopping")
        for fut, _, _ in self._pending_acks.values():
            if not fut.done():
                fut.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise SlackEmulatorError("emulator not started")
        return f"http://{self.host}:{self.port}/"

    @property
    def api_url(self) -> str:
        """Pass as ``AsyncWebClient(base_url=...)`` — ends with ``/api/`` like ``https://slack.com/api/``."""
        return self.base_url + "api/"

    # ------------------------------------------------------------------ workspace state

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):09d}"

    def next_ts(self) -> str:
        """A new message ts: current wall time in µs, strictly increasing across the emulator."""
        now = time.time_ns() // 1000
        cand = (now // 1_000_000, now % 1_000_000)
        if cand <= self._last_ts:
            sec, micro = self._last_ts
            micro += 1
            cand = (sec + micro // 1_000_000, micro % 1_000_000)
        self._last_ts = cand
        return f"{cand[0]}.{cand[1]:06d}"

    def add_bot_token(self, token: str) -> None:
        if not token.startswith("xoxb-"):
            raise ValueError("bot tokens start with xoxb-")
        self._bot_tokens.add(token)

    def add_channel(self, name: str, *, is_private: bool = False) -> str:
        """Create a channel and return its id (``C…``). Names must be unique."""
        name = name.lstrip("#")
        if any(c.name == name for c in self.channels.values()):
            raise SlackEmulatorError(f"channel {name!r} exists")
        cid = self._new_id("G" if is_private else "C")
        self.channels[cid] = Channel(cid, name, is_private)
        self._messages[cid] = []
        return cid

    def channel_id(self, name: str) -> str:
        for c in self.channels.values():
            if c.name == name.lstrip("#"):
                return c.id
        raise SlackEmulatorError(f"no channel named {name!r}")

    def add_user(self, name: str, *, real_name: str | None = None, is_bot: bool = False) -> str:
        uid = self._new_id("U")
        self.users[uid] = User(uid, name, real_name or name, is_bot=is_bot)
        return uid

    def _resolve_channel(self, value: Any) -> str:
        if not value or not isinstance(value, str):
            raise _ApiError("channel_not_found")
        if value in self.channels:
            return value
        for c in self.channels.values():
            if value.lstrip("#") == c.name:
                return c.id
        raise _ApiError("channel_not_found")

    # ------------------------------------------------------------------ inspection

    def messages(self, channel_id: str) -> list[StoredMessage]:
        """Top-level messages of a channel, oldest first."""
        return [m for m in self._channel_messages(channel_id) if not m.is_reply]

    def replies(self, channel_id: str, thread_ts: str) -> list[StoredMessage]:
        """Replies in a thread (parent excluded), oldest first."""
        return list(self.message(channel_id, thread_ts).replies)

    def message(self, channel_id: str, ts: str) -> StoredMessage:
        try:
            return self._by_ts[(channel_id, ts)]
        except KeyError:
            raise SlackEmulatorError(f"no message {ts} in {channel_id}") from None

    def all_messages(self, channel_id: str) -> list[StoredMessage]:
        """Every message of a channel (top-level and replies) in ts order."""
        return list(self._channel_messages(channel_id))

    def _channel_messages(self, channel_id: str) -> list[StoredMessage]:
        try:
            return self._messages[channel_id]
        except KeyError:
            raise SlackEmulatorError(f"unknown channel {channel_id}") from None

    def post_times(self, channel_id: str) -> list[float]:
        """``clock()`` times of accepted ``chat.postMessage`` calls in a channel."""
        return list(self.accepted_post_times.get(channel_id, []))

    def max_allowed_posts(self, duration: float) -> float:
        """The most posts one channel can accept within ``duration`` seconds: burst + rate·duration."""
        if self.post_rate_per_second is None:
            return math.inf
        return self.post_burst + self.post_rate_per_second * duration

    def reset_counters(self) -> None:
        self.rate_limited_count = 0
        self.rate_limited_by_method.clear()
        self.rate_limited_by_channel.clear()
        self.accepted_post_times.clear()
        self.calls.clear()
        self.call_counts.clear()

    def responses_for(self, trigger_id: str) -> list[CommandResponse]:
        """What the app sent back (ack body and ``response_url`` posts) for one slash command."""
        try:
            return list(self.commands[trigger_id].responses)
        except KeyError:
            raise SlackEmulatorError(f"no command with trigger_id {trigger_id}") from None

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail before touching state.

        ``error`` only → HTTP 200 ``{"ok": false, "error": error}`` (a Slack API error);
        otherwise HTTP ``status`` (default 500) with ``{"ok": false, "error": error or
        "internal_error"}``; ``retry_after`` adds a ``Retry-After`` header (useful with 429/503).
        """
        if status is None:
            status = 200 if error is not None else 500
        self._faults.setdefault(method, []).append(
            _Fault(times, status, error or "internal_error", retry_after)
        )

    def drop_after_accept(self, method: str, n: int = 1) -> None:
        """The next ``n`` calls of ``method`` are fully processed (message stored, reaction added…)
        and then the TCP connection is aborted without a response — a network error after Slack
        accepted the request. The client sees ``aiohttp.ServerDisconnectedError``."""
        self._drops[method] += n

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` wait ``seconds`` before being processed."""
        self._delays.setdefault(method, []).extend([seconds] * times)

    def rate_limit_storm(self, channel_id: str, n: int, *, retry_after: int = 1) -> None:
        """One-shot: the next ``n`` ``chat.postMessage`` calls to the channel get 429."""
        self._storms[channel_id] = [n, retry_after]

    def set_method_limit(self, method: str, per_minute: float | None, *, burst: float | None = None) -> None:
        """Change one method's workspace-wide limit (``None`` = unlimited)."""
        self.method_limits_per_minute[method] = per_minute
        self._method_buckets.pop(method, None)
        if per_minute is not None and burst is not None:
            self._method_buckets[method] = _TokenBucket(per_minute / 60.0, burst, self.clock())

    # ------------------------------------------------------------------ Web API plumbing

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                raw = await request.text()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError as exc:
                        raise _ApiError("invalid_json") from exc
                    if not isinstance(body, dict):
                        raise _ApiError("invalid_json")
                    params.update(body)
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    def _authenticate(self, method: str, request: web.Request, params: dict[str, Any]) -> str:
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.pop("token", None)
        params.pop("token", None)
        if not token:
            raise _ApiError("not_authed")
        if method == "apps.connections.open":
            if token in self._app_tokens:
                return token
            if token in self._bot_tokens:
                raise _ApiError("not_allowed_token_type")
            raise _ApiError("invalid_auth")
        if token in self._bot_tokens:
            return token
        if token in self._app_tokens:
            raise _ApiError("not_allowed_token_type")
        raise _ApiError("invalid_auth")

    def _ratelimited(self, retry_after: float, *, method: str, channel: str | None = None) -> _ApiError:
        self.rate_limited_count += 1
        self.rate_limited_by_method[method] += 1
        if channel is not None:
            self.rate_limited_by_channel[channel] += 1
        seconds = max(1, math.ceil(retry_after - 1e-9))
        return _ApiError("ratelimited", status=429, headers={"Retry-After": str(seconds)})

    def _check_method_limit(self, method: str) -> None:
        if not self.enforce_method_limits:
            return
        per_minute = self.method_limits_per_minute.get(method)
        if per_minute is None:
            return
        now = self.clock()
        bucket = self._method_buckets.get(method)
        if bucket is None:
            bucket = self._method_buckets[method] = _TokenBucket(per_minute / 60.0, per_minute, now)
        wait = bucket.take(now)
        if wait > 0:
            raise self._ratelimited(wait, method=method)

    def _check_post_limit(self, channel: str) -> None:
        storm = self._storms.get(channel)
        if storm and storm[0] > 0:
            storm[0] -= 1
            if storm[0] == 0:
                del self._storms[channel]
            raise self._ratelimited(storm[1], method="chat.postMessage", channel=channel)
        if self.post_rate_per_second is None:
            return
        now = self.clock()
        bucket = self._post_buckets.get(channel)
        if bucket is None:
            bucket = self._post_buckets[channel] = _TokenBucket(
                self.post_rate_per_second, self.post_burst, now
            )
        wait = bucket.take(now)
        if wait > 0:
            raise self._ratelimited(wait, method="chat.postMessage", channel=channel)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
            handler = self._API_METHODS.get(method)
            if handler is None:
                raise _ApiError("unknown_method", req_method=method)
            self._authenticate(method, request, params)
            self.calls.append((method, dict(params)))
            self.call_counts[method] += 1
            delays = self._delays.get(method)
            if delays:
                await asyncio.sleep(delays.pop(0))
            faults = self._faults.get(method)
            if faults:
                fault = faults[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.pop(0)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                raise _ApiError(fault.error or "internal_error", status=fault.status, headers=headers)
            if method != "chat.postMessage":
                self._check_method_limit(method)
            result = handler(self, params)
        except _ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
            return web.json_response(body, status=exc.status, headers=exc.headers)
        if self._drops[method] > 0:
            self._drops[method] -= 1
            transport = request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)
        return web.json_response({"ok": True, **result})

    # ------------------------------------------------------------------ Web API methods

    def _api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("error"):
            raise _ApiError(str(params["error"]))
        return {"args": params}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _message_fields(self, params: dict[str, Any], *, require_content: bool = True) -> dict[str, Any]:
        text = params.get("text")
        text = "" if text is None else str(text)
        blocks = _parse_json_field(params.get("blocks"), "invalid_blocks_format")
        attachments = _parse_json_field(params.get("attachments"), "invalid_attachments")
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                raise _ApiError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            if not blocks:
                blocks = None
        if require_content and not text and blocks is None and not attachments:
            raise _ApiError("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        metadata = _parse_json_field(params.get("metadata"), "invalid_metadata_format")
        if metadata is not None and (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not metadata["event_type"]
            or not isinstance(metadata.get("event_payload", {}), dict)
        ):
            raise _ApiError("invalid_metadata_schema")
        if metadata is not None:
            metadata = {
                "event_type": metadata["event_type"],
                "event_payload": metadata.get("event_payload", {}),
            }
        return {"text": text, "blocks": blocks, "metadata": metadata}

    def _store(self, msg: StoredMessage) -> StoredMessage:
        self._messages[msg.channel].append(msg)
        self._by_ts[(msg.channel, msg.ts)] = msg
        if msg.thread_ts is not None:
            parent = self._by_ts[(msg.channel, msg.thread_ts)]
            parent.replies.append(msg)
            msg.parent_user_id = parent.user
        return msg

    def _api_message(self, msg: StoredMessage) -> dict[str, Any]:
        return msg.to_api(team_id=self.team_id, app_id=self.api_app_id)

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._check_post_limit(channel)
        fields = self._message_fields(params)
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None:
            parent = self._by_ts.get((channel, str(thread_ts)))
            if parent is None or parent.is_reply:
                raise _ApiError("thread_not_found")
            thread_ts = parent.ts
        msg = self._store(
            StoredMessage(
                channel=channel,
                ts=self.next_ts(),
                user=self.bot_user_id,
                bot_id=self.bot_id,
                thread_ts=thread_ts,
                unfurl_links=_truthy(params["unfurl_links"]) if "unfurl_links" in params else None,
                unfurl_media=_truthy(params["unfurl_media"]) if "unfurl_media" in params else None,
                reply_broadcast=_truthy(params.get("reply_broadcast")),
                **fields,
            )
        )
        self.accepted_post_times.setdefault(channel, []).append(self.clock())
        return {"channel": channel, "ts": msg.ts, "message": self._api_message(msg)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        user = params.get("user")
        if not user or user not in self.users:
            raise _ApiError("user_not_found")
        fields = self._message_fields(params)
        ts = self.next_ts()
        self.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=str(user),
                text=fields["text"],
                blocks=fields["blocks"],
                via="api",
                ts=ts,
                thread_ts=params.get("thread_ts") or None,
            )
        )
        return {"message_ts": ts}

    def _find_message(self, params: dict[str, Any], ts_key: str = "ts") -> StoredMessage:
        channel = self._resolve_channel(params.get("channel"))
        msg = self._by_ts.get((channel, str(params.get(ts_key) or "")))
        if msg is None:
            raise _ApiError("message_not_found")
        return msg

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params)
        if msg.user != self.bot_user_id:
            raise _ApiError("cant_update_message")
        fields = self._message_fields(params, require_content=False)
        if not fields["text"] and fields["blocks"] is None and "blocks" not in params:
            raise _ApiError("no_text")
        msg.text = fields["text"]
        if "blocks" in params:
            msg.blocks = fields["blocks"]
        if "metadata" in params:
            msg.metadata = fields["metadata"]
        msg.edited_ts = self.next_ts()
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text, "message": self._api_message(msg)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params)
        if msg.user != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        if msg.replies:  # Slack keeps a tombstone so the thread survives
            msg.subtype, msg.text, msg.blocks, msg.metadata = (
                "tombstone",
                "This message was deleted.",
                None,
                None,
            )
        else:
            self._messages[msg.channel].remove(msg)
            del self._by_ts[(msg.channel, msg.ts)]
            if msg.thread_ts is not None:
                self._by_ts[(msg.channel, msg.thread_ts)].replies.remove(msg)
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params, "message_ts")
        link = f"https://{self.team_domain}.slack.com/archives/{msg.channel}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts:
            link += f"?thread_ts={msg.thread_ts}&cid={msg.channel}"
        return {"channel": msg.channel, "permalink": link}

    @staticmethod
    def _limit(params: dict[str, Any], default: int, maximum: int) -> int:
        try:
            limit = int(params.get("limit") or default)
        except ValueError as exc:
            raise _ApiError("invalid_limit") from exc
        return default if limit <= 0 else min(limit, maximum)

    @staticmethod
    def _in_range(ts: str, params: dict[str, Any]) -> bool:
        inclusive = _truthy(params.get("inclusive"))
        key = _ts_key(ts)
        if params.get("oldest"):
            oldest = _ts_key(str(params["oldest"]))
            if key < oldest or (key == oldest and not inclusive):
                return False
        if params.get("latest"):
            latest = _ts_key(str(params["latest"]))
            if key > latest or (key == latest and not inclusive):
                return False
        return True

    def _page(
        self, items: list[StoredMessage], params: dict[str, Any], limit: int, *, newest_first: bool
    ) -> tuple[list[StoredMessage], str]:
        if params.get("cursor"):
            start = _ts_key(_decode_cursor(str(params["cursor"])))
            items = [m for m in items if (_ts_key(m.ts) <= start if newest_first else _ts_key(m.ts) >= start)]
        page, rest = items[:limit], items[limit:]
        return page, _encode_cursor(rest[0].ts) if rest else ""

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        include_md = _truthy(params.get("include_all_metadata"))
        items = [
            m
            for m in reversed(self._messages[channel])
            if (not m.is_reply or m.reply_broadcast) and self._in_range(m.ts, params)
        ]
        page, cursor = self._page(items, params, self._limit(params, 100, 999), newest_first=True)
        return {
            "messages": [
                m.to_api(team_id=self.team_id, app_id=self.api_app_id, include_metadata=include_md)
                for m in page
            ],
            "has_more": bool(cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        msg = self._by_ts.get((channel, str(params.get("ts") or "")))
        if msg is None:
            raise _ApiError("thread_not_found")
        parent = self._by_ts[(channel, msg.thread_ts)] if msg.thread_ts else msg
        include_md = _truthy(params.get("include_all_metadata"))
        replies = [r for r in parent.replies if self._in_range(r.ts, params)]
        page, cursor = self._page(replies, params, self._limit(params, 1000, 1000), newest_first=False)
        # Like Slack, the parent comes first on every page.
        messages = [parent, *page]
        return {
            "messages": [
                m.to_api(team_id=self.team_id, app_id=self.api_app_id, include_metadata=include_md)
                for m in messages
            ],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.channels[self._resolve_channel(params.get("channel"))].to_api()}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "channels": [c.to_api() for c in self.channels.values()],
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.channels[self._resolve_channel(params.get("channel"))].to_api()}

    def _reaction_target(self, params: dict[str, Any]) -> tuple[StoredMessage, str]:
        msg = self._find_message(params, "timestamp")
        name = str(params.get("name") or "")
        if not _REACTION_NAME.match(name):
            raise _ApiError("invalid_name")
        return msg, name

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        msg, name = self._reaction_target(params)
        self._apply_reaction(msg, self.bot_user_id, name, add=True)
        return {}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        msg, name = self._reaction_target(params)
        self._apply_reaction(msg, self.bot_user_id, name, add=False)
        return {}

    def _reactions_get(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params, "timestamp")
        api = self._api_message(msg)
        api.pop("reactions", None)
        cap = None if _truthy(params.get("full")) else REACTION_USERS_WITHOUT_FULL
        if msg.reactions:
            api["reactions"] = msg.reaction_list(users_cap=cap)
        return {"type": "message", "channel": msg.channel, "message": api}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": user.to_api(self.team_id)}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._socket_tickets.add(ticket)
        query = urlencode({"ticket": ticket, "app_id": self.api_app_id})
        return {"url": f"ws://{self.host}:{self.port}/socket-mode/link/?{query}"}

    # ------------------------------------------------------------------ files (minimal upload flow)

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length = str(params.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            raise _ApiError("invalid_arguments")
        file_id = self._new_id("F")
        self.files[file_id] = UploadedFile(file_id, str(filename), int(length))
        return {"upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        uploaded = self.files.get(request.match_info["file_id"])
        if uploaded is None or uploaded.data is not None:
            return web.Response(status=404, text="invalid_upload")
        data = await request.read()
        if len(data) != uploaded.length:
            return web.Response(status=400, text="length_mismatch")
        uploaded.data = data
        return web.Response(status=200, text="OK - " + str(len(data)))

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = _parse_json_field(params.get("files"), "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        uploads = []
        for entry in entries:
            uploaded = self.files.get(str((entry or {}).get("id")))
            if uploaded is None or uploaded.data is None:
                raise _ApiError("file_not_found")
            uploaded.title = entry.get("title") or uploaded.filename
            uploads.append(uploaded)
        shared = []
        if params.get("channel_id"):
            channel = self._resolve_channel(params.get("channel_id"))
            thread_ts = params.get("thread_ts") or None
            msg = self._store(
                StoredMessage(
                    channel=channel,
                    ts=self.next_ts(),
                    user=self.bot_user_id,
                    bot_id=self.bot_id,
                    text=str(params.get("initial_comment") or ""),
                    thread_ts=thread_ts,
                    subtype="file_share",
                    files=[{"id": u.id, "name": u.filename, "title": u.title} for u in uploads],
                )
            )
            for uploaded in uploads:
                uploaded.channel, uploaded.message_ts = channel, msg.ts
            shared = [channel]
        return {
            "files": [
                {"id": u.id, "name": u.filename, "title": u.title, "size": u.length, "channels": shared}
                for u in uploads
            ]
        }

    _API_METHODS: ClassVar[dict[str, Callable[[SlackEmulator, dict[str, Any]], dict[str, Any]]]] = {
        "api.test": _api_test,
        "auth.test": _auth_test,
        "apps.connections.open": _apps_connections_open,
        "chat.postMessage": _chat_post_message,
        "chat.postEphemeral": _chat_post_ephemeral,
        "chat.update": _chat_update,
        "chat.delete": _chat_delete,
        "chat.getPermalink": _chat_get_permalink,
        "conversations.history": _conversations_history,
        "conversations.replies": _conversations_replies,
        "conversations.info": _conversations_info,
        "conversations.list": _conversations_list,
        "conversations.join": _conversations_join,
        "reactions.add": _reactions_add,
        "reactions.remove": _reactions_remove,
        "reactions.get": _reactions_get,
        "users.info": _users_info,
        "files.getUploadURLExternal": _files_get_upload_url_external,
        "files.completeUploadExternal": _files_complete_upload_external,
    }

    # ------------------------------------------------------------------ reactions (state + events)

    def _apply_reaction(self, msg: StoredMessage, user: str, name: str, *, add: bool) -> None:
        users = msg.reactions.get(name, [])
        if add:
            if user in users:
                raise _ApiError("already_reacted")
            msg.reactions[name] = [*users, user]
        else:
            if user not in users:
                raise _ApiError("no_reaction")
            users = [u for u in users if u != user]
            if users:
                msg.reactions[name] = users
            else:
                del msg.reactions[name]

    def _reaction_event(self, kind: str, channel: str, ts: str, user: str, name: str) -> dict[str, Any]:
        stored = self._by_ts.get((channel, ts))
        return {
            "type": kind,
            "user": user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "reaction": name,
            "item_user": stored.user if stored is not None else self.bot_user_id,
            "event_ts": self.next_ts(),
        }

    def reaction_added_event(self, channel: str, ts: str, user: str, name: str) -> dict[str, Any]:
        """A ``reaction_added`` event in Slack's shape (no state change)."""
        return self._reaction_event("reaction_added", channel, ts, user, name)

    def reaction_removed_event(self, channel: str, ts: str, user: str, name: str) -> dict[str, Any]:
        """A ``reaction_removed`` event in Slack's shape (no state change)."""
        return self._reaction_event("reaction_removed", channel, ts, user, name)

    async def add_reaction(
        self, channel: str, ts: str, user: str, name: str, *, emit: bool = True
    ) -> EventDelivery | None:
        """A user reacts: state changes (``SlackEmulatorError`` on ``already_reacted`` etc.) and, if
        ``emit`` and an event target exists (:attr:`event_request_url`, else an open Socket Mode
        connection), a ``reaction_added`` event is delivered. Returns the delivery, if any."""
        return await self._user_reaction(channel, ts, user, name, add=True, emit=emit)

    async def remove_reaction(
        self, channel: str, ts: str, user: str, name: str, *, emit: bool = True
    ) -> EventDelivery | None:
        """Counterpart of :meth:`add_reaction` (``reaction_removed``)."""
        return await self._user_reaction(channel, ts, user, name, add=False, emit=emit)

    async def _user_reaction(
        self, channel: str, ts: str, user: str, name: str, *, add: bool, emit: bool
    ) -> EventDelivery | None:
        if user not in self.users:
            raise SlackEmulatorError(f"unknown user {user}")
        msg = self.message(channel, ts)
        try:
            self._apply_reaction(msg, user, name, add=add)
        except _ApiError as exc:
            raise SlackEmulatorError(exc.error) from None
        if not emit:
            return None
        event = (self.reaction_added_event if add else self.reaction_removed_event)(channel, ts, user, name)
        return await self.emit_event(event)

    async def emit_event(self, event: dict[str, Any]) -> EventDelivery | None:
        """Deliver an event to the configured target: :attr:`event_request_url` (HTTP) if set,
        else the newest open Socket Mode connection, else nowhere (returns ``None``)."""
        if self.event_request_url is not None:
            await self.deliver_event(self.event_request_url, event)
            return self.deliveries[-1]
        if self._open_socket_connections():
            return await self.push_socket_event(event)
        return None

    # ------------------------------------------------------------------ Events API over HTTP

    def _new_event_id(self) -> str:
        return f"Ev{next(self._ids):010d}"

    def event_envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """Slack's ``event_callback`` envelope around ``event``."""
        channel = (event.get("item") or {}).get("channel") or event.get("channel") or ""
        context = {"et": event.get("type"), "tid": self.team_id, "aid": self.api_app_id, "cid": channel}
        context_raw = base64.b64encode(json.dumps(context, separators=(",", ":")).encode()).decode()
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._new_event_id(),
            "event_time": int(float(event.get("event_ts") or time.time())),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + context_raw.rstrip("="),
        }

    def signed_headers(
        self,
        body: str,
        *,
        signing_secret: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
        content_type: str = "application/json",
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = sign_request(signing_secret or self.signing_secret, ts, body)
        if bad_signature:
            signature = sign_request("forged-" + (signing_secret or self.signing_secret), ts, body)
        return {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }

    async def _post_to_app(
        self, url: str, body: str, headers: dict[str, str], timeout_s: float
    ) -> AppResponse:
        if self._session is None:
            raise SlackEmulatorError("emulator not started")
        started = time.perf_counter()
        async with self._session.post(
            url, data=body.encode(), headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            text = await resp.text()
            return AppResponse(resp.status, text, dict(resp.headers), time.perf_counter() - started)

    async def deliver_event(
        self,
        url: str,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        signing_secret: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
        timeout_s: float = 10.0,
    ) -> AppResponse:
        """POST a signed ``event_callback`` envelope to the app's Request URL.

        ``retry_num``/``retry_reason`` add ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` (use the
        original ``event_id`` for a redelivery). ``timestamp`` overrides the signed timestamp
        (e.g. ``time.time() - 301`` for a stale request), ``bad_signature`` signs with a wrong
        secret. Slack itself gives the app 3 s to answer; ``AppResponse.elapsed`` reports the time.
        """
        envelope = self.event_envelope(event, event_id=event_id)
        body = json.dumps(envelope)
        headers = self.signed_headers(
            body, signing_secret=signing_secret, timestamp=timestamp, bad_signature=bad_signature
        )
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        response = await self._post_to_app(url, body, headers, timeout_s)
        response = AppResponse(
            response.status, response.body, response.headers, response.elapsed, event_id=envelope["event_id"]
        )
        self.deliveries.append(EventDelivery(envelope["event_id"], envelope, "http", response=response))
        return response

    async def redeliver(
        self, url: str, delivery: EventDelivery, *, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> AppResponse:
        """Send ``delivery``'s event again with the same ``event_id``, as Slack's retries do."""
        return await self.deliver_event(
            url, delivery.event, event_id=delivery.event_id, retry_num=retry_num, retry_reason=retry_reason
        )

    async def verify_request_url(self, url: str, *, challenge: str | None = None) -> AppResponse:
        """Send Slack's signed ``url_verification`` challenge."""
        body = json.dumps(
            {
                "token": self.verification_token,
                "challenge": challenge or uuid.uuid4().hex,
                "type": "url_verification",
            }
        )
        return await self._post_to_app(url, body, self.signed_headers(body), 10.0)

    # ------------------------------------------------------------------ slash commands

    def _new_command(
        self, command: str, text: str, user_id: str | None, channel_id: str | None, trigger_id: str | None
    ) -> CommandInvocation:
        user_id = user_id or self.default_user_id
        channel_id = channel_id or self.default_channel_id
        if user_id is None or user_id not in self.users:
            raise SlackEmulatorError(f"unknown user {user_id}")
        if channel_id is None or channel_id not in self.channels:
            raise SlackEmulatorError(f"unknown channel {channel_id}")
        n = next(self._ids)
        trigger_id = trigger_id or f"{n}.{int(time.time() * 1000)}.{uuid.uuid4().hex}"
        response_id = uuid.uuid4().hex
        response_url = f"{self.base_url}commands/response/{response_id}"
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": self.channels[channel_id].name,
            "user_id": user_id,
            "user_name": self.users[user_id].name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        inv = CommandInvocation(
            trigger_id=trigger_id,
            command=command,
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
            response_id=response_id,
            fields=fields,
        )
        self.commands[trigger_id] = inv
        self._commands_by_response_id[response_id] = inv
        return inv

    def _record_command_response(self, inv: CommandInvocation, body: dict[str, Any], via: str) -> None:
        response_type = str(body.get("response_type") or "ephemeral")
        inv.responses.append(CommandResponse(inv.trigger_id, via, body, response_type, time.time()))
        blocks = body.get("blocks") if isinstance(body.get("blocks"), list) else None
        text = str(body.get("text") or "")
        if response_type == "in_channel":
            self._store(
                StoredMessage(
                    channel=inv.channel_id,
                    ts=self.next_ts(),
                    user=self.bot_user_id,
                    bot_id=self.bot_id,
                    text=text,
                    blocks=blocks,
                    thread_ts=body.get("thread_ts") or None,
                )
            )
        else:
            self.ephemerals.append(
                Ephemeral(
                    inv.channel_id, inv.user_id, text, blocks, via, self.next_ts(), trigger_id=inv.trigger_id
                )
            )

    def _record_ack_body(self, inv: CommandInvocation, body: str | dict[str, Any] | None) -> None:
        if not body:
            return
        if isinstance(body, str):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = {"text": body}
            body = parsed if isinstance(parsed, dict) else {"text": body}
        self._record_command_response(inv, body, "ack")

    async def send_slash_command(
        self,
        url: str,
        command: str = "/suggest",
        text: str = "",
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        trigger_id: str | None = None,
        signing_secret: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
        timeout_s: float = 10.0,
        encode_form: Callable[[dict[str, str]], str] = urlencode,
    ) -> AppResponse:
        """POST a signed, form-encoded slash command as Slack does (all of Slack's fields).

        ``response_url`` points at this emulator; what the app posts there and any non-empty
        ack body are recorded (:meth:`responses_for` with ``AppResponse.trigger_id``).
        ``AppResponse.elapsed`` is the ack latency (Slack shows an error after 3 s). ``encode_form``
        writes the body from the fields (real bodies differ: ``+`` or ``%20`` for spaces, ``/`` and ``:``
        left as they are or escaped).
        """
        inv = self._new_command(command, text, user_id, channel_id, trigger_id)
        body = encode_form(inv.fields)
        headers = self.signed_headers(
            body,
            signing_secret=signing_secret,
            timestamp=timestamp,
            bad_signature=bad_signature,
            content_type="application/x-www-form-urlencoded",
        )
        response = await self._post_to_app(url, body, headers, timeout_s)
        if response.status == 200:
            self._record_ack_body(inv, response.body)
        return AppResponse(
            response.status, response.body, response.headers, response.elapsed, trigger_id=inv.trigger_id
        )

    async def send_block_action(
        self,
        url: str,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | None = None,
        block_id: str = "actions",
        user_id: str | None = None,
        channel_id: str | None = None,
        timeout_s: float = 10.0,
    ) -> AppResponse:
        """A user clicks a button (``value``) or picks a ``static_select`` option (``selected``) in a
        message: POST a signed ``block_actions`` payload as Slack's interactivity does. Responses the app
        sends to the payload's ``response_url`` are recorded under ``AppResponse.trigger_id``."""
        inv = self._new_command("block_actions", "", user_id, channel_id, None)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": self.next_ts(),
        }
        if selected is not None:
            action.update(
                type="static_select",
                selected_option={"text": {"type": "plain_text", "text": selected}, "value": selected},
            )
        else:
            action.update(type="button", value=value or "", text={"type": "plain_text", "text": action_id})
        user = self.users[inv.user_id]
        payload = {
            "type": "block_actions",
            "token": self.verification_token,
            "api_app_id": self.api_app_id,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": self.team_id},
            "channel": {"id": inv.channel_id, "name": self.channels[inv.channel_id].name},
            "container": {"type": "message", "channel_id": inv.channel_id, "is_ephemeral": True},
            "trigger_id": inv.trigger_id,
            "response_url": inv.response_url,
            "actions": [action],
        }
        body = urlencode({"payload": json.dumps(payload)})
        headers = self.signed_headers(body, content_type="application/x-www-form-urlencoded")
        response = await self._post_to_app(url, body, headers, timeout_s)
        return AppResponse(
            response.status, response.body, response.headers, response.elapsed, trigger_id=inv.trigger_id
        )

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        inv = self._commands_by_response_id.get(request.match_info["response_id"])
        if inv is None:
            return web.Response(status=404, text="invalid_url")
        inv.response_url_uses += 1
        if inv.response_url_uses > RESPONSE_URL_MAX_USES:
            return web.Response(status=404, text="used_url")
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict) or not (
            body.get("text") or body.get("blocks") or body.get("delete_original")
        ):
            return web.Response(status=400, text="no_text")
        self._record_command_response(inv, body, "response_url")
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ Socket Mode

    def _open_socket_connections(self) -> list[_SocketConnection]:
        return [c for c in self._socket_conns if not c.ws.closed]

    @property
    def socket_connections(self) -> int:
        """Number of currently open Socket Mode connections."""
        return len(self._open_socket_connections())

    async def wait_for_socket_connection(self, count: int = 1, timeout_s: float = 5.0) -> None:
        """Wait until at least ``count`` Socket Mode connections have been opened in total."""
        async with self._socket_changed:
            await asyncio.wait_for(
                self._socket_changed.wait_for(lambda: self.socket_connection_count >= count), timeout_s
            )

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self._closing or ticket not in self._socket_tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _SocketConnection(uuid.uuid4().hex, ws, self.clock())
        self._socket_conns.append(conn)
        self.socket_connection_count += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._open_socket_connections()),
                "debug_info": {"host": "emulator", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.api_app_id},
            }
        )
        async with self._socket_changed:
            self._socket_changed.notify_all()
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
                continue
            conn.received.append(data)
            envelope_id = data.get("envelope_id") if isinstance(data, dict) else None
            if envelope_id:
                self._record_socket_ack(envelope_id, data)
        return ws

    def _record_socket_ack(self, envelope_id: str, data: dict[str, Any]) -> None:
        pending = self._pending_acks.pop(envelope_id, None)
        started, kind = (pending[1], pending[2]) if pending else (self.clock(), "unknown")
        ack = SocketAck(envelope_id, kind, data.get("payload"), self.clock() - started, data)
        self.socket_acks.append(ack)
        inv = self._socket_commands.pop(envelope_id, None)
        if inv is not None:
            self._record_ack_body(inv, data.get("payload"))
        if pending and not pending[0].done():
            pending[0].set_result(ack)

    async def push_socket_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        envelope_id: str | None = None,
        wait_ack: bool = True,
        timeout_s: float = 5.0,
    ) -> SocketAck | str:
        """Send an envelope over the newest open connection. With ``wait_ack`` returns the
        client's :class:`SocketAck` (``TimeoutError`` if none), else the ``envelope_id``."""
        conns = self._open_socket_connections()
        if not conns:
            raise SlackEmulatorError("no open Socket Mode connection")
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or ""
        future: asyncio.Future[SocketAck] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = (future, self.clock(), envelope_type)
        await conns[-1].ws.send_json(envelope)
        if not wait_ack:
            return envelope_id
        return await self.wait_for_ack(envelope_id, timeout_s)

    async def wait_for_ack(self, envelope_id: str, timeout_s: float = 5.0) -> SocketAck:
        for ack in self.socket_acks:
            if ack.envelope_id == envelope_id:
                return ack
        pending = self._pending_acks.get(envelope_id)
        if pending is None:
            raise SlackEmulatorError(f"unknown envelope {envelope_id}")
        return await asyncio.wait_for(asyncio.shield(pending[0]), timeout_s)

    async def push_socket_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        wait_ack: bool = True,
        timeout_s: float = 5.0,
    ) -> EventDelivery:
        """Push an ``events_api`` envelope (payload = the same ``event_callback`` envelope as HTTP)."""
        envelope = self.event_envelope(event, event_id=event_id)
        envelope_id = str(uuid.uuid4())
        delivery = EventDelivery(envelope["event_id"], envelope, "socket", envelope_id=envelope_id)
        self.deliveries.append(delivery)
        result = await self.push_socket_envelope(
            "events_api",
            envelope,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            envelope_id=envelope_id,
            wait_ack=wait_ack,
            timeout_s=timeout_s,
        )
        if isinstance(result, SocketAck):
            delivery.ack = result
        return delivery

    async def push_socket_command(
        self,
        command: str = "/suggest",
        text: str = "",
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        wait_ack: bool = True,
        timeout_s: float = 5.0,
    ) -> tuple[CommandInvocation, SocketAck | str]:
        """Push a ``slash_commands`` envelope. Returns the invocation (``trigger_id``,
        ``response_url``…) and the ack (or ``envelope_id`` when ``wait_ack=False``). A non-empty
        ack ``payload`` is recorded like an HTTP ack body."""
        inv = self._new_command(command, text, user_id, channel_id, None)
        envelope_id = str(uuid.uuid4())
        self._socket_commands[envelope_id] = inv
        result = await self.push_socket_envelope(
            "slash_commands",
            dict(inv.fields),
            accepts_response_payload=True,
            envelope_id=envelope_id,
            wait_ack=wait_ack,
            timeout_s=timeout_s,
        )
        return inv, result

    async def disconnect_socket(self, reason: str = "refresh_requested", *, close: bool = False) -> None:
        """Send Slack's ``disconnect`` message to every open connection (slack_sdk then opens a new
        connection via ``apps.connections.open``); ``close=True`` also closes them server-side."""
        for conn in self._open_socket_connections():
            await conn.ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "emulator"}}
            )
            if close:
                await conn.ws.close()
