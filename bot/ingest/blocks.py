"""The format-neutral shape of a document: the blocks the Markdown and HTML readers hand to the shaper.

A Markdown syntax tree and an HTML DOM both become a flat list of :class:`Block` (headings, paragraphs,
lists, quotes, tables, rules, code), each paragraph or heading holding its inline text as :class:`Span`
runs that remember which link and whether bold text they belong to. The shaper (``bot.ingest.shape``) then
finds sections and items in that list without knowing which format it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.ingest.common import has_word, usable_href

# A bare URL in running text ("https://…" not written as a link); it stops at spaces, brackets, quotes and
# CJK punctuation, so "见 https://a.example/x。" gives "https://a.example/x".
BARE_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`（）【】「」『』《》，。；：！？、\u3000]+")
_TRAILING_URL_PUNCT = ".,;:!?"


@dataclass(slots=True)
class Span:
    text: str
    link: int | None = None  # index of the link (in Inline.hrefs) this text is inside
    strong: bool = False
    newline: bool = False


@dataclass(slots=True)
class Inline:
    """The inline content of a paragraph or heading."""

    spans: list[Span] = field(default_factory=list)
    hrefs: list[str | None] = field(default_factory=list)
    images: int = 0
    _text: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    # -------------------------------------------------------------------------------------- building

    def add_text(self, text: str, *, link: int | None = None, strong: bool = False) -> None:
        if not text:
            return
        if link is not None:
            self.spans.append(Span(text, link, strong))
            return
        start = 0
        for match in BARE_URL.finditer(text):
            url = match.group(0).rstrip(_TRAILING_URL_PUNCT)
            end = match.start() + len(url)
            if match.start() > start:
                self.spans.append(Span(text[start : match.start()], None, strong))
            self.hrefs.append(usable_href(url))
            self.spans.append(Span(url, len(self.hrefs) - 1, strong))
            start = end
        if start < len(text):
            self.spans.append(Span(text[start:], None, strong))

    def open_link(self, href: object) -> int:
        self.hrefs.append(usable_href(href))
        return len(self.hrefs) - 1

    def add_break(self, link: int | None = None, *, hard: bool = False) -> None:
        """A line break; a hard one (``<br>``, two trailing spaces) separates words even between CJK."""
        self.spans.append(Span(_HARD if hard else "\n", link, newline=True))

    # -------------------------------------------------------------------------------------- reading

    def text(self, spans: list[Span] | None = None) -> str:
        if spans is None:  # the whole text is asked for often while shaping: keep it while spans stay
            if self._text is None or self._text[0] != len(self.spans):
                self._text = (len(self.spans), tidy("".join(s.text for s in self.spans)))
            return self._text[1]
        return tidy("".join(s.text for s in spans))

    def link_text(self, index: int) -> str:
        return self.text([s for s in self.spans if s.link == index])

    def links(self) -> list[tuple[str, str]]:
        """(text, url) of every usable link, in order."""
        found: list[tuple[str, str]] = []
        for index, href in enumerate(self.hrefs):
            if href is not None:
                found.append((self.link_text(index), href))
        return found

    def lines(self) -> list[list[Span]]:
        """The spans of each line (split at line breaks outside links), blank lines left out."""
        groups: list[list[Span]] = [[]]
        for span in self.spans:
            if span.newline and span.link is None:
                groups.append([])
            else:
                groups[-1].append(span)
        return [g for g in groups if any(s.text.strip() for s in g)]

    def is_link_only(self) -> bool:
        """Every word of the text is inside a usable link ("<https://…>", "[a](…) / [b](…)")."""
        outside = "".join(s.text for s in self.spans if s.link is None or self.hrefs[s.link] is None)
        return bool(self.links()) and not has_word(outside)

    def all_strong(self, spans: list[Span] | None = None) -> bool:
        worded = [s for s in (self.spans if spans is None else spans) if has_word(s.text)]
        return bool(worded) and all(s.strong for s in worded)


_HARD = "\n\u2063"  # a hard line break: the invisible separator marks it through tidy()


_SPACES = re.compile(r"[ \t\u00a0]+")


def tidy(text: str) -> str:
    """One line: runs of spaces squashed, line breaks turned into spaces (a soft break between two CJK
    characters into nothing, as a wrapped Chinese line reads)."""
    if "\n" not in text:
        return _SPACES.sub(" ", text.replace("\u2063", "")).strip()
    out = ""
    for raw in text.split("\n"):
        hard = raw.startswith("\u2063")
        line = _SPACES.sub(" ", raw.replace("\u2063", "")).strip()
        if not line:
            continue
        if out and (hard or not (_is_cjk(out[-1]) and _is_cjk(line[0]))):
            out += " "
        out += line
    return out


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF


@dataclass(slots=True)
class Block:
    """One block of a document.

    kinds: ``heading`` (level 1-6, ``inline``), ``paragraph`` (``inline``), ``list`` (``children`` are
    ``item`` blocks, ``ordered``), ``item`` (``children``), ``quote`` (``children``), ``table`` (``rows``
    of cells, the first row a header when ``header``), ``code`` (``text``), ``rule``.
    ``minor`` marks an HTML h4-h6 heading without a link (a byline or a lab name, not a section).
    ``line`` is where the block starts in the source (1-based), for ``--explain``.
    """

    kind: str
    inline: Inline = field(default_factory=Inline)
    level: int = 0
    ordered: bool = False
    children: list[Block] = field(default_factory=list)
    rows: list[list[Inline]] = field(default_factory=list)
    header: bool = False
    text: str = ""
    minor: bool = False
    line: int | None = None

    def plain(self) -> str:
        """The block's text as one or more paragraphs (lists as "- " lines)."""
        if self.kind in ("paragraph", "heading"):
            text = self.inline.text()
            return "" if RULE_TEXT.match(text) else text
        if self.kind in ("quote", "item"):
            return "\n\n".join(p for p in (child.plain() for child in self.children) if p)
        if self.kind == "list":
            lines = [child.plain().replace("\n\n", " ") for child in self.children]
            return "\n".join(f"- {line}" for line in lines if line)
        if self.kind == "table":
            return "\n".join(" | ".join(cell.text() for cell in row) for row in self.rows)
        if self.kind == "code":
            return self.text.rstrip()
        return ""

    def all_links(self) -> list[tuple[str, str]]:
        if self.kind in ("paragraph", "heading"):
            return self.inline.links()
        if self.kind == "table":
            return [link for row in self.rows for cell in row for link in cell.links()]
        return [link for child in self.children for link in child.all_links()]


RULE_TEXT = re.compile(r"^[\s\-*_=~]{3,}$")

# "#### Author: [name](…)", "By Jo Doe": a small heading that credits an entry, not a section of its own
BYLINE_HEADING = re.compile(
    r"^\s*(?:(?:authors?|written by|posted by|作者|著者)\s*[:：]|by\s+\S)", re.IGNORECASE
)
