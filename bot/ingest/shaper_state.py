"""The shaper's state while it walks the blocks: the issue being built, the item being read, the intro."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ingest.blocks import Block
from bot.ingest.common import (
    Heading,
    IssueBuilder,
    PendingItem,
    is_boilerplate_link,
)
from bot.ingest.report import ParseReport
from bot.model import Item


@dataclass(slots=True)
class Pending:
    item: PendingItem
    strong: bool  # a numbered, heading or bold title: a list after it is part of its blurb


@dataclass
class ShaperState:
    blocks: list[Block]
    report: ParseReport
    builder: IssueBuilder = field(default_factory=IssueBuilder)
    intro: list[str] = field(default_factory=list)
    pending: Pending | None = None
    loose: list[str] = field(default_factory=list)  # prose since the last item, for an attribution
    aside: str | None = None
    aside_level: int = 0
    previous_text: str = ""
    intro_heading: str | None = None  # a section before the first item, whose prose goes to the intro
    labels: list[Heading] = field(default_factory=list)
    prose: bool = False
    feature: bool = False  # a "… of the week" section: its first sentence with a link names the item

    # ------------------------------------------------------------------------------------- helpers

    @property
    def items_seen(self) -> bool:
        return any(s.items for s in self.builder.sections) or self.pending is not None

    def note(self, block: Block, became: str, why: str, excerpt: str | None = None) -> None:
        links = len([t for t, _ in block.all_links() if not is_boilerplate_link(t)])
        if block.kind in ("paragraph", "quote") and not block.inline.is_link_only():
            links = min(links, 1)  # a sentence with links in it is at most one item left out
        text = excerpt if excerpt is not None else block.plain()
        self.report.note(block.line, block.kind, text, became, why, links=links)

    def add(self, item: Item | None) -> None:
        if item is None:
            return
        if self.aside == "sponsor":
            item.sponsored = True
        self.builder.add(item)

    def flush(self) -> None:
        if self.pending is not None:
            self.add(self.pending.item.item())
            self.pending = None
        self.loose = []

    def start(
        self, title: str, url: str | None, parts: list[str], byline: str | None, *, strong: bool
    ) -> None:
        self.flush()
        self.intro_heading = None
        self.feature = False
        self.pending = Pending(PendingItem(title, url, [p for p in parts if p], byline), strong)

    def to_intro(self, text: str) -> None:
        if self.intro_heading:
            self.intro.append(self.intro_heading)
            self.intro_heading = None
        self.intro.append(text)

    def section_level(self) -> int:
        stack = self.builder._stack
        return stack[-1].level if stack else 0
