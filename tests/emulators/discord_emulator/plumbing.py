"""What the emulator keeps beside its state: interaction handles, gateway sessions, rate-limit buckets,
routes, faults and the requests it saw."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.emulators.discord_emulator.model import _EVENT_INTENTS


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
    # When the rate limiter let it in: the time its window counts, whatever the handler does after.
    admitted_at: float = 0.0


@dataclass
class RequestRecord:
    """One REST request as the emulator saw it."""

    at: float
    method: str
    path: str
    route: str
    status: int = 0


_MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"


_REACTION_ROUTE = "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
