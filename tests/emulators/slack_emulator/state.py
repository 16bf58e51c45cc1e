"""Setting the emulated workspace up, looking into it, and injecting faults."""

from __future__ import annotations

import math
import time
from typing import Any

from tests.emulators.slack_emulator.limits import SlackEmulatorError, _ApiError, _Fault, _TokenBucket
from tests.emulators.slack_emulator.records import Channel, CommandResponse, StoredMessage, User


class StateMixin:
    """Channels, users and tokens set up by a test; inspection; faults."""

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

    def add_channel(self, name: str, *, is_private: bool = False, team: str | None = None) -> str:
        """Create a channel (in ``team``, else the first workspace) and return its id (``C…``). Names
        are unique in a workspace."""
        name = name.lstrip("#")
        team = team or self.team_id
        if team not in self.teams:
            raise SlackEmulatorError(f"unknown team {team}")
        if any(c.name == name and self.team_of_channel(c.id) == team for c in self.channels.values()):
            raise SlackEmulatorError(f"channel {name!r} exists")
        cid = self._new_id("G" if is_private else "C")
        self.channels[cid] = Channel(cid, name, is_private, team=team)
        self._messages[cid] = []
        return cid

    def channel_id(self, name: str) -> str:
        for c in self.channels.values():
            if c.name == name.lstrip("#"):
                return c.id
        raise SlackEmulatorError(f"no channel named {name!r}")

    def add_user(
        self,
        name: str,
        *,
        real_name: str | None = None,
        is_bot: bool = False,
        team: str | None = None,
        user_id: str | None = None,
    ) -> str:
        """A user of ``team`` (else the first workspace); ``user_id`` may repeat one of another workspace."""
        uid = user_id or self._new_id("U")
        self.users.setdefault(uid, User(uid, name, real_name or name, is_bot=is_bot))
        self.teams[team or self.team_id].users.add(uid)
        return uid

    def _resolve_channel(self, value: Any) -> str:
        if not value or not isinstance(value, str):
            raise _ApiError("channel_not_found")
        if value in self.channels and self._channel_in_current_team(value):
            return value
        for c in self.channels.values():
            if value.lstrip("#") == c.name and self._channel_in_current_team(c.id):
                return c.id
        raise _ApiError("channel_not_found")

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
