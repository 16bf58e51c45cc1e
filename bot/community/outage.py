"""Reactions kept through a database outage: nothing a platform was told we received is lost.

A batch of reactions the database could not take (:class:`bot.ports.StorageUnavailable`, or a
:class:`bot.ports.StorageConflict` that outlived its retry) is handed to the :class:`OutageKeeper`. It
holds them in memory and retries with exponential backoff (capped); if the outage lasts, it spills them
to a durable local :class:`Spool` (fsync'd, bounded), which survives a crash and is replayed on start.
While anything is kept, newer reactions queue behind it, so each message's reactions are stored in the
order they arrived. Replaying is idempotent: the event log drops a Slack event stored before, and a vote
set by a later event is not undone by an earlier one (votes carry the platform time of their event).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.model import Platform, ReactionChange
from bot.ports import Clock, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

FIRST_DELAY = 0.2  # seconds before the first retry; doubled after each failure
MAX_DELAY = 2.0  # the longest wait between two retries: the outage ends at most this long before we see it
SPILL_AFTER = 2.0  # seconds of outage after which held reactions go to the spool
MAX_HELD = 100_000  # reactions held in memory when the spool is full (or there is none)
STORE_BATCH = 200  # reactions stored per transaction when the backlog drains


@dataclass(frozen=True, slots=True)
class KeptReaction(ReactionChange):
    """What storing a reaction needs: the event, its normalised emoji and the time it counts from."""

    at: datetime
    event_id: str | None = None

    def encode(self) -> str:
        return json.dumps(
            [
                self.platform.value,
                self.channel_id,
                self.message_id,
                self.user_id,
                self.emoji,
                self.added,
                self.at.isoformat(),
                self.event_id,
            ],
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> KeptReaction:
        platform, channel, message, user, emoji, added, at, event_id = json.loads(text)
        return cls(
            Platform(platform),
            channel,
            message,
            user,
            emoji,
            bool(added),
            datetime.fromisoformat(at),
            event_id,
        )


class Spool(Protocol):
    """A durable, bounded queue of encoded reactions (``storage.spool.FileSpool``)."""

    @property
    def count(self) -> int: ...

    async def open(self) -> int:
        """Read what a previous run left; how many records wait."""
        ...

    async def append(self, records: Sequence[str]) -> bool:
        """Store after the others, durably; False (nothing stored) when they do not fit."""
        ...

    async def peek(self, limit: int) -> list[tuple[int, str]]: ...

    async def remove_through(self, sequence: int) -> None: ...


Store = Callable[[Sequence[KeptReaction]], Awaitable[object]]


class OutageKeeper:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        spool: Spool | None = None,
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        spill_after: float = SPILL_AFTER,
        max_held: int = MAX_HELD,
        lanes: int = 1,
    ) -> None:
        self._store = store
        self._clock = clock
        self._spool = spool
        self._first_delay, self._max_delay = first_delay, max_delay
        self._spill_after, self._max_held = spill_after, max_held
        self._lanes = max(1, lanes)  # transactions at once while the backlog drains
        self._held: collections.deque[KeptReaction] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0
        self._attempts = 0
        self._spool_full_logged = False
        self.since: datetime | None = None  # when the current outage began
        self.unreachable = False  # the last attempt found the database unreachable
        self.spool_refusals = 0  # spills the full spool refused (a metric)
        self.dropped = 0  # reactions lost: memory and spool both full, or the database refused them

    @property
    def active(self) -> bool:
        """Reactions are kept: new ones go behind them."""
        return self._task is not None

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def spooled(self) -> int:
        return self._spool.count if self._spool is not None else 0

    @property
    def pending(self) -> int:
        """Reactions received and kept, not yet stored."""
        return self.held + self.spooled

    @property
    def outage_seconds(self) -> float:
        return round(time.monotonic() - self._started, 1) if self.active else 0.0

    async def resume(self) -> None:
        """Replay what a previous run spooled (it crashed or stopped during an outage)."""
        if self._spool is None:
            return
        try:
            waiting = await self._spool.open()
        except OSError as error:
            log.error("the vote spool cannot be read (%s): its reactions are not replayed", error)
            return
        if waiting:
            log.warning("replaying %d reactions spooled before the restart", waiting)
            self._begin(None)

    def keep(self, reactions: Sequence[KeptReaction], error: Exception | None = None) -> None:
        room = self._max_held - len(self._held)
        if len(reactions) > room:
            self.dropped += len(reactions) - max(room, 0)
            log.error("lost %d reactions: the spool and memory are full", len(reactions) - max(room, 0))
            reactions = reactions[: max(room, 0)]
        self._held.extend(reactions)
        if self._task is None:
            self._begin(error)

    def _begin(self, error: Exception | None) -> None:
        self.since, self._started = self._clock.now(), time.monotonic()
        self._attempts, self._spool_full_logged = 0, False
        if error is not None:
            self.unreachable = isinstance(error, StorageUnavailable)
            log.warning(
                "database %s (%s): keeping reactions and retrying; they are stored once it is back",
                "unreachable" if self.unreachable else "refused a batch",
                error,
            )
        self._task = asyncio.get_running_loop().create_task(self._recover(), name="votes-outage")

    async def _recover(self) -> None:
        delay, stored, spooled = self._first_delay, 0, self.spooled
        while True:
            waited = time.monotonic() - self._started
            # Held reactions are newer than spooled ones and are stored after them: they need the spool
            # only while the database stays away.
            if self._held and self._spool is not None and self.unreachable and waited >= self._spill_after:
                try:
                    spooled += await self._spill()
                except OSError as error:  # the spool's disk: memory keeps holding them
                    self._spool_trouble(error)
            try:
                batch, through = await self._next_batch()
            except OSError as error:
                self._spool_trouble(error)
                await self._clock.sleep(self._max_delay)
                continue
            if not batch and through is None:
                break
            try:
                await self._store_batch(batch)
            except StorageError as error:
                self.unreachable = isinstance(error, StorageUnavailable)
                self._attempts += 1
                await self._clock.sleep(delay)
                delay = min(delay * 2, self._max_delay)
                continue
            self.unreachable, delay = False, self._first_delay
            stored += len(batch)
            await self._forget(batch, through)
        # No await from the emptiness check to here: a reaction kept meanwhile would wait for nobody.
        self._task, self.since = None, None
        log.warning(
            "database back after %.1f s: stored %d kept reactions (%d went through the spool) after %d "
            "failed attempts",
            time.monotonic() - self._started,
            stored,
            spooled,
            self._attempts,
        )

    async def _store_batch(self, batch: list[KeptReaction]) -> None:
        """Store a batch in up to ``lanes`` transactions at once, each message's reactions in one of them
        in order (as the vote lanes do); a batch retried after a partial failure counts nothing twice."""
        lanes: dict[int, list[KeptReaction]] = collections.defaultdict(list)
        for reaction in batch:
            message = (reaction.platform, reaction.channel_id, reaction.message_id)
            lanes[hash(message) % self._lanes].append(reaction)
        results = await asyncio.gather(
            *(self._store(lane) for lane in lanes.values()), return_exceptions=True
        )
        errors = [error for error in results if isinstance(error, BaseException)]
        if not errors:
            return
        for error in errors:
            if isinstance(error, StorageError) or not isinstance(error, Exception):
                raise error  # the database went away again (or we are being stopped): retry it all later
        for reaction in batch:  # not the database being away: find the reaction it refuses, keep the others
            try:
                await self._store([reaction])
            except StorageError:
                raise
            except Exception as error:
                self.dropped += 1
                log.error("could not store a kept %s reaction: %s", reaction.platform.value, error)

    async def _next_batch(self) -> tuple[list[KeptReaction], int | None]:
        """The oldest kept reactions: from the spool first (older), then memory. ``through`` is the last
        spool record read (None: the batch is from memory)."""
        if self._spool is not None and self._spool.count:
            rows = await self._spool.peek(STORE_BATCH)
            if rows:
                batch = []
                for _, record in rows:
                    try:
                        batch.append(KeptReaction.decode(record))
                    except (ValueError, TypeError) as error:
                        self.dropped += 1
                        log.error("skipped an unreadable spool record: %s", error)
                return batch, rows[-1][0]
        return [self._held[n] for n in range(min(STORE_BATCH, len(self._held)))], None

    async def _forget(self, batch: list[KeptReaction], through: int | None) -> None:
        if through is not None:
            assert self._spool is not None
            await self._spool.remove_through(through)
            return
        for _ in batch:
            self._held.popleft()

    def _spool_trouble(self, error: OSError) -> None:
        if not self._spool_full_logged:
            self._spool_full_logged = True
            log.error("the vote spool cannot be used (%s): holding reactions in memory", error)

    async def _spill(self) -> int:
        """Move what memory holds to the spool, in order; how many went."""
        assert self._spool is not None
        count = len(self._held)
        records = [self._held[n].encode() for n in range(count)]
        if not await self._spool.append(records):
            self.spool_refusals += 1
            if not self._spool_full_logged:
                self._spool_full_logged = True
                log.error("the vote spool is full: holding %d reactions in memory until it drains", count)
            return 0
        for _ in range(count):  # reactions kept during the append stay behind these
            self._held.popleft()
        return count

    async def aclose(self) -> None:
        """Stop retrying; what memory holds goes to the spool, to be replayed on the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._held and self._spool is not None:
            try:
                await self._spill()
            except OSError as error:
                self._spool_trouble(error)
        if self._held:
            self.dropped += len(self._held)
            log.error("stopped with %d reactions not stored and nowhere to keep them", len(self._held))
            self._held.clear()
