"""What a reader made of a document: per block what it became and why, and how much was left out.

The shaper fills a :class:`ParseReport` while it reads; ``digestbot parse`` prints its summary line (and
``--explain`` its notes), and ``ingest`` asks for ``--yes`` when :attr:`ParseReport.warning` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The summary warns when at least this many links went into nothing, and they are at least this share
# of the items found: a newsletter whose items were read leaves out a few calls to action, not dozens.
WARN_MIN_LINKS = 5
WARN_LINK_SHARE = 0.25

BECAME = ("title", "section", "item", "items", "blurb", "intro", "aside", "ignored")


@dataclass(slots=True)
class BlockNote:
    """One top-level block: where it is, what it looks like, what it became and why."""

    line: int | None
    kind: str
    excerpt: str
    became: str
    why: str
    links: int = 0

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else "block"
        return f"{where:>10}  {self.kind:<9} → {self.became:<7} {self.why}: {self.excerpt}"


@dataclass(slots=True)
class ParseReport:
    notes: list[BlockNote] = field(default_factory=list)
    sections: int = 0
    items: int = 0
    text_chars: int = 0
    item_chars: int = 0
    format: str = ""

    def note(
        self, line: int | None, kind: str, excerpt: str, became: str, why: str, *, links: int = 0
    ) -> None:
        excerpt = " ".join(excerpt.split())
        if len(excerpt) > 70:
            excerpt = excerpt[:69] + "…"
        self.notes.append(BlockNote(line, kind, excerpt, became, why, links))

    @property
    def links_left_out(self) -> int:
        """Links in blocks that became nothing (not an item, a blurb, the intro or a known aside)."""
        return sum(n.links for n in self.notes if n.became == "ignored")

    @property
    def share_outside_items(self) -> float:
        """The share of the document's text that is in no item's title or blurb (the intro included)."""
        if self.text_chars <= 0:
            return 0.0
        return max(0.0, min(1.0, 1 - self.item_chars / self.text_chars))

    @property
    def warning(self) -> str | None:
        left = self.links_left_out
        if self.items == 0:
            return "no items were found; see --explain"
        if left >= WARN_MIN_LINKS and left >= WARN_LINK_SHARE * self.items:
            return f"{left} links were not read as items; see --explain"
        return None

    def summary(self) -> str:
        sections = f"{self.sections} section{'s' if self.sections != 1 else ''}"
        items = f"{self.items} item{'s' if self.items != 1 else ''}"
        left = self.links_left_out
        line = (
            f"{sections}, {items}, {left} link{'s' if left != 1 else ''} left out, "
            f"{self.share_outside_items:.0%} of the text in no item"
        )
        return f"{line} (warning: {self.warning})" if self.warning else line

    def explain(self) -> list[str]:
        return [note.describe() for note in self.notes]

    def merge(self, other: ParseReport) -> None:
        """Add another issue's figures (a feed's entries) into this report."""
        self.notes.extend(other.notes)
        self.sections += other.sections
        self.items += other.items
        self.text_chars += other.text_chars
        self.item_chars += other.item_chars
