"""Test doubles of the core's ports that are not worth a real service: a chat platform in memory and a
clock that does not sleep. Storage in tests is always a real database; ``store`` and ``posted`` put a test's
issues into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.model import Channel, Issue, Item, Platform, PostedMessage, Section, Suggestion, Supporter
from bot.ports import PlatformError, Reaction, SavedIssue, UnitOfWorkFactory
from bot.posting.messages import OutgoingMessage
from bot.posting.poster import Poster

CHANNEL = Channel(name="news", platform=Platform.SLACK, id="C1")


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)


@dataclass
class SentMessage:
    channel: Channel
    message: OutgoingMessage
    thread: PostedMessage | None
    delivery_key: str
    posted: PostedMessage


@dataclass
class FakePlatform:
    """A chat platform in memory. ``fail_after_accept`` steps land but raise, like a lost response."""

    platform: Platform = Platform.SLACK
    sent: list[SentMessage] = field(default_factory=list)
    reactions: dict[str, list[Reaction]] = field(default_factory=dict)
    fail_after_accept: set[int] = field(default_factory=set)  # 1-based send numbers
    fail_before_accept: set[int] = field(default_factory=set)
    permanent_failure_at: int | None = None
    crash_at: int | None = None  # raise KeyboardInterrupt-like BaseException to simulate a killed process
    calls: int = 0
    # Edits, in order: (message id, what it shows now). ``shown`` is what each message shows at the end.
    edits: list[tuple[str, OutgoingMessage]] = field(default_factory=list)
    crash_after_accept: int | None = None  # the call lands, then the process dies before it is journaled

    async def send(
        self, channel: Channel, message: OutgoingMessage, *, thread: PostedMessage | None, delivery_key: str
    ) -> PostedMessage:
        self.calls += 1
        if self.crash_at == self.calls:
            raise ProcessKilled
        if self.permanent_failure_at == self.calls:
            raise PlatformError("channel_not_found", permanent=True)
        if self.calls in self.fail_before_accept:
            raise PlatformError("temporary failure before accept")
        message_id = f"m{len(self.sent) + 1}"
        is_section = type(message).__name__ == "SectionMessage"
        posted = PostedMessage(message_id, thread_id=message_id if is_section else None)
        self.sent.append(SentMessage(channel, message, thread, delivery_key, posted))
        if self.crash_after_accept == self.calls:
            raise ProcessKilled
        if self.calls in self.fail_after_accept:
            raise PlatformError("connection reset after the platform accepted the message")
        return posted

    async def find_sent(
        self, channel: Channel, delivery_key: str, *, thread: PostedMessage | None
    ) -> PostedMessage | None:
        for sent in self.sent:
            if sent.delivery_key == delivery_key:
                return sent.posted
        return None

    async def read_reactions(self, channel: Channel, message_id: str) -> Sequence[Reaction]:
        return self.reactions.get(message_id, [])

    async def edit(
        self, channel: Channel, posted: PostedMessage, message: OutgoingMessage, *, delivery_key: str
    ) -> None:
        self.calls += 1
        if self.crash_at == self.calls:
            raise ProcessKilled
        if self.calls in self.fail_before_accept:
            raise PlatformError("temporary failure before accept")
        assert any(s.posted.message_id == posted.message_id for s in self.sent), "edit of an unsent message"
        self.edits.append((posted.message_id, message))
        if self.crash_after_accept == self.calls:
            raise ProcessKilled

    def shown(self) -> dict[str, OutgoingMessage]:
        """What each message shows now: as sent, then as last edited."""
        shows = {s.posted.message_id: s.message for s in self.sent}
        shows.update(dict(self.edits))
        return shows

    def keys(self) -> list[str]:
        return [s.delivery_key for s in self.sent]


class ProcessKilled(BaseException):
    """Stands for the process dying mid-post: not an Exception, so nothing in the core catches it."""


def issue_of(
    title: str, number: int | None, *, sections: dict[str | None, list[Item]], **fields: Any
) -> Issue:
    """An issue of these sections (title, or None for the untitled lead, to its items, in order), renumbered
    as a reader leaves it; ``fields`` are the rest of the issue's own (``subtitle``, ``intro``, …)."""
    issue = Issue(
        title=title,
        number=number,
        sections=[Section(section, items=items) for section, items in sections.items()],
        **fields,
    )
    issue.renumber()
    return issue


def suggestion_of(url: str, user_id: str = "U1") -> Suggestion:
    """A Slack user's suggestion of ``url``, with no note, made at the fake clock's time."""
    at = FakeClock().now()
    return Suggestion(
        url=url, note=None, submitted_by=Supporter(Platform.SLACK, user_id, at=at), created_at=at
    )


def small_issue(number: int = 7) -> Issue:
    return issue_of(
        f"Test Weekly #{number}",
        number,
        subtitle="A subtitle",
        intro="Hello readers.",
        sections={
            None: [
                Item("Lead story", "https://example.com/lead", "The lead."),
                Item("Sponsor", "https://sponsor.example/x", "Buy things.", sponsored=True),
            ],
            "Papers": [
                Item("Paper one", "https://arxiv.org/abs/1", "Abstract one."),
                Item("Paper two", "https://arxiv.org/abs/2", "Abstract two.\n\nSecond paragraph."),
                Item("Paper three", None, "No link."),
            ],
        },
    )


async def store(
    uow_factory: UnitOfWorkFactory, issue: Issue, *more: Issue, now: datetime | None = None
) -> SavedIssue:
    """Save the issues in one unit of work (at ``now``, the fake clock's start by default) and commit;
    what saving the last one reported."""
    async with uow_factory() as uow:
        for each in (issue, *more):
            saved = await uow.issues.save(each, now=now or FakeClock().now())
        await uow.commit()
    return saved


async def posted(uow_factory: UnitOfWorkFactory, channel: Channel = CHANNEL) -> FakePlatform:
    """The small issue (#7) stored and posted to ``channel``; the platform holding its messages."""
    await store(uow_factory, small_issue())
    platform = FakePlatform()
    await Poster(uow_factory, platform, FakeClock()).post(7, channel)
    return platform
