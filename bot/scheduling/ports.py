"""What the scheduler stores: scheduled runs, delivery claims with leases, and what sources last showed.

Implemented by ``storage.repositories.scheduling.SqlSchedulingRepository`` (``uow.scheduling``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.model import DEFAULT_NEWSLETTER, Channel, Platform


class RunState(enum.StrEnum):
    PENDING = "pending"  # due; waiting to be claimed (or claimed, while its lease runs)
    DONE = "done"  # the issue is posted to the channel (or was already)
    NOTHING = "nothing"  # no issue to post
    SKIPPED = "skipped"  # missed by more than the grace period
    FAILED = "failed"  # a permanent failure (or retries exhausted): see ``error``


@dataclass(frozen=True, slots=True)
class ScheduledRun:
    id: int
    channel_name: str
    platform: Platform
    channel_id: str
    due_at: datetime
    state: RunState
    issue_number: int | None = None
    newsletter_id: str = DEFAULT_NEWSLETTER
    claimed_by: str | None = None
    lease_until: datetime | None = None
    attempts: int = 0
    finished_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryClaim:
    owner: str
    lease_until: datetime


@dataclass(slots=True)
class SourceState:
    source: str
    etag: str | None = None
    last_modified: str | None = None
    seen: str | None = None
    checked_at: datetime | None = None


class SchedulingRepository(Protocol):
    async def ensure_run(
        self,
        channel: Channel,
        due_at: datetime,
        *,
        state: RunState,
        now: datetime,
        error: str | None = None,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> bool:
        """Create the run of this channel's slot for this newsletter unless it exists (race-safe); True
        when created."""
        ...

    async def claim_runs(
        self, owner: str, *, now: datetime, lease_until: datetime, limit: int = 100
    ) -> list[ScheduledRun]:
        """Claim pending runs nobody holds (or whose lease expired): rows other replicas are claiming
        at the same moment are skipped, never waited for."""
        ...

    async def renew_run(self, run_id: int, owner: str, *, lease_until: datetime) -> bool:
        """Extend the lease; False when ``owner`` no longer holds the run."""
        ...

    async def finish_run(
        self,
        run_id: int,
        owner: str,
        state: RunState,
        *,
        now: datetime,
        issue_number: int | None = None,
        error: str | None = None,
    ) -> bool: ...

    async def release_run(
        self, run_id: int, owner: str, *, retry_at: datetime, error: str | None = None
    ) -> bool:
        """Give the run back (still pending), not to be claimed again before ``retry_at``."""
        ...

    async def runs(self, *, limit: int = 500) -> list[ScheduledRun]:
        """Runs, newest slot first."""
        ...

    async def claim_delivery(
        self,
        issue_number: int,
        channel: Channel,
        owner: str,
        *,
        now: datetime,
        lease_until: datetime,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> DeliveryClaim:
        """Take (or extend) the claim on posting this issue to this channel, unless another owner holds
        an unexpired lease; returns the claim as it now stands (compare its owner)."""
        ...

    async def release_delivery(
        self, issue_number: int, channel: Channel, owner: str, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> None: ...

    async def source_state(self, source: str) -> SourceState | None: ...

    async def save_source_state(self, state: SourceState) -> None: ...

    async def totals(self) -> dict[str, int]:
        """Counts for metrics: active votes, suggestions, complete and failed deliveries."""
        ...
