"""The platform-neutral domain model: what an issue is, what was posted where, and what readers said.

Plain dataclasses with no I/O: the parsers produce them, storage persists them, adapters render them.
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

DEFAULT_NEWSLETTER = "default"
"""The newsletter of a config without ``newsletters:``, and of every issue stored before there were
several."""


@dataclass(frozen=True, slots=True)
class Newsletter:
    """A weekly the bot follows. Issues are numbered per newsletter: an issue is (newsletter id, number)."""

    id: str = DEFAULT_NEWSLETTER
    name: str = ""
    emoji: str | None = None  # the vote emoji of its items, when not the bot's default

    @property
    def title(self) -> str:
        return self.name or self.id


def issue_label(newsletter: str, number: int | None) -> str:
    """How people see an issue: ``#195``, or ``dlw #195`` for a newsletter other than the default one."""
    label = f"#{number}" if number is not None else "(no number)"
    return label if newsletter == DEFAULT_NEWSLETTER else f"{newsletter} {label}"


class Platform(enum.StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    CONSOLE = "console"


def _normalise_for_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def item_key(title: str, url: str | None) -> str:
    """A key that survives re-ingestion: the link when the item has one, else its normalised title.

    Typos fixed in a blurb keep the key (and so the votes); a different link or title is a different item.
    """
    basis = f"url:{url.strip()}" if url else f"title:{_normalise_for_key(title)}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def title_identity(title: str) -> str:
    """A title as compared for identity: case, punctuation and spacing aside."""
    return _normalise_for_key(title)


@dataclass(slots=True)
class Item:
    title: str
    url: str | None = None
    blurb: str = ""
    sponsored: bool = False
    position: int = 0
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = item_key(self.title, self.url)


@dataclass(slots=True)
class Section:
    title: str | None
    position: int = 0
    items: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Issue:
    title: str
    number: int | None = None
    subtitle: str | None = None
    intro: str | None = None
    published_on: date | None = None
    source: str | None = None
    sections: list[Section] = field(default_factory=list)
    newsletter_id: str = DEFAULT_NEWSLETTER

    def renumber(self) -> None:
        """Set positions from the order, drop empty sections, and make item keys unique in the issue.

        A newsletter may list the same link twice (an event under two regions); the second one gets a
        suffixed key so that each message can be voted on separately.
        """
        self.sections = [s for s in self.sections if s.items]
        seen: set[str] = set()
        for s_pos, section in enumerate(self.sections):
            section.position = s_pos
            for i_pos, item in enumerate(section.items):
                item.position = i_pos
                base, n = item.key, 1
                while item.key in seen:
                    n += 1
                    item.key = f"{base}-{n}"
                seen.add(item.key)

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def item_by_key(self, key: str) -> Item | None:
        return next((item for item in self.items if item.key == key), None)


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    """What part of each issue a channel gets (applied by :mod:`bot.posting.filters`)."""

    include_sections: tuple[str, ...] = ()
    exclude_sections: tuple[str, ...] = ()
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    sponsored: bool = True

    @property
    def takes_everything(self) -> bool:
        return self == ChannelFilter()


@dataclass(frozen=True, slots=True)
class Channel:
    """A configured destination: a name people use on the command line, and where it is on its platform."""

    name: str
    platform: Platform
    id: str
    guild_id: str | None = None  # Slack team id or Discord guild id, where known
    # Not part of the channel's identity: a delivery read back from storage is the same channel.
    filter: ChannelFilter = field(default=ChannelFilter(), compare=False)


class MessageKind(enum.StrEnum):
    HEADER = "header"
    SECTION = "section"
    ITEM = "item"


@dataclass(frozen=True, slots=True)
class DeliveryStep:
    """One message of a post, named so that a resumed post can tell what it already sent."""

    kind: MessageKind
    section_position: int | None = None
    item_key: str | None = None

    @property
    def key(self) -> str:
        if self.kind is MessageKind.HEADER:
            return "header"
        if self.kind is MessageKind.SECTION:
            return f"section:{self.section_position}"
        return f"item:{self.section_position}:{self.item_key}"


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """Where a message landed: its platform id, and the thread its replies go to (if it opened one)."""

    message_id: str
    thread_id: str | None = None


@dataclass(slots=True)
class DeliveredMessage:
    """A row of the delivery journal: the step, and once the platform accepted it, where it landed."""

    step: DeliveryStep
    posted: PostedMessage | None = None
    attempts: int = 0
    # What the message shows (see bot.posting.messages.fingerprint); None on rows journaled before
    # corrections existed, which are taken to show the issue as stored.
    fingerprint: str | None = None
    # An edit to this fingerprint was sent but not confirmed: the next post sends it again.
    edit_pending: str | None = None


class DeliveryState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(slots=True)
class Delivery:
    """What of one issue was posted to one channel."""

    issue_number: int
    channel: Channel
    state: DeliveryState = DeliveryState.IN_PROGRESS
    messages: dict[str, DeliveredMessage] = field(default_factory=dict)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    edited_at: datetime | None = None  # when a corrected version of the issue was last applied
    newsletter_id: str = DEFAULT_NEWSLETTER

    def posted(self, step: DeliveryStep) -> PostedMessage | None:
        entry = self.messages.get(step.key)
        return entry.posted if entry else None


@dataclass(frozen=True, slots=True)
class Voter:
    platform: Platform
    user_id: str
    workspace_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReactionChange:
    """One user's emoji reaction added to (``added``) or taken off a message. (What a message's reactions
    are now, per emoji, is ``bot.ports.Reaction``.)"""

    platform: Platform
    channel_id: str
    message_id: str
    user_id: str
    emoji: str
    added: bool


@dataclass(frozen=True, slots=True)
class Vote:
    issue_number: int
    item_key: str
    platform: Platform
    user_id: str
    emoji: str
    channel_id: str = ""
    newsletter_id: str = DEFAULT_NEWSLETTER


class SuggestionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FEATURED = "featured"


@dataclass(frozen=True, slots=True)
class Decision:
    """An admin's verdict on a suggestion: approved or rejected, by whom ("platform:user"), when, and
    (when given) the section of the draft it goes under."""

    status: SuggestionStatus
    by: str
    at: datetime
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a chat platform, and where they were: the workspace (Slack team, Discord guild) and the
    channel."""

    platform: Platform
    user_id: str
    workspace_id: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class Supporter(Person):
    """Someone who suggested a link or seconded it, and when."""

    at: datetime | None = None


@dataclass(slots=True)
class Suggestion:
    url: str
    note: str | None
    submitted_by: Supporter
    status: SuggestionStatus = SuggestionStatus.PENDING
    supporters: list[Supporter] = field(default_factory=list)
    title: str | None = None
    section: str | None = None
    featured_in: int | None = None
    created_at: datetime | None = None
    id: int | None = None
    decided_by: str | None = None  # the admin who approved or rejected it
    decided_at: datetime | None = None
    newsletter_id: str = DEFAULT_NEWSLETTER
