"""A local, in-process Discord emulator for end-to-end tests and benchmarks.

``DiscordEmulator`` runs an aiohttp server on ``127.0.0.1`` (random port) that speaks enough of
Discord's REST API (v10) and Gateway (v10, JSON encoding, optional ``zlib-stream`` /
``zstd-stream`` transport compression) for the *real* discord.py to log in, connect, receive
READY/GUILD_CREATE, post messages, embeds, threads and forum posts, add reactions, sync
application commands and answer interactions - without ever reaching discord.com.

Typical use::

    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Newsletter")
        channel = emu.add_text_channel(guild, "weekly")
        with point_discord_py_at(emu):
            client = discord.Client(intents=..., guild_ready_timeout=0.1)
            await client.login(emu.token)
            ...

State lives in plain dictionaries on the emulator (``emu.channel_messages(cid)``,
``emu.reactions_on(mid)``, ``emu.threads`` ...); tests drive the "Discord side" with helpers
such as :meth:`DiscordEmulator.dispatch_reaction_add`, :meth:`DiscordEmulator.dispatch_slash_command`,
:meth:`DiscordEmulator.send_reconnect` and the fault injectors :meth:`DiscordEmulator.fail_next`,
:meth:`DiscordEmulator.drop_after_accept` and :meth:`DiscordEmulator.rate_limit_storm`.

Behaviour that mirrors Discord and matters to a client:

* Every JSON response has ``Content-Type: application/json`` exactly and a ``Via`` header
  (discord.py treats a 429 *without* ``Via`` as a Cloudflare ban and raises instead of retrying).
* Snowflakes are real, time-ordered snowflakes serialised as strings.
* Errors use Discord's shape ``{"code": ..., "message": ...}`` (plus ``errors`` for 50035).
* Per-route buckets send ``X-RateLimit-*`` headers; message creation is limited per channel,
  and a global per-second limit applies to everything except interaction callbacks/webhooks.

Minimal additions for digestbot's community features:

* **Direct messages.** ``POST /users/@me/channels`` (``recipient_id``) opens (or returns) a DM
  channel (type 1) with a known user; ``POST /channels/{dm}/messages`` stores the message there
  (:meth:`DiscordEmulator.dm_messages`). No gateway events for DMs, no blocked-DM errors.
* **Attachments.** ``POST /channels/{id}/messages`` also takes ``multipart/form-data`` (as
  discord.py sends files): the ``payload_json`` part is the message body and each ``files[n]`` part
  becomes an entry of the message's ``attachments`` (id, filename, size, content_type); the bytes
  are kept in :attr:`DiscordEmulator.attachments` by attachment id. No size limit; the
  attachment ``url`` is an unresolvable ``.invalid`` address (nothing serves the bytes).
* **Message components.** :meth:`DiscordEmulator.dispatch_component` dispatches a
  ``MESSAGE_COMPONENT`` interaction (type 3: a button press or a select choice, by ``custom_id``),
  answered like a slash command's (the same :class:`InteractionHandle`). Components sent in
  messages are stored as given, not validated.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fnmatch
import hashlib
import json
import math
import re
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "DISCORD_EPOCH_MS",
    "DiscordEmulator",
    "Intents",
    "InteractionHandle",
    "InteractionReply",
    "Permissions",
    "point_discord_py_at",
]

DISCORD_EPOCH_MS = 1_420_070_400_000


class Permissions:
    """Permission bits used by the emulator (a subset of Discord's)."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5  # "Manage Server" = 0x20
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    READ_MESSAGE_HISTORY = 1 << 16
    USE_EXTERNAL_EMOJIS = 1 << 18
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38

    ALL = (1 << 51) - 1
    #: what @everyone gets in a fresh guild (roughly Discord's default)
    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    #: the bot's managed role
    BOT_DEFAULT = EVERYONE_DEFAULT | MANAGE_MESSAGES | MANAGE_THREADS


class Intents:
    """Gateway intent bits the emulator filters dispatches on."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


# event name -> intent bit required to receive it (events not listed are always sent)
_EVENT_INTENTS = {
    "GUILD_CREATE": Intents.GUILDS,
    "GUILD_UPDATE": Intents.GUILDS,
    "GUILD_DELETE": Intents.GUILDS,
    "CHANNEL_CREATE": Intents.GUILDS,
    "CHANNEL_UPDATE": Intents.GUILDS,
    "CHANNEL_DELETE": Intents.GUILDS,
    "THREAD_CREATE": Intents.GUILDS,
    "THREAD_UPDATE": Intents.GUILDS,
    "THREAD_DELETE": Intents.GUILDS,
    "MESSAGE_CREATE": Intents.GUILD_MESSAGES,
    "MESSAGE_UPDATE": Intents.GUILD_MESSAGES,
    "MESSAGE_DELETE": Intents.GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE_ALL": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE_EMOJI": Intents.GUILD_MESSAGE_REACTIONS,
}

CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12
CHANNEL_FORUM = 15

_JSON = "application/json"
_UNICODE_EMOJI_HINT = re.compile(r"^[\x00-\x7f]+$")


def _iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat()


def _sid(value: int | None) -> str | None:
    return None if value is None else str(value)


class _SnowflakeFactory:
    """Time-based, strictly increasing snowflakes."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            value = max((ms << 22) | (1 << 17), self._last + 1)
            self._last = value
            return value


class ApiError(Exception):
    """Raised by handlers to produce a Discord-shaped error response."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            out["errors"] = self.errors
        return out


def _unknown(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


def _max_len_error(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


def _invalid_form(errors: dict[str, Any]) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", errors)


class _DropConnection(Exception):
    """The request was accepted and stored, but the connection is aborted without a response."""


# --------------------------------------------------------------------------------------------
# Interactions
# --------------------------------------------------------------------------------------------


@dataclass
class InteractionReply:
    """What the bot answered to an interaction (the callback or a later edit/follow-up)."""

    type: int
    data: dict[str, Any]
    elapsed: float  # seconds between the INTERACTION_CREATE dispatch and this reply

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)


@dataclass
class InteractionHandle:
    """Returned by :meth:`DiscordEmulator.dispatch_slash_command`; await the bot's answers on it."""

    id: int
    token: str
    payload: dict[str, Any]
    dispatched_at: float
    callback: InteractionReply | None = None
    #: PATCH .../messages/@original edits, in order
    edits: list[InteractionReply] = field(default_factory=list)
    followups: list[InteractionReply] = field(default_factory=list)
    #: the original response message (if the callback created one)
    original_message: dict[str, Any] | None = None
    _event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def acknowledged(self) -> bool:
        return self.callback is not None

    async def _wait(self, predicate: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self._event.clear()
                await self._event.wait()

    async def response(self, within: float = 5.0) -> InteractionReply:
        """Wait for the interaction callback (``POST /interactions/{id}/{token}/callback``)."""
        await self._wait(lambda: self.callback is not None, within)
        assert self.callback is not None
        return self.callback

    async def final(self, within: float = 5.0) -> InteractionReply:
        """The user-visible answer: the callback, or - after a deferral (type 5) - the first edit
        of the original response or the first follow-up."""
        reply = await self.response(within)
        if reply.type != 5:
            return reply
        await self._wait(lambda: bool(self.edits or self.followups), within)
        return (self.edits or self.followups)[0]

    async def wait_followups(self, count: int = 1, within: float = 5.0) -> list[InteractionReply]:
        await self._wait(lambda: len(self.followups) >= count, within)
        return list(self.followups)

    def _notify(self) -> None:
        self._event.set()


# --------------------------------------------------------------------------------------------
# Gateway plumbing
# --------------------------------------------------------------------------------------------


class _Session:
    def __init__(self, session_id: str, intents: int, replay_size: int) -> None:
        self.id = session_id
        self.intents = intents
        self.seq = 0
        self.log: deque[dict[str, Any]] = deque(maxlen=replay_size)
        self.conn: _Connection | None = None
        self.valid = True

    def wants(self, event: str) -> bool:
        bit = _EVENT_INTENTS.get(event)
        return bit is None or bool(self.intents & bit)


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self.session: _Session | None = None
        self.lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            self._zstd = _make_zstd_compressor()
            if self._zstd is None:  # no zstd library here: plain text frames (discord.py accepts those)
                self.compress = None

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        async with self.lock:
            if self.ws.closed:
                return
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(raw.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                elif self._zstd is not None:
                    await self.ws.send_bytes(self._zstd(raw.encode()))
                else:
                    await self.ws.send_str(raw)
            except (ConnectionError, RuntimeError):
                pass


def _make_zstd_compressor() -> Callable[[bytes], bytes] | None:
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        try:
            from compression import zstd  # type: ignore[import-not-found]
        except ImportError:
            return None
        comp = zstd.ZstdCompressor()
        return lambda data: comp.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
    cobj = zstandard.ZstdCompressor().compressobj()
    return lambda data: cobj.compress(data) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


# --------------------------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------------------------


class _Bucket:
    """A fixed window of ``limit`` requests per ``per`` seconds, like a Discord route bucket."""

    def __init__(self, limit: int, per: float, bucket_hash: str) -> None:
        self.limit = limit
        self.per = per
        self.hash = bucket_hash
        self.count = 0
        self.window_end = 0.0

    def _roll(self, now: float) -> None:
        if now >= self.window_end:
            self.count = 0
            self.window_end = now + self.per

    def try_acquire(self, now: float) -> bool:
        self._roll(now)
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def reset_after(self, now: float) -> float:
        return max(0.0, math.ceil((self.window_end - now) * 1000) / 1000)

    def headers(self, now: float) -> dict[str, str]:
        after = self.reset_after(now)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.count)),
            "X-RateLimit-Reset": f"{time.time() + after:.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": self.hash,
        }


@dataclass
class _Fault:
    pattern: str
    remaining: int
    status: int
    code: int
    message: str


@dataclass
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Callable[[_Request], Awaitable[Any]]
    auth: bool
    #: excluded from the global rate limit (interaction callbacks and webhooks are)
    global_limited: bool


@dataclass
class _Request:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    raw: web.Request


@dataclass
class RequestRecord:
    """One REST request as the emulator saw it."""

    at: float
    method: str
    path: str
    route: str
    status: int = 0


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------

_MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
_REACTION_ROUTE = "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"


class DiscordEmulator:
    """A fake Discord (REST + Gateway) on 127.0.0.1.

    :param token: the bot token clients must present (``Authorization: Bot <token>``).
    :param message_rate: ``(limit, per_seconds)`` for ``POST /channels/{id}/messages`` per channel.
    :param global_rate: requests per second across all routes (except interaction callbacks/webhooks).
    :param route_rates: overrides ``{"METHOD /template": (limit, per)}`` for other routes.
    :param default_rate: the bucket for any route not otherwise configured.
    :param heartbeat_interval_ms: sent in HELLO.
    :param nonce_window: seconds during which ``enforce_nonce`` de-duplicates message creation.
    :param interaction_timeout: seconds the bot has to call back an interaction (Discord: 3).
    :param compression: ``"auto"`` honours the ``compress=`` query of the gateway URL,
        ``"none"`` always sends plain text frames.
    """

    def __init__(
        self,
        *,
        token: str = "emulator-bot-token",
        bot_name: str = "digestbot",
        message_rate: tuple[int, float] = (5, 5.0),
        global_rate: int = 50,
        route_rates: dict[str, tuple[int, float]] | None = None,
        default_rate: tuple[int, float] = (50, 1.0),
        heartbeat_interval_ms: int = 41_250,
        nonce_window: float = 300.0,
        interaction_timeout: float = 3.0,
        compression: str = "auto",
        replay_size: int = 1000,
    ) -> None:
        self._snowflake = _SnowflakeFactory()
        self.token = token
        self.application_id = self._snowflake()
        self.bot_user: dict[str, Any] = {
            "id": str(self.application_id),
            "username": bot_name,
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "public_flags": 0,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.nonce_window = nonce_window
        self.interaction_timeout = interaction_timeout
        self.compression = compression
        self.replay_size = replay_size
        self.message_rate = message_rate
        self.global_rate = global_rate
        self.default_rate = default_rate
        self.route_rates: dict[str, tuple[int, float]] = {
            _REACTION_ROUTE: (1, 0.25),
            "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": (1, 0.25),
            **(route_rates or {}),
        }

        # ---- state -------------------------------------------------------------------------
        self.users: dict[int, dict[str, Any]] = {self.application_id: self.bot_user}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.roles: dict[int, dict[str, Any]] = {}  # role id -> role (with "guild_id")
        self.members: dict[int, dict[int, dict[str, Any]]] = {}  # guild id -> user id -> member
        self.channels: dict[int, dict[str, Any]] = {}  # channels *and* threads
        self.threads: dict[int, dict[str, Any]] = {}  # thread id -> thread channel (subset of channels)
        self.messages: dict[int, dict[str, Any]] = {}
        self._channel_message_ids: dict[int, list[int]] = {}
        self.reactions: dict[int, dict[str, list[int]]] = {}  # message id -> emoji key -> user ids
        self.custom_emojis: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}  # guild -> cmd id -> command
        self.global_commands: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, InteractionHandle] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.attachments: dict[int, bytes] = {}  # attachment id -> uploaded bytes
        self._interactions_by_token: dict[str, InteractionHandle] = {}
        self._nonces: dict[tuple[int, int, str], tuple[float, int]] = {}
        self._bot_denies: dict[int, int] = {}  # channel id -> denied permission bits for the bot

        # ---- observability ------------------------------------------------------------------
        self.requests: list[RequestRecord] = []
        self.counters: dict[str, int] = {
            "requests": 0,
            "rate_limited": 0,  # all 429s served
            "rate_limited_route": 0,
            "rate_limited_global": 0,
            "rate_limited_storm": 0,
            "faults_injected": 0,
            "connections_dropped": 0,
            "messages_created": 0,
            "messages_deduplicated": 0,
            "identifies": 0,
            "resumes": 0,
            "heartbeats": 0,
            "gateway_connections": 0,
            "replayed_dispatches": 0,
        }
        #: channel id -> monotonic timestamps of accepted (created, not de-duplicated) messages
        self.message_times: dict[int, list[float]] = {}
        #: every op received on the gateway: (monotonic time, op, d)
        self.gateway_received: list[tuple[float, int, Any]] = []
        #: intents of each IDENTIFY, in order
        self.identify_intents: list[int] = []
        #: transport compression used by each gateway connection, in order (None = plain text)
        self.gateway_compression: list[str | None] = []

        # ---- machinery ----------------------------------------------------------------------
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_window = (0.0, 0)  # (window end, count)
        self._faults: list[_Fault] = []
        self._drops = 0
        self._storms: dict[int, int] = {}
        self._storm_retry_after = 0.05
        self._sessions: dict[str, _Session] = {}
        self._connections: set[_Connection] = set()
        self._routes = self._build_routes()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._state_changed = asyncio.Event()

    # ======================================================================================
    # lifecycle
    # ======================================================================================

    async def start(self) -> DiscordEmulator:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/gateway/", self._handle_gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle_rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"emulator stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """REST base, the value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Gateway URL (what ``GET /gateway/bot`` returns and READY's ``resume_gateway_url``)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def bot_id(self) -> int:
        return self.application_id

    # ======================================================================================
    # state set-up (synchronous; call before or while a bot is connected)
    # ======================================================================================

    def _user(self, username: str, *, bot: bool = False) -> int:
        uid = self._snowflake()
        self.users[uid] = {
            "id": str(uid),
            "username": username,
            "global_name": username,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
            "flags": 0,
        }
        return uid

    def add_guild(self, name: str, *, owner_id: int | None = None) -> int:
        """Create a guild the bot is a member of; returns its id. ``@everyone`` has the guild id."""
        gid = self._snowflake()
        owner = owner_id or self._user(f"{name}-owner")
        self.guilds[gid] = {
            "id": str(gid),
            "name": name,
            "owner_id": str(owner),
            "icon": None,
            "features": [],
            "preferred_locale": "en-US",
            "joined_at": _iso(),
        }
        self.roles[gid] = {
            "id": str(gid),
            "guild_id": gid,
            "name": "@everyone",
            "permissions": str(Permissions.EVERYONE_DEFAULT),
            "position": 0,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        self.members[gid] = {}
        self.guild_commands[gid] = {}
        bot_role = self.add_role(gid, self.bot_user["username"], permissions=Permissions.BOT_DEFAULT)
        self.roles[bot_role]["managed"] = True
        self.roles[bot_role]["tags"] = {"bot_id": str(self.application_id)}
        self._add_member_record(gid, self.application_id, roles=[bot_role])
        self._add_member_record(gid, owner, roles=[])
        return gid

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> int:
        rid = self._snowflake()
        self.roles[rid] = {
            **self.roles[guild_id],
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": sum(1 for r in self.roles.values() if r["guild_id"] == guild_id),
        }
        return rid

    def _add_member_record(self, guild_id: int, user_id: int, roles: list[int]) -> None:
        self.members[guild_id][user_id] = {
            "user": self.users[user_id],
            "roles": [str(r) for r in roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": _iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def add_member(
        self, guild_id: int, username: str, *, permissions: int | None = None, roles: list[int] | None = None
    ) -> int:
        """Add a (human) member; returns the user id. ``permissions`` creates a role granting them
        (e.g. ``Permissions.MANAGE_GUILD``); without it the member only has ``@everyone``."""
        uid = self._user(username)
        member_roles = list(roles or [])
        if permissions:
            member_roles.append(self.add_role(guild_id, f"{username}-perms", permissions=permissions))
        self._add_member_record(guild_id, uid, member_roles)
        return uid

    def member_permissions(self, guild_id: int, user_id: int) -> int:
        if int(self.guilds[guild_id]["owner_id"]) == user_id:
            return Permissions.ALL
        member = self.members[guild_id].get(user_id)
        perms = int(self.roles[guild_id]["permissions"])
        for rid in member["roles"] if member else []:
            perms |= int(self.roles[int(rid)]["permissions"])
        return Permissions.ALL if perms & Permissions.ADMINISTRATOR else perms

    def add_custom_emoji(self, guild_id: int, name: str, *, animated: bool = False) -> int:
        eid = self._snowflake()
        self.custom_emojis[eid] = {
            "id": str(eid),
            "name": name,
            "animated": animated,
            "roles": [],
            "require_colons": True,
            "managed": False,
            "available": True,
            "guild_id": guild_id,
        }
        return eid

    def _new_channel(self, guild_id: int, name: str, type_: int, **extra: Any) -> int:
        cid = self._snowflake()
        position = sum(1 for c in self.channels.values() if c.get("guild_id") == str(guild_id))
        self.channels[cid] = {
            "id": str(cid),
            "type": type_,
            "guild_id": str(guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
            **extra,
        }
        self._channel_message_ids[cid] = []
        return cid

    def add_text_channel(self, guild_id: int, name: str, *, topic: str | None = None) -> int:
        return self._new_channel(
            guild_id, name, CHANNEL_TEXT, topic=topic, default_auto_archive_duration=1440
        )

    def add_forum_channel(self, guild_id: int, name: str, *, topic: str | None = None) -> int:
        return self._new_channel(
            guild_id,
            name,
            CHANNEL_FORUM,
            topic=topic,
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_auto_archive_duration=4320,
            default_thread_rate_limit_per_user=0,
            template="",
        )

    def deny_bot(self, channel_id: int, permissions: int) -> None:
        """Deny the bot ``permissions`` in a channel (→ 403 Missing Permissions / Missing Access)."""
        self._bot_denies[channel_id] = self._bot_denies.get(channel_id, 0) | permissions
        self.channels[channel_id]["permission_overwrites"] = [
            {
                "id": str(self.application_id),
                "type": 1,
                "allow": "0",
                "deny": str(self._bot_denies[channel_id]),
            }
        ]

    def seed_message(
        self, channel_id: int, author_id: int, content: str = "", **extra: Any
    ) -> dict[str, Any]:
        """Store a message as if ``author_id`` had posted it earlier (no dispatch)."""
        return self._store_message(channel_id, author_id, {"content": content, **extra})

    # ---- state queries -------------------------------------------------------------------

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages of a channel or thread, oldest first."""
        return [self.messages[m] for m in self._channel_message_ids.get(channel_id, [])]

    def reactions_on(self, message_id: int) -> dict[str, list[int]]:
        """``{emoji key: [user ids]}`` - keys are the unicode emoji or ``name:id``."""
        return {k: list(v) for k, v in self.reactions.get(message_id, {}).items() if v}

    def commands_for(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        table = self.global_commands if guild_id is None else self.guild_commands.get(guild_id, {})
        return list(table.values())

    @property
    def rate_limited_count(self) -> int:
        return self.counters["rate_limited"]

    def requests_to(self, route: str) -> list[RequestRecord]:
        """Requests whose ``"METHOD /template"`` matches ``route`` (fnmatch pattern)."""
        return [r for r in self.requests if fnmatch.fnmatchcase(r.route, route)]

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` is true (re-checked whenever emulator state changes)."""
        async with asyncio.timeout(within):
            while not predicate():
                self._state_changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._state_changed.wait()

    def _changed(self) -> None:
        self._state_changed.set()

    # ======================================================================================
    # fault injection
    # ======================================================================================

    def fail_next(
        self,
        route_pattern: str,
        times: int = 1,
        status: int = 500,
        *,
        code: int = 0,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``route_pattern`` with ``status``.

        ``route_pattern`` is an fnmatch pattern over ``"METHOD /path"`` with the concrete path after
        ``/api/v10`` (e.g. ``"POST /channels/*/messages"``) *or* the route template
        (``"POST /channels/{channel_id}/messages"``). Note that discord.py silently retries 500, 502,
        504 and 524 (sleeping 1 s, 3 s, ...) but raises on other statuses."""
        default = {
            500: "500: Internal Server Error",
            502: "502: Bad Gateway",
            503: "503: Service Unavailable",
        }
        self._faults.append(
            _Fault(route_pattern, times, status, code, message or default.get(status, f"{status}: Error"))
        )

    def drop_after_accept(self, n: int = 1) -> None:
        """The next ``n`` message creations (channel messages, forum posts, follow-ups) are stored
        - and dispatched - but the HTTP connection is then aborted without a response."""
        self._drops += n

    def rate_limit_storm(self, channel_id: int, n: int, *, retry_after: float = 0.05) -> None:
        """Force the next ``n`` requests to any route of ``channel_id`` to get a 429 (shared scope).

        discord.py makes at most 5 attempts per request, so more than 4 consecutive 429s for a
        single call makes it raise ``HTTPException`` (status 429)."""
        self._storms[channel_id] = self._storms.get(channel_id, 0) + n
        self._storm_retry_after = retry_after

    # ======================================================================================
    # REST plumbing
    # ======================================================================================

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Callable[[_Request], Awaitable[Any]], bool, bool]] = [
            ("GET", "/users/@me", self._get_me, True, True),
            ("POST", "/users/@me/channels", self._open_dm, True, True),
            ("GET", "/users/{user_id}", self._get_user, True, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True, True),
            ("GET", "/applications/@me", self._get_application, True, True),
            ("GET", "/gateway", self._get_gateway, False, True),
            ("GET", "/gateway/bot", self._get_gateway_bot, True, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True, True),
            ("GET", "/guilds/{guild_id}/threads/active", self._get_active_threads, True, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True, True),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles, True, True),
            ("GET", "/channels/{channel_id}", self._get_channel, True, True),
            ("GET", "/channels/{channel_id}/messages", self._list_messages, True, True),
            ("POST", "/channels/{channel_id}/messages", self._create_message, True, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message, True, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message, True, True),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self._thread_from_message,
                True,
                True,
            ),
            ("POST", "/channels/{channel_id}/threads", self._thread_in_channel, True, True),
            (
                "GET",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
                self._list_reactors,
                True,
                True,
            ),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._react,
                True,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._unreact,
                True,
                True,
            ),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self._join_thread, True, True),
            ("GET", "/applications/{application_id}/commands", self._list_commands, True, True),
            ("PUT", "/applications/{application_id}/commands", self._bulk_commands, True, True),
            ("POST", "/applications/{application_id}/commands", self._upsert_command, True, True),
            (
                "DELETE",
                "/applications/{application_id}/commands/{command_id}",
                self._delete_command,
                True,
                True,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._list_commands,
                True,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._bulk_commands,
                True,
                True,
            ),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._upsert_command,
                True,
                True,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
                True,
                True,
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                self._interaction_callback,
                False,
                False,
            ),
            ("POST", "/webhooks/{application_id}/{token}", self._followup, False, False),
            (
                "GET",
                "/webhooks/{application_id}/{token}/messages/@original",
                self._get_original,
                False,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/@original",
                self._edit_original,
                False,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/@original",
                self._delete_original,
                False,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                self._edit_followup,
                False,
                False,
            ),
        ]
        routes = []
        for method, template, handler, auth, global_limited in table:
            pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
            routes.append(
                _Route(method, template, re.compile(f"^{pattern}/?$"), handler, auth, global_limited)
            )
        return routes

    @staticmethod
    def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        hdrs = {"Via": "1.1 google", **(headers or {})}
        if status == 204:
            return web.Response(status=204, headers=hdrs)
        text = json.dumps(body, ensure_ascii=False)
        return web.Response(status=status, body=text.encode(), headers={**hdrs, "Content-Type": _JSON})

    def _bucket_for(self, route: _Route, params: dict[str, str]) -> _Bucket:
        route_key = f"{route.method} {route.template}"
        major = "+".join(params[k] for k in ("channel_id", "guild_id", "token") if k in params)
        key = (route_key, major)
        bucket = self._buckets.get(key)
        if bucket is None:
            if route_key == _MESSAGE_ROUTE:
                limit, per = self.message_rate
            else:
                limit, per = self.route_rates.get(route_key, self.default_rate)
            bucket_hash = hashlib.sha1(route_key.encode(), usedforsecurity=False).hexdigest()[:32]
            bucket = self._buckets[key] = _Bucket(limit, per, bucket_hash)
        return bucket

    def _rate_limited(
        self, retry_after: float, *, is_global: bool, scope: str, extra: dict[str, str]
    ) -> web.Response:
        self.counters["rate_limited"] += 1
        headers = {"Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Scope": scope, **extra}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        return self._json(429, body, headers)

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0]
        m = re.match(r"^/api/v\d+(/.*)$", raw_path)
        if not m:
            return self._json(404, {"message": "404: Not Found", "code": 0})
        path = m.group(1)
        record = RequestRecord(time.monotonic(), request.method, unquote(path), f"{request.method} ?")
        self.requests.append(record)
        self.counters["requests"] += 1
        matched = self._match(request.method, path)
        if matched is None:
            record.status = 404
            return self._json(404, {"message": "404: Not Found", "code": 0})
        route, params = matched
        record.route = f"{route.method} {route.template}"
        response = await self._process(request, route, params, record)
        if response is not None:
            record.status = response.status
        self._changed()
        return response

    async def _process(
        self, request: web.Request, route: _Route, params: dict[str, str], record: RequestRecord
    ) -> web.StreamResponse:
        now = time.monotonic()
        if route.auth and request.headers.get("Authorization", "") not in (f"Bot {self.token}", self.token):
            return self._json(401, {"message": "401: Unauthorized", "code": 0})

        if route.global_limited:
            end, count = self._global_window
            if now >= end:
                end, count = now + 1.0, 0
            if count >= self.global_rate:
                self.counters["rate_limited_global"] += 1
                return self._rate_limited(end - now, is_global=True, scope="global", extra={})
            self._global_window = (end, count + 1)

        for fault in self._faults:
            if fault.remaining > 0 and (
                fnmatch.fnmatchcase(f"{route.method} {record.path}", fault.pattern)
                or fnmatch.fnmatchcase(record.route, fault.pattern)
            ):
                fault.remaining -= 1
                self.counters["faults_injected"] += 1
                return self._json(fault.status, {"message": fault.message, "code": fault.code})
        self._faults = [f for f in self._faults if f.remaining > 0]

        channel_id = int(params["channel_id"]) if params.get("channel_id", "").isdigit() else None
        if channel_id is not None and self._storms.get(channel_id, 0) > 0:
            self._storms[channel_id] -= 1
            self.counters["rate_limited_storm"] += 1
            return self._rate_limited(self._storm_retry_after, is_global=False, scope="shared", extra={})

        bucket = self._bucket_for(route, params)
        if not bucket.try_acquire(now):
            self.counters["rate_limited_route"] += 1
            return self._rate_limited(
                bucket.reset_after(now), is_global=False, scope="user", extra=bucket.headers(now)
            )
        rl_headers = bucket.headers(now)

        body: Any = None
        if request.can_read_body and request.content_type == "multipart/form-data":
            body, files = {}, []
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    try:
                        body = json.loads(data)
                    except ValueError:
                        return self._json(400, {"message": "400: Bad Request", "code": 50109})
                elif part.name and part.name.startswith("files["):
                    content_type = part.headers.get("Content-Type", "application/octet-stream")
                    files.append((part.filename or "file", content_type, bytes(data)))
            if isinstance(body, dict):
                body["__files__"] = files
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._json(400, {"message": "400: Bad Request", "code": 50109})
        req = _Request(route.method, record.path, route.template, params, dict(request.query), body, request)
        try:
            result = await route.handler(req)
        except ApiError as exc:
            return self._json(exc.status, exc.body(), rl_headers)
        except _DropConnection:
            self.counters["connections_dropped"] += 1
            if request.transport is not None:
                request.transport.abort()
            record.status = -1
            return web.Response(status=500)
        if result is None:
            return self._json(204, None, rl_headers)
        return self._json(200, result, rl_headers)

    def _maybe_drop(self) -> None:
        if self._drops > 0:
            self._drops -= 1
            raise _DropConnection

    # ======================================================================================
    # payload builders
    # ======================================================================================

    def _channel(self, channel_id: str | int) -> dict[str, Any]:
        try:
            return self.channels[int(channel_id)]
        except (KeyError, ValueError):
            raise _unknown("Channel", 10003) from None

    def _message(self, channel_id: int, message_id: str | int) -> dict[str, Any]:
        try:
            msg = self.messages[int(message_id)]
        except (KeyError, ValueError):
            raise _unknown("Message", 10008) from None
        if int(msg["channel_id"]) != channel_id:
            raise _unknown("Message", 10008)
        return msg

    def _guild_of(self, channel: dict[str, Any]) -> int:
        return int(channel["guild_id"])

    def _check_bot(self, channel: dict[str, Any], needed: int) -> None:
        cid = int(channel["id"])
        denied = self._bot_denies.get(cid, 0)
        if channel["type"] in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD):
            denied |= self._bot_denies.get(int(channel["parent_id"]), 0)
        perms = self.member_permissions(self._guild_of(channel), self.application_id) & ~denied
        if not perms & Permissions.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if perms & needed != needed:
            raise ApiError(403, 50013, "Missing Permissions")

    def _member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True) -> dict[str, Any]:
        member = self.members.get(guild_id, {}).get(user_id)
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        out = copy.deepcopy(member)
        if not with_user:
            out.pop("user", None)
        return out

    def _message_payload(self, msg: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in msg.items() if not k.startswith("_")}
        reactions = self.reactions.get(int(msg["id"]), {})
        if any(reactions.values()):
            out["reactions"] = [
                {
                    "emoji": self._emoji_payload(key),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "burst_colors": [],
                    "me": self.application_id in users,
                    "me_burst": False,
                    "burst_me": False,
                    "burst_count": 0,
                }
                for key, users in reactions.items()
                if users
            ]
        thread = self.threads.get(int(msg["id"]))
        if thread is not None and int(thread["parent_id"]) == int(msg["channel_id"]):
            out["thread"] = copy.deepcopy(thread)
        return copy.deepcopy(out)

    def _emoji_key(self, emoji: str) -> str:
        emoji = emoji.strip("<>")
        if emoji.startswith("a:"):
            emoji = emoji[2:]
        if ":" in emoji:
            name, _, eid = emoji.partition(":")
            custom = self.custom_emojis.get(int(eid)) if eid.isdigit() else None
            if custom is None or custom["name"] != name:
                raise ApiError(400, 10014, "Unknown Emoji")
            return f"{name}:{eid}"
        if not emoji or _UNICODE_EMOJI_HINT.match(emoji):
            raise ApiError(400, 10014, "Unknown Emoji")
        return emoji

    def _emoji_payload(self, key: str) -> dict[str, Any]:
        if ":" in key:
            name, _, eid = key.partition(":")
            animated = bool(self.custom_emojis.get(int(eid), {}).get("animated", False))
            return {"id": eid, "name": name, "animated": animated}
        return {"id": None, "name": key}

    # ======================================================================================
    # validation
    # ======================================================================================

    @staticmethod
    def _validate_message(body: dict[str, Any], *, require_something: bool = True) -> None:
        errors: dict[str, Any] = {}
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            errors["content"] = {
                "_errors": [{"code": "STRING_TYPE_CONVERT", "message": "Could not interpret."}]
            }
        elif content is not None and len(content) > 2000:
            errors["content"] = _max_len_error(2000)
        nonce = body.get("nonce")
        if isinstance(nonce, str) and len(nonce) > 25:
            errors["nonce"] = _max_len_error(25)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            errors["embeds"] = _max_len_error(10)
        total = 0
        for i, embed in enumerate(embeds[:10]):
            e_err: dict[str, Any] = {}
            for key, limit in (("title", 256), ("description", 4096)):
                value = embed.get(key) or ""
                total += len(value)
                if len(value) > limit:
                    e_err[key] = _max_len_error(limit)
            url = embed.get("url")
            if url and not re.match(r"^(https?|attachment)://\S+$", url):
                e_err["url"] = {
                    "_errors": [{"code": "URL_TYPE_INVALID_URL", "message": "Not a well formed URL."}]
                }
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            total += len(footer) + len(author)
            if len(footer) > 2048:
                e_err["footer"] = {"text": _max_len_error(2048)}
            if len(author) > 256:
                e_err["author"] = {"name": _max_len_error(256)}
            fields = embed.get("fields") or []
            if len(fields) > 25:
                e_err["fields"] = _max_len_error(25)
            for j, fld in enumerate(fields):
                name, value = fld.get("name") or "", fld.get("value") or ""
                total += len(name) + len(value)
                f_err = {}
                if len(name) > 256:
                    f_err["name"] = _max_len_error(256)
                if len(value) > 1024:
                    f_err["value"] = _max_len_error(1024)
                if f_err:
                    e_err.setdefault("fields", {})[str(j)] = f_err
            if e_err:
                errors.setdefault("embeds", {})[str(i)] = e_err
        if total > 6000 and "embeds" not in errors:
            errors["embeds"] = {
                "_errors": [
                    {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
                ]
            }
        if errors:
            raise _invalid_form(errors)
        if (
            require_something
            and not content
            and not embeds
            and not body.get("sticker_ids")
            and not body.get("poll")
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")

    # ======================================================================================
    # messages
    # ======================================================================================

    def _store_message(
        self,
        channel_id: int,
        author_id: int,
        body: dict[str, Any],
        *,
        type_: int = 0,
        flags: int = 0,
        **extra: Any,
    ) -> dict[str, Any]:
        channel = self._channel(channel_id)
        mid = self._snowflake()
        embeds = []
        for e in body.get("embeds") or []:
            embed = {k: v for k, v in e.items() if v is not None}
            embed.setdefault("type", "rich")
            embeds.append(embed)
        msg: dict[str, Any] = {
            "id": str(mid),
            "type": type_,
            "content": body.get("content") or "",
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self.users[author_id]),
            "attachments": [],
            "embeds": embeds,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": _iso(),
            "edited_timestamp": None,
            "flags": flags | int(body.get("flags") or 0),
            "components": body.get("components") or [],
            **extra,
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if channel["type"] in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD):
            msg["position"] = channel["total_message_sent"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        self.messages[mid] = msg
        self._channel_message_ids.setdefault(channel_id, []).append(mid)
        channel["last_message_id"] = str(mid)
        self._changed()
        return msg

    async def _dispatch_message_create(self, msg: dict[str, Any]) -> None:
        channel = self.channels[int(msg["channel_id"])]
        gid = self._guild_of(channel)
        data = self._message_payload(msg)
        data["guild_id"] = str(gid)
        author_id = int(msg["author"]["id"])
        if author_id in self.members.get(gid, {}):
            data["member"] = self._member_payload(gid, author_id, with_user=False)
        await self.dispatch("MESSAGE_CREATE", data)

    async def _open_dm(self, req: _Request) -> Any:
        body = req.body if isinstance(req.body, dict) else {}
        recipient = str(body.get("recipient_id") or "")
        if not recipient.isdigit() or int(recipient) not in self.users:
            raise ApiError(400, 50007, "Cannot send messages to this user")
        uid = int(recipient)
        cid = self.dm_channels.get(uid)
        if cid is None:
            cid = self._snowflake()
            self.dm_channels[uid] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": CHANNEL_DM,
                "last_message_id": None,
                "recipients": [copy.deepcopy(self.users[uid])],
            }
        return copy.deepcopy(self.channels[cid])

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to ``user_id`` directly (oldest first)."""
        cid = self.dm_channels.get(int(user_id))
        return [] if cid is None else self.channel_messages(cid)

    def _attach(self, msg: dict[str, Any], files: list[tuple[str, str, bytes]]) -> None:
        for filename, content_type, data in files:
            aid = self._snowflake()
            self.attachments[aid] = data
            url = f"https://cdn.emulator.invalid/attachments/{msg['channel_id']}/{aid}/{filename}"
            msg["attachments"].append(
                {
                    "id": str(aid),
                    "filename": filename,
                    "size": len(data),
                    "content_type": content_type,
                    "url": url,  # not served: the bytes are in DiscordEmulator.attachments
                    "proxy_url": url,
                }
            )

    async def _create_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        cid = int(channel["id"])
        files = req.body.pop("__files__", []) if isinstance(req.body, dict) else []
        if channel["type"] == CHANNEL_DM:
            body = req.body if isinstance(req.body, dict) else {}
            self._validate_message(body, require_something=not files)
            msg = self._store_message(cid, self.application_id, body)
            self._attach(msg, files)
            return self._message_payload(msg)
        if channel["type"] == CHANNEL_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        is_thread = channel["type"] in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD)
        self._check_bot(
            channel, Permissions.SEND_MESSAGES_IN_THREADS if is_thread else Permissions.SEND_MESSAGES
        )
        if is_thread and channel["thread_metadata"].get("locked"):
            raise ApiError(403, 50083, "Thread is archived")
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=not files)
        now = time.monotonic()
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (self.application_id, cid, str(nonce))
            seen = self._nonces.get(key)
            if seen is not None and now - seen[0] <= self.nonce_window and seen[1] in self.messages:
                self.counters["messages_deduplicated"] += 1
                return self._message_payload(self.messages[seen[1]])
        msg = self._store_message(cid, self.application_id, body)
        self._attach(msg, files)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(self.application_id, cid, str(nonce))] = (now, int(msg["id"]))
        self.counters["messages_created"] += 1
        self.message_times.setdefault(cid, []).append(now)
        await self._dispatch_message_create(msg)
        self._maybe_drop()
        return self._message_payload(msg)

    async def _get_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        self._check_bot(channel, Permissions.READ_MESSAGE_HISTORY)
        return self._message_payload(self._message(int(channel["id"]), req.params["message_id"]))

    async def _list_messages(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        self._check_bot(channel, Permissions.READ_MESSAGE_HISTORY)
        try:
            limit = int(req.query.get("limit", 50))
        except ValueError:
            raise _invalid_form({"limit": {"_errors": [{"code": "NUMBER_TYPE_COERCE"}]}}) from None
        if not 1 <= limit <= 100:
            raise _invalid_form({"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX", "message": "bad limit"}]}})
        ids = sorted(self._channel_message_ids.get(int(channel["id"]), []))
        if "after" in req.query:
            after = int(req.query["after"])
            picked = [i for i in ids if i > after][:limit]
        else:
            before = int(req.query["before"]) if "before" in req.query else None
            picked = [i for i in ids if before is None or i < before][-limit:]
        return [self._message_payload(self.messages[i]) for i in reversed(picked)]

    async def _edit_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(int(channel["id"]), req.params["message_id"])
        if int(msg["author"]["id"]) != self.application_id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=False)
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        msg["edited_timestamp"] = _iso()
        data = self._message_payload(msg)
        data["guild_id"] = channel["guild_id"]
        await self.dispatch("MESSAGE_UPDATE", data)
        return self._message_payload(msg)

    async def _delete_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        cid = int(channel["id"])
        msg = self._message(cid, req.params["message_id"])
        if int(msg["author"]["id"]) != self.application_id:
            self._check_bot(channel, Permissions.MANAGE_MESSAGES)
        mid = int(msg["id"])
        del self.messages[mid]
        self._channel_message_ids[cid].remove(mid)
        self.reactions.pop(mid, None)
        await self.dispatch(
            "MESSAGE_DELETE", {"id": str(mid), "channel_id": str(cid), "guild_id": channel["guild_id"]}
        )
        return None

    # ======================================================================================
    # threads
    # ======================================================================================

    def _validate_thread_name(self, body: dict[str, Any]) -> str:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _invalid_form(
                {
                    "name": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_BAD_LENGTH",
                                "message": "Must be between 1 and 100 in length.",
                            }
                        ]
                    }
                }
            )
        return name

    def _new_thread(
        self, thread_id: int, parent: dict[str, Any], name: str, body: dict[str, Any], type_: int
    ) -> dict:
        archive = int(
            body.get("auto_archive_duration") or parent.get("default_auto_archive_duration") or 1440
        )
        thread = {
            "id": str(thread_id),
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.application_id),
            "type": type_,
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "archive_timestamp": _iso(),
                "auto_archive_duration": archive,
                "locked": False,
                "create_timestamp": _iso(),
                **(
                    {"invitable": bool(body.get("invitable", True))}
                    if type_ == CHANNEL_PRIVATE_THREAD
                    else {}
                ),
            },
            "member": {
                "id": str(thread_id),
                "user_id": str(self.application_id),
                "join_timestamp": _iso(),
                "flags": 1,
            },
        }
        if parent["type"] == CHANNEL_FORUM:
            thread["applied_tags"] = [str(t) for t in body.get("applied_tags") or []]
        self.channels[thread_id] = thread
        self.threads[thread_id] = thread
        self._channel_message_ids.setdefault(thread_id, [])
        self._changed()
        return thread

    async def _dispatch_thread_create(self, thread: dict[str, Any]) -> None:
        await self.dispatch("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})

    async def _thread_from_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        if channel["type"] != CHANNEL_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        msg = self._message(int(channel["id"]), req.params["message_id"])
        self._check_bot(channel, Permissions.CREATE_PUBLIC_THREADS)
        body = req.body if isinstance(req.body, dict) else {}
        name = self._validate_thread_name(body)
        mid = int(msg["id"])
        if mid in self.threads:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(mid, channel, name, body, CHANNEL_PUBLIC_THREAD)
        await self._dispatch_thread_create(thread)
        return copy.deepcopy(thread)

    async def _thread_in_channel(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        body = req.body if isinstance(req.body, dict) else {}
        if channel["type"] == CHANNEL_FORUM:
            self._check_bot(channel, Permissions.SEND_MESSAGES)
            name = self._validate_thread_name(body)
            message_body = body.get("message")
            if not isinstance(message_body, dict):
                raise _invalid_form(
                    {"message": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "required"}]}}
                )
            self._validate_message(message_body)
            thread_id = self._snowflake()
            thread = self._new_thread(thread_id, channel, name, body, CHANNEL_PUBLIC_THREAD)
            # In a forum the starter message's id is the thread id.
            msg = self._store_message_with_id(thread_id, thread_id, message_body)
            channel["last_message_id"] = str(thread_id)
            self.counters["messages_created"] += 1
            self.message_times.setdefault(thread_id, []).append(time.monotonic())
            await self._dispatch_thread_create(thread)
            await self._dispatch_message_create(msg)
            self._maybe_drop()
            return {**copy.deepcopy(thread), "message": self._message_payload(msg)}
        if channel["type"] != CHANNEL_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        type_ = int(body.get("type") or CHANNEL_PRIVATE_THREAD)
        self._check_bot(
            channel,
            Permissions.CREATE_PUBLIC_THREADS
            if type_ == CHANNEL_PUBLIC_THREAD
            else Permissions.CREATE_PRIVATE_THREADS,
        )
        name = self._validate_thread_name(body)
        thread = self._new_thread(self._snowflake(), channel, name, body, type_)
        await self._dispatch_thread_create(thread)
        return copy.deepcopy(thread)

    def _store_message_with_id(
        self, channel_id: int, message_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        msg = self._store_message(channel_id, self.application_id, body)
        old = int(msg["id"])
        ids = self._channel_message_ids[channel_id]
        ids[ids.index(old)] = message_id
        del self.messages[old]
        msg["id"] = str(message_id)
        self.messages[message_id] = msg
        self.channels[channel_id]["last_message_id"] = str(message_id)
        return msg

    async def _join_thread(self, req: _Request) -> Any:
        self._channel(req.params["channel_id"])
        return None

    async def _get_active_threads(self, req: _Request) -> Any:
        gid = req.params["guild_id"]
        threads = [
            copy.deepcopy(t)
            for t in self.threads.values()
            if t["guild_id"] == gid and not t["thread_metadata"]["archived"]
        ]
        members = [t.pop("member") for t in threads if "member" in t]
        return {"threads": threads, "members": members}

    # ======================================================================================
    # reactions
    # ======================================================================================

    async def _react(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(int(channel["id"]), req.params["message_id"])
        self._check_bot(channel, Permissions.ADD_REACTIONS | Permissions.READ_MESSAGE_HISTORY)
        key = self._emoji_key(req.params["emoji"])
        await self._apply_reaction(msg, self.application_id, key, add=True)
        return None

    async def _unreact(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(int(channel["id"]), req.params["message_id"])
        key = self._emoji_key(req.params["emoji"])
        await self._apply_reaction(msg, self.application_id, key, add=False)
        return None

    async def _list_reactors(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(int(channel["id"]), req.params["message_id"])
        key = self._emoji_key(req.params["emoji"])
        limit = int(req.query.get("limit", 25))
        if not 1 <= limit <= 100:
            raise _invalid_form({"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX", "message": "bad limit"}]}})
        after = int(req.query.get("after", 0))
        users = sorted(u for u in self.reactions.get(int(msg["id"]), {}).get(key, []) if u > after)
        return [copy.deepcopy(self.users[u]) for u in users[:limit]]

    async def _apply_reaction(
        self, msg: dict[str, Any], user_id: int, key: str, *, add: bool, burst: bool = False
    ) -> dict[str, Any] | None:
        """Update reaction state and dispatch the gateway event; ``None`` if it was a no-op."""
        mid = int(msg["id"])
        users = self.reactions.setdefault(mid, {}).setdefault(key, [])
        if add == (user_id in users):
            return None
        if add:
            users.append(user_id)
        else:
            users.remove(user_id)
        self._changed()
        channel = self.channels[int(msg["channel_id"])]
        gid = self._guild_of(channel)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "guild_id": str(gid),
            "emoji": self._emoji_payload(key),
            "burst": burst,
            "type": 1 if burst else 0,
        }
        if add:
            if user_id in self.members.get(gid, {}):
                data["member"] = self._member_payload(gid, user_id)
            data["message_author_id"] = msg["author"]["id"]
            if burst:
                data["burst_colors"] = ["#ffcc4d"]
        await self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data)
        return data

    async def dispatch_reaction_add(
        self, channel_id: int, message_id: int, user_id: int, emoji: str, *, burst: bool = False
    ) -> dict[str, Any] | None:
        """A user reacts: updates reaction state and dispatches ``MESSAGE_REACTION_ADD``.

        ``emoji`` is a unicode emoji (``"👍"``) or a custom one as ``"name:id"`` (see
        :meth:`add_custom_emoji`). Returns the dispatched payload, or ``None`` if the user had
        already reacted with that emoji (Discord sends nothing then)."""
        msg = self._message(channel_id, message_id)
        return await self._apply_reaction(msg, user_id, self._emoji_key(emoji), add=True, burst=burst)

    async def dispatch_reaction_remove(
        self, channel_id: int, message_id: int, user_id: int, emoji: str
    ) -> dict[str, Any] | None:
        """A user removes a reaction: updates state and dispatches ``MESSAGE_REACTION_REMOVE``."""
        msg = self._message(channel_id, message_id)
        return await self._apply_reaction(msg, user_id, self._emoji_key(emoji), add=False)

    # ======================================================================================
    # users, guilds, channels, application
    # ======================================================================================

    async def _get_me(self, req: _Request) -> Any:
        return copy.deepcopy(self.bot_user)

    async def _get_user(self, req: _Request) -> Any:
        uid = req.params["user_id"]
        user = self.users.get(int(uid)) if uid.isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return copy.deepcopy(user)

    def _application_payload(self) -> dict[str, Any]:
        owner = {k: v for k, v in self.users[self.application_id].items() if k != "email"}
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32),
            "flags": (1 << 13) | (1 << 15) | (1 << 19),  # gateway intents (limited) flags
            "owner": owner,
            "team": None,
            "bot": copy.deepcopy(self.bot_user),
            "hook": True,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "rpc_origins": [],
            "tags": [],
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }

    async def _get_application(self, req: _Request) -> Any:
        return self._application_payload()

    async def _get_gateway(self, req: _Request) -> Any:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, req: _Request) -> Any:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    def _guild(self, guild_id: str | int) -> int:
        try:
            gid = int(guild_id)
        except ValueError:
            raise ApiError(404, 10004, "Unknown Guild") from None
        if gid not in self.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        return gid

    def _roles_payload(self, gid: int) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in r.items() if k != "guild_id"}
            for r in self.roles.values()
            if r["guild_id"] == gid
        ]

    async def _get_guild(self, req: _Request) -> Any:
        gid = self._guild(req.params["guild_id"])
        return {
            **copy.deepcopy(self.guilds[gid]),
            "roles": self._roles_payload(gid),
            "emojis": [],
            "stickers": [],
        }

    async def _get_guild_channels(self, req: _Request) -> Any:
        gid = str(self._guild(req.params["guild_id"]))
        return [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c["guild_id"] == gid and c["id"] not in self._thread_ids()
        ]

    def _thread_ids(self) -> set[str]:
        return {t["id"] for t in self.threads.values()}

    async def _get_member(self, req: _Request) -> Any:
        gid = self._guild(req.params["guild_id"])
        uid = req.params["user_id"]
        return self._member_payload(gid, int(uid) if uid.isdigit() else -1)

    async def _get_roles(self, req: _Request) -> Any:
        return self._roles_payload(self._guild(req.params["guild_id"]))

    async def _get_channel(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        return {k: v for k, v in copy.deepcopy(channel).items() if k != "member"}

    def _guild_create_payload(self, gid: int, intents: int) -> dict[str, Any]:
        guild = copy.deepcopy(self.guilds[gid])
        sgid = str(gid)
        members = self.members[gid]
        shown = (
            members
            if intents & Intents.GUILD_MEMBERS
            else {self.application_id: members[self.application_id]}
        )
        return {
            **guild,
            "unavailable": False,
            "large": False,
            "lazy": True,
            "member_count": len(members),
            "roles": self._roles_payload(gid),
            "emojis": [
                {k: v for k, v in e.items() if k != "guild_id"}
                for e in self.custom_emojis.values()
                if e["guild_id"] == gid
            ],
            "stickers": [],
            "channels": [
                {k: v for k, v in copy.deepcopy(c).items() if k != "guild_id"}
                for c in self.channels.values()
                if c["guild_id"] == sgid and int(c["id"]) not in self.threads
            ],
            "threads": [copy.deepcopy(t) for t in self.threads.values() if t["guild_id"] == sgid],
            "members": [copy.deepcopy(m) for m in shown.values()],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "system_channel_id": None,
            "rules_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "application_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "premium_progress_bar_enabled": False,
        }

    # ======================================================================================
    # application commands
    # ======================================================================================

    def _check_app(self, req: _Request) -> int | None:
        if req.params["application_id"] != str(self.application_id):
            raise ApiError(403, 50001, "Missing Access")
        return self._guild(req.params["guild_id"]) if "guild_id" in req.params else None

    def _command_table(self, guild_id: int | None) -> dict[int, dict[str, Any]]:
        return self.global_commands if guild_id is None else self.guild_commands[guild_id]

    def _validate_command(self, index: int | None, cmd: Any) -> dict[str, Any]:
        prefix = (lambda e: {str(index): e}) if index is not None else (lambda e: e)
        if not isinstance(cmd, dict):
            raise _invalid_form(
                prefix({"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries"}]})
            )
        type_ = int(cmd.get("type") or 1)
        name = cmd.get("name") or ""
        if type_ == 1 and (not re.match(r"^[-_\w]{1,32}$", name) or name != name.lower()):
            raise _invalid_form(
                prefix(
                    {
                        "name": {
                            "_errors": [
                                {"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Invalid name"}
                            ]
                        }
                    }
                )
            )
        description = cmd.get("description") or ""
        if type_ == 1 and not 1 <= len(description) <= 100:
            raise _invalid_form(prefix({"description": _max_len_error(100)}))
        if len(cmd.get("options") or []) > 25:
            raise _invalid_form(prefix({"options": _max_len_error(25)}))
        return cmd

    def _store_command(
        self, guild_id: int | None, cmd: dict[str, Any], existing: dict[int, dict[str, Any]]
    ) -> dict:
        type_ = int(cmd.get("type") or 1)
        same = next((c for c in existing.values() if c["name"] == cmd["name"] and c["type"] == type_), None)
        cid = int(same["id"]) if same else self._snowflake()
        stored = {
            "id": str(cid),
            "application_id": str(self.application_id),
            "version": str(self._snowflake()),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "type": type_,
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description", ""),
            "description_localizations": cmd.get("description_localizations"),
            "options": copy.deepcopy(cmd.get("options") or []),
            "nsfw": bool(cmd.get("nsfw", False)),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored["dm_permission"] = cmd.get("dm_permission", True)
        return stored

    async def _list_commands(self, req: _Request) -> Any:
        return copy.deepcopy(list(self._command_table(self._check_app(req)).values()))

    async def _bulk_commands(self, req: _Request) -> Any:
        gid = self._check_app(req)
        if not isinstance(req.body, list):
            raise _invalid_form({"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Only iterables"}]})
        if len(req.body) > 100:
            raise ApiError(400, 30032, "Maximum number of application commands reached (100)")
        cmds = [self._validate_command(i, c) for i, c in enumerate(req.body)]
        table = self._command_table(gid)
        new = [self._store_command(gid, c, table) for c in cmds]
        table.clear()
        table.update({int(c["id"]): c for c in new})
        self._changed()
        return copy.deepcopy(new)

    async def _upsert_command(self, req: _Request) -> Any:
        gid = self._check_app(req)
        table = self._command_table(gid)
        cmd = self._store_command(gid, self._validate_command(None, req.body), table)
        table[int(cmd["id"])] = cmd
        self._changed()
        return copy.deepcopy(cmd)

    async def _delete_command(self, req: _Request) -> Any:
        table = self._command_table(self._check_app(req))
        cid = req.params["command_id"]
        if not cid.isdigit() or int(cid) not in table:
            raise ApiError(404, 10063, "Unknown application command")
        del table[int(cid)]
        return None

    # ======================================================================================
    # interactions
    # ======================================================================================

    def _find_command(self, guild_id: int, name: str) -> tuple[dict[str, Any] | None, bool]:
        for cmd in self.guild_commands.get(guild_id, {}).values():
            if cmd["name"] == name and cmd["type"] == 1:
                return cmd, True
        for cmd in self.global_commands.values():
            if cmd["name"] == name and cmd["type"] == 1:
                return cmd, False
        return None, False

    @staticmethod
    def _option_values(spec: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
        types = {o["name"]: int(o["type"]) for o in spec}
        out = []
        for name, value in values.items():
            if name in types:
                type_ = types[name]
            elif isinstance(value, bool):
                type_ = 5
            elif isinstance(value, int):
                type_ = 4
            elif isinstance(value, float):
                type_ = 10
            else:
                type_ = 3
            out.append({"name": name, "type": type_, "value": value})
        return out

    async def dispatch_slash_command(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        permissions: int | str | None = None,
        require_registered: bool = True,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user runs ``/name`` (``"digest top"`` for a sub-command) in ``channel_id``.

        ``options`` maps option names to values; their types come from the registered command.
        ``permissions`` overrides the member's computed permissions (e.g. ``str(Permissions.MANAGE_GUILD)``).
        The command must have been registered (synced) unless ``require_registered=False``.
        Returns an :class:`InteractionHandle` to await the bot's callback on."""
        words = name.split()
        top, path = words[0], words[1:]
        cmd, is_guild_cmd = self._find_command(guild_id, top)
        if cmd is None and require_registered:
            raise LookupError(f"/{top} is not registered for guild {guild_id} nor globally")
        spec = (cmd or {}).get("options") or []
        opts = self._option_values(
            [o for o in spec if int(o["type"]) not in (1, 2)] if not path else [], options or {}
        )
        for depth, word in enumerate(reversed(path)):
            # build from the innermost sub-command outwards
            level = spec
            for outer in path[: len(path) - 1 - depth]:
                level = next((o.get("options") or [] for o in level if o["name"] == outer), [])
            entry = next((o for o in level if o["name"] == word), None)
            type_ = int(entry["type"]) if entry else (1 if depth == 0 else 2)
            if depth == 0:
                opts = self._option_values((entry or {}).get("options") or [], options or {})
            opts = [{"name": word, "type": type_, "options": opts}]

        channel = self._channel(channel_id)
        perms = self.member_permissions(guild_id, user_id) if permissions is None else int(permissions)
        member = self._member_payload(guild_id, user_id)
        member["permissions"] = str(perms)
        iid = self._snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        data: dict[str, Any] = {
            "id": (cmd or {}).get("id", str(self._snowflake())),
            "name": top,
            "type": 1,
        }
        if opts:
            data["options"] = opts
        if is_guild_cmd:
            data["guild_id"] = str(guild_id)
        bot_perms = self.member_permissions(guild_id, self.application_id) & ~self._bot_denies.get(
            channel_id, 0
        )
        payload = {
            "version": 1,
            "type": 2,
            "id": str(iid),
            "application_id": str(self.application_id),
            "token": token,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "channel_id": str(channel_id),
            "channel": {**copy.deepcopy(channel), "permissions": str(perms)},
            "member": member,
            "data": data,
            "locale": locale,
            "app_permissions": str(bot_perms),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        return await self._dispatch_interaction(iid, token, payload)

    async def dispatch_component(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        permissions: int | str | None = None,
    ) -> InteractionHandle:
        """A user presses a button (``values`` None) or picks from a string select (``values``) with
        ``custom_id`` on a message of the bot in ``channel_id``; returns the handle to await answers on."""
        channel = self._channel(channel_id)
        perms = self.member_permissions(guild_id, user_id) if permissions is None else int(permissions)
        member = self._member_payload(guild_id, user_id)
        member["permissions"] = str(perms)
        iid = self._snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 3 if values is not None else 2}
        if values is not None:
            data["values"] = list(values)
        message = {
            "id": str(self._snowflake()),
            "type": 20,
            "content": "",
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self.bot_user),
            "attachments": [],
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": _iso(),
            "edited_timestamp": None,
            "flags": 64,
            "components": [],
        }
        payload = {
            "version": 1,
            "type": 3,
            "id": str(iid),
            "application_id": str(self.application_id),
            "token": token,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "channel_id": str(channel_id),
            "channel": {**copy.deepcopy(channel), "permissions": str(perms)},
            "member": member,
            "message": message,
            "data": data,
            "locale": "en-US",
            "app_permissions": str(self.member_permissions(guild_id, self.application_id)),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        return await self._dispatch_interaction(iid, token, payload)

    async def _dispatch_interaction(self, iid: int, token: str, payload: dict[str, Any]) -> InteractionHandle:
        """Register an interaction (so its callback can be answered) and send it over the gateway."""
        payload["channel"].pop("member", None)
        handle = InteractionHandle(iid, token, payload, time.monotonic())
        self.interactions[iid] = handle
        self._interactions_by_token[token] = handle
        await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    def _interaction_message(
        self, handle: InteractionHandle, body: dict[str, Any], *, type_: int, flags: int = 0
    ) -> dict[str, Any]:
        """Create the message a response/follow-up produces. Ephemeral ones are not stored in the
        channel (only the invoking user can see them)."""
        payload = handle.payload
        cid = int(payload["channel_id"])
        user = payload["member"]["user"]
        metadata = {
            "id": payload["id"],
            "type": 2,
            "user": user,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
            "name": payload["data"].get("name", ""),
        }
        flags = flags | int(body.get("flags") or 0)
        if flags & 64:
            mid = self._snowflake()
            return {
                "id": str(mid),
                "type": type_,
                "content": body.get("content") or "",
                "channel_id": str(cid),
                "author": copy.deepcopy(self.bot_user),
                "attachments": [],
                "embeds": body.get("embeds") or [],
                "mentions": [],
                "mention_roles": [],
                "pinned": False,
                "mention_everyone": False,
                "tts": False,
                "timestamp": _iso(),
                "edited_timestamp": None,
                "flags": flags,
                "components": body.get("components") or [],
                "interaction_metadata": metadata,
                "webhook_id": str(self.application_id),
                "application_id": str(self.application_id),
            }
        return self._store_message(
            cid,
            self.application_id,
            body,
            type_=type_,
            flags=flags,
            interaction_metadata=metadata,
            webhook_id=str(self.application_id),
            application_id=str(self.application_id),
        )

    def _handle_by(self, req: _Request, *, key: str) -> InteractionHandle:
        if key == "interaction_id":
            iid = req.params["interaction_id"]
            handle = self.interactions.get(int(iid)) if iid.isdigit() else None
            if handle is None or handle.token != req.params["token"]:
                raise ApiError(404, 10062, "Unknown interaction")
        else:
            handle = self._interactions_by_token.get(req.params["token"])
            if handle is None or req.params["application_id"] != str(self.application_id):
                raise ApiError(404, 10015, "Unknown Webhook")
            if time.monotonic() - handle.dispatched_at > 15 * 60:
                raise ApiError(401, 50027, "Invalid Webhook Token")
        return handle

    async def _interaction_callback(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="interaction_id")
        elapsed = time.monotonic() - handle.dispatched_at
        if handle.callback is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > self.interaction_timeout:
            raise ApiError(404, 10062, "Unknown interaction")
        body = req.body if isinstance(req.body, dict) else {}
        type_ = int(body.get("type") or 0)
        data = body.get("data") or {}
        if type_ not in (1, 4, 5, 6, 7, 8, 9, 12):
            raise _invalid_form(
                {"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "invalid type"}]}}
            )
        if type_ in (6, 7) and handle.payload["type"] == 2:
            raise ApiError(400, 40043, "Interaction callback type is not valid for this interaction type")
        if type_ == 4:
            self._validate_message(data)
        message: dict[str, Any] | None = None
        if type_ == 4:
            message = self._interaction_message(handle, data, type_=20)
        elif type_ == 5:
            message = self._interaction_message(
                handle, {"content": ""}, type_=20, flags=128 | int(data.get("flags") or 0)
            )
        handle.original_message = message
        handle.callback = InteractionReply(type_, copy.deepcopy(data), elapsed)
        handle._notify()
        self._changed()
        if message is not None and not message["flags"] & 64:
            await self._dispatch_message_create(message)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None
        out: dict[str, Any] = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.payload["type"],
                "response_message_loading": type_ == 5,
                "response_message_ephemeral": bool((message or {}).get("flags", 0) & 64),
            }
        }
        if message is not None:
            out["interaction"]["response_message_id"] = message["id"]
            out["resource"] = {"type": type_, "message": self._message_payload(message)}
        return out

    async def _followup(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        if handle.callback is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body)
        msg = self._interaction_message(handle, body, type_=0)
        handle.followups.append(
            InteractionReply(0, copy.deepcopy(body), time.monotonic() - handle.dispatched_at)
        )
        handle._notify()
        if not msg["flags"] & 64:
            await self._dispatch_message_create(msg)
        self._maybe_drop()
        return self._message_payload(msg)

    async def _get_original(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        if handle.original_message is None:
            raise _unknown("Message", 10008)
        return self._message_payload(handle.original_message)

    async def _edit_original(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        if handle.original_message is None:
            raise _unknown("Message", 10008)
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=False)
        msg = handle.original_message
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        msg["flags"] = int(msg.get("flags", 0)) & ~128
        msg["edited_timestamp"] = _iso()
        handle.edits.append(
            InteractionReply(
                0, {**copy.deepcopy(body), "flags": msg["flags"]}, time.monotonic() - handle.dispatched_at
            )
        )
        handle._notify()
        self._changed()
        return self._message_payload(msg)

    async def _edit_followup(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        mid = req.params["message_id"]
        msg = self.messages.get(int(mid)) if mid.isdigit() else None
        if msg is None:
            raise _unknown("Message", 10008)
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=False)
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key]
        handle._notify()
        return self._message_payload(msg)

    async def _delete_original(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        msg = handle.original_message
        if msg is None:
            raise _unknown("Message", 10008)
        mid = int(msg["id"])
        if mid in self.messages:
            del self.messages[mid]
            self._channel_message_ids[int(msg["channel_id"])].remove(mid)
        handle.original_message = None
        return None

    # ======================================================================================
    # gateway
    # ======================================================================================

    @property
    def connected_sessions(self) -> list[str]:
        return [s.id for s in self._sessions.values() if s.valid and s.conn is not None]

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a dispatch (op 0) to every live session that has the required intent.

        Sessions that are momentarily disconnected (but resumable) queue it for replay on RESUME.
        Returns how many sessions it was delivered or queued to."""
        count = 0
        for session in list(self._sessions.values()):
            if not session.valid or not session.wants(event):
                continue
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": self._filter_content(session, event, data)}
            session.log.append(frame)
            if session.conn is not None:
                await session.conn.send(frame)
            count += 1
        return count

    def _filter_content(self, session: _Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        if (
            event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and not session.intents & Intents.MESSAGE_CONTENT
            and (data.get("author") or {}).get("id") not in (None, str(self.application_id))
        ):
            data.update(content="", embeds=[], attachments=[], components=[])
        return data

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT on every connection (the client should reconnect and RESUME)."""
        for conn in list(self._connections):
            await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def send_invalid_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless ``resumable`` the sessions are discarded (fresh IDENTIFY)."""
        for conn in list(self._connections):
            if conn.session is not None and not resumable:
                conn.session.valid = False
            await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def close_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection from the server side with ``code``."""
        for conn in list(self._connections):
            await conn.ws.close(code=code, message=b"closed by emulator")

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress") if self.compression == "auto" else None
        conn = _Connection(ws, compress)
        self._connections.add(conn)
        self.gateway_compression.append(conn.compress)
        self.counters["gateway_connections"] += 1
        self._changed()
        try:
            if request.query.get("encoding", "json") != "json":
                await ws.close(code=4002, message=b"Error while decoding payload.")
                return ws
            await conn.send(
                {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                    continue
                try:
                    frame = json.loads(msg.data)
                    op = frame["op"]
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_gateway_op(conn, op, frame.get("d"))
        finally:
            self._connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if ws.close_code in (1000, 1001):
                    session.valid = False  # a clean close ends the session, as on Discord
            self._changed()
        return ws

    async def _on_gateway_op(self, conn: _Connection, op: int, d: Any) -> None:
        self.gateway_received.append((time.monotonic(), op, d))
        self._changed()
        if op == 1:
            self.counters["heartbeats"] += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif op == 8:
            await self._request_members(conn, d or {})
        elif op in (3, 4):
            return
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    def _token_ok(self, token: Any) -> bool:
        return isinstance(token, str) and token.removeprefix("Bot ") == self.token

    async def _identify(self, conn: _Connection, d: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if not self._token_ok(d.get("token")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        self.counters["identifies"] += 1
        self.identify_intents.append(intents)
        session = _Session(secrets.token_hex(16), intents, self.replay_size)
        session.conn = conn
        conn.session = session
        self._sessions[session.id] = session
        ready: dict[str, Any] = {
            "v": 10,
            "user_settings": {},
            "user": copy.deepcopy(self.bot_user),
            "session_type": "normal",
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "geo_ordered_rtc_regions": ["local"],
            "guild_join_requests": [],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "auth": {},
            "application": {"id": str(self.application_id), "flags": self._application_payload()["flags"]},
            "_trace": ['["discord-emulator",{"micros":0}]'],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        session.seq += 1
        frame = {"op": 0, "t": "READY", "s": session.seq, "d": ready}
        session.log.append(frame)
        await conn.send(frame)
        for gid in list(self.guilds):
            if session.wants("GUILD_CREATE"):
                session.seq += 1
                frame = {
                    "op": 0,
                    "t": "GUILD_CREATE",
                    "s": session.seq,
                    "d": self._guild_create_payload(gid, intents),
                }
                session.log.append(frame)
                await conn.send(frame)

    async def _resume(self, conn: _Connection, d: dict[str, Any]) -> None:
        if not self._token_ok(d.get("token")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = self._sessions.get(str(d.get("session_id")))
        seq = d.get("seq")
        if session is None or not session.valid:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        oldest = session.log[0]["s"] if session.log else session.seq + 1
        if isinstance(seq, int) and seq < oldest - 1:
            session.valid = False
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            await session.conn.ws.close(code=4000, message=b"Session resumed elsewhere.")
        session.conn = conn
        conn.session = session
        self.counters["resumes"] += 1
        last = seq if isinstance(seq, int) else 0
        for frame in list(session.log):
            if frame["s"] > last:
                self.counters["replayed_dispatches"] += 1
                await conn.send(frame)
        session.seq += 1
        await conn.send(
            {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ['["discord-emulator"]']}}
        )
        self._changed()

    async def _request_members(self, conn: _Connection, d: dict[str, Any]) -> None:
        gid = int(d.get("guild_id", 0) or 0)
        if gid not in self.guilds or conn.session is None:
            return
        members = [copy.deepcopy(m) for m in self.members[gid].values()]
        data = {"guild_id": str(gid), "members": members, "chunk_index": 0, "chunk_count": 1, "not_found": []}
        if d.get("nonce") is not None:
            data["nonce"] = d["nonce"]
        session = conn.session
        session.seq += 1
        frame = {"op": 0, "t": "GUILD_MEMBERS_CHUNK", "s": session.seq, "d": data}
        session.log.append(frame)
        await conn.send(frame)


# --------------------------------------------------------------------------------------------
# discord.py wiring
# --------------------------------------------------------------------------------------------

_POINT_LOCK = threading.Lock()


@contextlib.contextmanager
def point_discord_py_at(emu: DiscordEmulator) -> Iterator[None]:
    """Make discord.py talk to ``emu`` instead of discord.com, restoring everything on exit.

    discord.py reads two class attributes, both process-global:

    * ``discord.http.Route.BASE`` - the REST base; read when a ``Route`` is constructed, so it also
      covers webhooks and interaction callbacks (they use the same ``Route``).
    * ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` - where ``Client.connect`` opens the
      gateway (a plain ``Client`` never calls ``GET /gateway/bot``; ``AutoShardedClient`` does, and
      the emulator answers it with :attr:`DiscordEmulator.gateway_url`). After READY discord.py
      resumes against ``resume_gateway_url`` and after an INVALID_SESSION it falls back to
      ``DEFAULT_GATEWAY`` again.

    Because they are global, only one emulator can be targeted at a time per process.
    """
    import discord.gateway
    import discord.http
    import yarl

    with _POINT_LOCK:
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = emu.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url + "/")
    try:
        yield
    finally:
        with _POINT_LOCK:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
