"""What the core asks a chat platform to show, before any platform's formatting.

Adapters turn these into Block Kit, embeds or terminal text, each within its own platform's limits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.model import Issue, Item, Section


@dataclass(frozen=True, slots=True)
class HeaderMessage:
    issue_number: int
    title: str
    subtitle: str | None
    intro: str | None
    section_titles: tuple[str, ...]
    item_count: int
    source: str | None = None
    edited_at: datetime | None = None  # shown as "edited" once a corrected version was applied


@dataclass(frozen=True, slots=True)
class SectionMessage:
    issue_number: int
    title: str
    position: int
    item_count: int


@dataclass(frozen=True, slots=True)
class ItemMessage:
    issue_number: int
    section_title: str
    number: int  # 1-based, within the section
    title: str
    url: str | None
    blurb: str
    sponsored: bool
    key: str
    # The item is no longer in the corrected issue: its message stays (and its votes with it) but shows
    # only that it was removed.
    removed: bool = False


OutgoingMessage = HeaderMessage | SectionMessage | ItemMessage

LEAD_SECTION_TITLE = "Top stories"


def section_display_title(section: Section) -> str:
    return section.title or LEAD_SECTION_TITLE


def fingerprint(message: OutgoingMessage) -> str:
    """What a message shows, in 16 hex digits: when it changes, the posted message needs an edit."""
    return hashlib.sha256(repr(message).encode("utf-8")).hexdigest()[:16]


def removed_item_message(issue_number: int, key: str) -> ItemMessage:
    """The short line a removed item's message is edited to: the message (and the reactions on it) stay."""
    return ItemMessage(
        issue_number=issue_number,
        section_title="",
        number=0,
        title="",
        url=None,
        blurb="",
        sponsored=False,
        key=key,
        removed=True,
    )


def header_message(issue: Issue, *, edited_at: datetime | None = None) -> HeaderMessage:
    assert issue.number is not None
    return HeaderMessage(
        issue_number=issue.number,
        title=issue.title,
        subtitle=issue.subtitle,
        intro=issue.intro,
        section_titles=tuple(section_display_title(s) for s in issue.sections),
        item_count=len(issue.items),
        source=issue.source,
        edited_at=edited_at,
    )


def section_message(issue: Issue, section: Section) -> SectionMessage:
    assert issue.number is not None
    return SectionMessage(
        issue_number=issue.number,
        title=section_display_title(section),
        position=section.position,
        item_count=len(section.items),
    )


def item_message(issue: Issue, section: Section, item: Item) -> ItemMessage:
    assert issue.number is not None
    return ItemMessage(
        issue_number=issue.number,
        section_title=section_display_title(section),
        number=item.position + 1,
        title=item.title,
        url=item.url,
        blurb=item.blurb,
        sponsored=item.sponsored,
        key=item.key,
    )
