"""Per-channel pacing, so that a post goes out at the platform's rate instead of into its 429s."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` sends a second on average, ``burst`` at once; ``acquire`` waits for a token."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> float:
        """Take a token, waiting as long as needed; returns the seconds waited."""
        waited = 0.0
        async with self._lock:
            self._refill()
            while self._tokens < 1:
                delay = (1 - self._tokens) / self.rate
                await asyncio.sleep(delay)
                waited += delay
                self._refill()
            self._tokens -= 1
        return waited

    def drain(self) -> None:
        """The platform said slow down (429): start again from an empty bucket."""
        self._refill()
        self._tokens = 0.0


class ChannelPacer:
    """One token bucket per channel, a little slower than the platform's own.

    Sent exactly at the platform's rate, a message that travels a few milliseconds faster than the one
    before it arrives before the platform's bucket has refilled, and the 429 costs a whole second of
    Retry-After; the margin keeps the bot just under the limit instead.
    """

    MARGIN = 0.05

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate * (1 - self.MARGIN)
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, channel_id: str) -> TokenBucket:
        if channel_id not in self._buckets:
            self._buckets[channel_id] = TokenBucket(self.rate, self.burst)
        return self._buckets[channel_id]


class SlidingWindowLimiter:
    """At most ``limit`` acquisitions in any ``window`` seconds: bursts up to the limit, never over it
    (unlike a token bucket, which lets up to twice the limit through around a window's edge)."""

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._times: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait for room in the window; returns the seconds waited."""
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                while self._times and self._times[0] <= now - self.window:
                    self._times.popleft()
                if len(self._times) < self.limit:
                    self._times.append(now)
                    return waited
                delay = self._times[0] + self.window - now
                await asyncio.sleep(delay)
                waited += delay
