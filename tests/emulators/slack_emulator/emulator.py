"""The Slack emulator: its state and its server's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import aiohttp
from aiohttp import web

from tests.emulators.slack_emulator import records
from tests.emulators.slack_emulator.api_methods import ApiMethodsMixin
from tests.emulators.slack_emulator.commands import CommandsMixin
from tests.emulators.slack_emulator.events import EventsMixin
from tests.emulators.slack_emulator.files import FilesMixin
from tests.emulators.slack_emulator.limits import (
    DEFAULT_METHOD_LIMITS_PER_MINUTE,
    SlackEmulatorError,
    _Fault,
    _TokenBucket,
)
from tests.emulators.slack_emulator.reactions import ReactionsMixin
from tests.emulators.slack_emulator.socket_mode import SocketModeMixin
from tests.emulators.slack_emulator.state import StateMixin
from tests.emulators.slack_emulator.teams import TeamsMixin
from tests.emulators.slack_emulator.web_api import WebApiMixin


class SlackEmulator(
    StateMixin,
    TeamsMixin,
    WebApiMixin,
    ApiMethodsMixin,
    FilesMixin,
    ReactionsMixin,
    EventsMixin,
    CommandsMixin,
    SocketModeMixin,
):
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

        self.channels: dict[str, records.Channel] = {}
        self.users: dict[str, records.User] = {
            bot_user_id: records.User(bot_user_id, bot_name, bot_name, is_bot=True)
        }
        self._messages: dict[str, list[records.StoredMessage]] = {}
        self._by_ts: dict[tuple[str, str], records.StoredMessage] = {}
        self.ephemerals: list[records.Ephemeral] = []
        self.files: dict[str, records.UploadedFile] = {}
        self.commands: dict[str, records.CommandInvocation] = {}
        self._commands_by_response_id: dict[str, records.CommandInvocation] = {}

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
        self.deliveries: list[records.EventDelivery] = []
        self._socket_tickets: set[str] = set()
        self._socket_conns: list[records._SocketConnection] = []
        self._socket_changed = asyncio.Condition()
        self.socket_acks: list[records.SocketAck] = []
        self.socket_connection_count = 0
        self._pending_acks: dict[str, tuple[asyncio.Future[records.SocketAck], float, str]] = {}
        self._socket_commands: dict[str, records.CommandInvocation] = {}

        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port: int | None = None
        self._closing = False

        self._init_teams()
        self.default_channel_id: str | None = None
        self.default_user_id: str | None = None
        if create_defaults:
            self.default_channel_id = self.add_channel("general")
            self.default_user_id = self.add_user("alice", real_name="Alice Example")

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
        app.router.add_get("/oauth/v2/authorize", self._handle_authorize)
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

    # The Web API methods by name (their handlers live in the mixins).
    _API_METHODS: ClassVar[dict[str, Callable[[SlackEmulator, dict[str, Any]], dict[str, Any]]]] = {
        "api.test": ApiMethodsMixin._api_test,
        "auth.test": ApiMethodsMixin._auth_test,
        "apps.connections.open": ApiMethodsMixin._apps_connections_open,
        "chat.postMessage": ApiMethodsMixin._chat_post_message,
        "chat.postEphemeral": ApiMethodsMixin._chat_post_ephemeral,
        "chat.update": ApiMethodsMixin._chat_update,
        "chat.delete": ApiMethodsMixin._chat_delete,
        "chat.getPermalink": ApiMethodsMixin._chat_get_permalink,
        "conversations.history": ApiMethodsMixin._conversations_history,
        "conversations.replies": ApiMethodsMixin._conversations_replies,
        "conversations.info": ApiMethodsMixin._conversations_info,
        "conversations.list": ApiMethodsMixin._conversations_list,
        "conversations.join": ApiMethodsMixin._conversations_join,
        "reactions.add": ApiMethodsMixin._reactions_add,
        "reactions.remove": ApiMethodsMixin._reactions_remove,
        "reactions.get": ApiMethodsMixin._reactions_get,
        "users.info": ApiMethodsMixin._users_info,
        "files.getUploadURLExternal": FilesMixin._files_get_upload_url_external,
        "files.completeUploadExternal": FilesMixin._files_complete_upload_external,
        "oauth.v2.access": TeamsMixin._oauth_v2_access,
    }
