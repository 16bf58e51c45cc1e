"""The small interfaces through which the core reaches the outside world.

Adapters implement :class:`ChatPlatform`; ``storage`` implements :class:`UnitOfWork`; the composition root
(``adapters.bootstrap``) wires real or test parts together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Protocol, Self

from bot.model import (
    DEFAULT_NEWSLETTER,
    Channel,
    Decision,
    Delivery,
    DeliveryState,
    DeliveryStep,
    Issue,
    Platform,
    PostedMessage,
    Suggestion,
    SuggestionStatus,
    Supporter,
    Vote,
)
from bot.posting.messages import OutgoingMessage
from bot.scheduling.ports import SchedulingRepository
from bot.search import SearchIndex

# ---------------------------------------------------------------------------------------------- chat


@dataclass(frozen=True, slots=True)
class Reaction:
    """The users who reacted to one message with one emoji, as the platform reports it now."""

    emoji: str
    user_ids: tuple[str, ...]


class PlatformError(Exception):
    """A platform refused or failed a request. ``permanent`` errors will not go away by retrying."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChatPlatform(Protocol):
    """Post messages and threads to one chat platform, and read back reactions.

    ``send`` posts a header or section message at the top of ``channel`` (``thread`` is None) or an item
    message into the thread a section message opened. A section message's :class:`PostedMessage` carries
    the ``thread_id`` its items go to. ``delivery_key`` is unique per message of a post and stable across
    retries: adapters attach it to the message (Slack metadata, Discord nonce) so that ``find_sent`` can
    tell whether a message whose acknowledgement was lost did in fact land.
    """

    platform: Platform

    async def send(
        self, channel: Channel, message: OutgoingMessage, *, thread: PostedMessage | None, delivery_key: str
    ) -> PostedMessage: ...

    async def find_sent(
        self, channel: Channel, delivery_key: str, *, thread: PostedMessage | None
    ) -> PostedMessage | None: ...

    async def read_reactions(self, channel: Channel, message_id: str) -> Sequence[Reaction]: ...

    async def edit(
        self, channel: Channel, posted: PostedMessage, message: OutgoingMessage, *, delivery_key: str
    ) -> None:
        """Replace what a posted message shows (a corrected issue); the same content twice is harmless."""
        ...


# ---------------------------------------------------------------------------------------------- storage


class StorageError(Exception):
    """The database failed a unit of work; storage raises one of the two kinds below (or its own error)."""


class StorageUnavailable(StorageError):
    """The database cannot be reached now (connection refused or lost, server shutting down or starting):
    the same work may succeed once it is back, and nothing of the failed unit of work was stored."""


class StorageConflict(StorageError):
    """A concurrent transaction won (lock timeout, deadlock, serialisation failure, unique key): nothing
    was stored, and retrying the work may succeed at once."""


@dataclass(frozen=True, slots=True)
class IssueSummary:
    number: int
    title: str
    published_on: object | None
    section_count: int
    item_count: int
    ingested_at: datetime | None
    newsletter_id: str = DEFAULT_NEWSLETTER


@dataclass(frozen=True, slots=True)
class LocatedMessage:
    """What a platform message id stands for in the delivery journal."""

    issue_number: int
    channel: Channel
    step: DeliveryStep
    newsletter_id: str = DEFAULT_NEWSLETTER


@dataclass(frozen=True, slots=True)
class SavedIssue:
    number: int
    created: bool
    items_kept: int
    items_added: int
    items_removed: int
    newsletter_id: str = DEFAULT_NEWSLETTER


class IssueRepository(Protocol):
    async def get(self, number: int, *, newsletter: str = DEFAULT_NEWSLETTER) -> Issue | None: ...

    async def save(self, issue: Issue, *, now: datetime) -> SavedIssue:
        """Insert the issue, or update it in place: items matched by key keep their votes."""
        ...

    async def summaries(self, *, newsletter: str | None = None) -> list[IssueSummary]:
        """Every stored issue, or those of one newsletter."""
        ...

    async def latest_number(self, *, newsletter: str = DEFAULT_NEWSLETTER) -> int | None: ...

    async def number_featuring(
        self, canonical_url: str, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> int | None:
        """The earliest issue that has an item linking to ``canonical_url``."""
        ...


class DeliveryRepository(Protocol):
    async def get(
        self, issue_number: int, channel: Channel, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> Delivery | None: ...

    async def begin(
        self, issue_number: int, channel: Channel, *, now: datetime, newsletter: str = DEFAULT_NEWSLETTER
    ) -> Delivery:
        """The delivery of this issue to this channel, created in progress if there is none yet."""
        ...

    async def record_attempt(self, delivery: Delivery, step: DeliveryStep) -> None:
        """Journal that ``step`` is about to be sent (before the platform call)."""
        ...

    async def record_posted(
        self,
        delivery: Delivery,
        step: DeliveryStep,
        posted: PostedMessage,
        *,
        fingerprint: str | None = None,
    ) -> None:
        """Journal where ``step`` landed (after the platform accepted it) and what it shows."""
        ...

    async def record_edit(
        self, delivery: Delivery, step: DeliveryStep, fingerprint: str, *, confirmed: bool
    ) -> None:
        """Journal an edit of a posted step: before it is sent, then once the platform accepted it."""
        ...

    async def mark_edited(self, delivery: Delivery, *, at: datetime) -> None:
        """Record when a corrected version of the issue was applied to this delivery."""
        ...

    async def finish(
        self, delivery: Delivery, state: DeliveryState, *, now: datetime, error: str | None = None
    ) -> None: ...

    async def locate(self, platform: Platform, channel_id: str, message_id: str) -> LocatedMessage | None: ...

    async def item_messages(
        self, platform: Platform, *, since: datetime | None = None
    ) -> list[tuple[LocatedMessage, str]]:
        """Item messages posted on ``platform`` (with their message ids), newest deliveries first."""
        ...

    async def all(self) -> list[Delivery]: ...


@dataclass(frozen=True, slots=True)
class VoteCount:
    """How many votes with one emoji on one platform count now for one item."""

    issue_number: int
    item_key: str
    platform: Platform
    emoji: str
    count: int
    newsletter_id: str = DEFAULT_NEWSLETTER


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteTotal(VoteCount):
    """A :class:`VoteCount` with what a leaderboard shows of its item (all issues at once)."""

    title: str
    url: str | None
    sponsored: bool
    section: str | None
    section_position: int
    position: int


class VoteRepository(Protocol):
    """Votes as of the platform time of the reaction event that set them (``at``, default ``now``).

    A later event always wins, whatever order the events are processed in: an add and a remove of the
    same reaction handled concurrently or out of order end in the state of the later one.
    """

    async def add(self, vote: Vote, *, now: datetime, at: datetime | None = None) -> bool:
        """Count the vote; False when it already counted (or a later removal decided otherwise)."""
        ...

    async def remove(self, vote: Vote, *, now: datetime | None = None, at: datetime | None = None) -> bool:
        """Withdraw the vote; False when it did not count."""
        ...

    async def for_issue(self, issue_number: int, *, newsletter: str = DEFAULT_NEWSLETTER) -> list[Vote]: ...

    async def for_item(
        self, issue_number: int, item_key: str, platform: Platform, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> list[Vote]: ...

    async def counts(self, issue_number: int, *, newsletter: str = DEFAULT_NEWSLETTER) -> list[VoteCount]:
        """The votes counting now, grouped by item, platform and emoji (kept up to date on every change)."""
        ...

    async def totals(self, *, since: date | None = None, newsletter: str | None = None) -> list[VoteTotal]:
        """Vote counts of every voted item of the issues published (or ingested) since ``since`` (of one
        newsletter when given)."""
        ...


class EventLog(Protocol):
    async def first_time(self, source: str, event_id: str, *, now: datetime) -> bool:
        """Record a platform event id; False when it was seen before (a redelivery)."""
        ...


class SuggestionRepository(Protocol):
    async def by_url(
        self, canonical_url: str, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> Suggestion | None: ...

    async def get(self, suggestion_id: int) -> Suggestion | None: ...

    async def add(self, suggestion: Suggestion) -> Suggestion: ...

    async def add_supporter(self, suggestion_id: int, supporter: Supporter) -> bool:
        """False when that user already supports it."""
        ...

    async def list(
        self, status: SuggestionStatus | None = None, *, newsletter: str | None = None
    ) -> list[Suggestion]: ...

    async def set_status(
        self, suggestion_id: int, status: SuggestionStatus, *, featured_in: int | None = None
    ) -> None: ...

    async def decide(self, suggestion_id: int, decision: Decision) -> bool:
        """Approve or reject a pending (or re-decide an approved/rejected) suggestion; False when it is
        featured already or unknown."""
        ...

    async def set_title(self, suggestion_id: int, title: str) -> None: ...

    async def set_section(self, suggestion_id: int, section: str | None) -> None: ...

    async def serialise_user(self, platform: Platform, user_id: str) -> None:
        """Hold this user's suggestions until the transaction ends, so that a quota counted in it holds
        until the insert (PostgreSQL: an advisory lock; SQLite transactions write one at a time)."""
        ...

    async def supported_since(self, platform: Platform, user_id: str, since: datetime) -> int:
        """How many suggestions the user submitted or supported since ``since`` (the daily quota)."""
        ...


@dataclass(frozen=True, slots=True)
class ResultsSlot:
    """Where one weekly-results message goes: one channel, ahead of one issue of one newsletter."""

    platform: Platform
    channel_id: str
    issue_number: int
    newsletter: str = DEFAULT_NEWSLETTER


class ResultsRepository(Protocol):
    """The weekly-results message of each channel and issue, sent at most once."""

    async def claim(self, slot: ResultsSlot, results_of: int, *, now: datetime) -> bool:
        """True for the first claim of ``slot``; False when it was claimed (sent) before."""
        ...

    async def record(self, slot: ResultsSlot, message_id: str) -> None: ...

    async def release(self, slot: ResultsSlot) -> None:
        """Forget a claim whose message could not be sent, so that a later post tries again."""
        ...


class UnitOfWork(Protocol):
    """One atomic piece of work: nothing is stored unless ``commit`` is awaited before the block ends."""

    issues: IssueRepository
    deliveries: DeliveryRepository
    votes: VoteRepository
    events: EventLog
    suggestions: SuggestionRepository
    scheduling: SchedulingRepository
    results: ResultsRepository
    search: SearchIndex

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# ---------------------------------------------------------------------------------------------- time


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)
