"""The Discord emulator: its state, its server's lifecycle, and pointing discord.py at it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from tests.emulators.discord_emulator.commands import CommandsMixin
from tests.emulators.discord_emulator.gateway import GatewayMixin
from tests.emulators.discord_emulator.guilds import GuildsMixin
from tests.emulators.discord_emulator.interactions import InteractionsMixin
from tests.emulators.discord_emulator.messages import MessagesMixin
from tests.emulators.discord_emulator.model import _SnowflakeFactory
from tests.emulators.discord_emulator.payloads import PayloadsMixin
from tests.emulators.discord_emulator.plumbing import (
    _REACTION_ROUTE,
    InteractionHandle,
    RequestRecord,
    _Bucket,
    _Connection,
    _Fault,
    _Session,
)
from tests.emulators.discord_emulator.reactions import ReactionsMixin
from tests.emulators.discord_emulator.rest import RestMixin
from tests.emulators.discord_emulator.state import StateMixin
from tests.emulators.discord_emulator.threads import ThreadsMixin

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


class DiscordEmulator(
    StateMixin,
    RestMixin,
    PayloadsMixin,
    MessagesMixin,
    ThreadsMixin,
    ReactionsMixin,
    GuildsMixin,
    CommandsMixin,
    InteractionsMixin,
    GatewayMixin,
):
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
