"""Finding an issue's sections and items in its blocks: one reader for Markdown, HTML and feed bodies.

The blocks come from ``bot.ingest.blocks`` (built from a markdown-it syntax tree or a BeautifulSoup DOM).
Nothing here knows a newsletter by name; every rule is about structure:

Sections
  * headings open sections; a deeper heading under a shallower one is "Parent: Child";
  * a paragraph that is one bold line (``**Papers**``, ``**[🦄文章&教程](…)**``) acts as a heading when
    items follow it;
  * a list item that is a label ending in a colon ("Emacs Lisp:") with a nested list of links opens a
    section for those links.

Items
  * a list item, a paragraph or a line that starts with a link (after tags such as "[video]", emoji or a
    number): the link is the title, the rest and the blocks after it are the blurb;
  * a numbered paragraph (``1、[标题](…)``, ``①``, ``1．``): the link (or the text) is the title;
  * a heading or a bold line with a link, followed by its blurb; a heading without one followed by a line
    of links (the first is the item's URL), or by prose and a short list of source links;
  * a bold title line with the link on the next line and the blurb after it;
  * a table row with a link;
  * "— [Source](…)" after a quote: the quote is the blurb;
  * in an issue written as prose (most sections are paragraphs with links in them and no list or
    leading link), each such paragraph: its first sentence is the title, its main link the URL.

Not items
  * images, "via" links, bylines, and links inside a blurb belong to the item they are in;
  * sections that are not items: the cover, the editor's essay and anything else before the first item
    go to the intro; "this week in history", jobs and subscribe sections are left out; items of a
    sponsor section are marked sponsored;
  * calls to action ("Subscribe", "Please submit…"), "Thanks to …" credits and the "edited by:" list.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingest.blocks import Block, tidy
from bot.ingest.classify import (
    body_has_items,
    bold_lead,
    bold_line,
    bold_title_paragraph,
    first_link_entry,
    heading_lead,
    is_source_list,
    mostly_leads,
    placeholder,
    prose_style,
)
from bot.ingest.common import (
    has_word,
    join_paragraphs,
)
from bot.ingest.leads import (
    FEATURE,
    aside_kind,
    lead_of,
    split_rest,
    strip_number,
)
from bot.ingest.report import ParseReport
from bot.ingest.shaper_content import ContentShaper
from bot.model import Section

# ------------------------------------------------------------------------------------------------ shaper


@dataclass(slots=True)
class Shape:
    sections: list[Section]
    intro: str | None
    report: ParseReport


class _Shaper(ContentShaper):
    # ------------------------------------------------------------------------------------- walking

    def run(self) -> None:
        self.prose = prose_style(self.blocks)
        index = 0
        while index < len(self.blocks):
            index = self.block(index)
        self.flush()

    def block(self, index: int) -> int:
        block = self.blocks[index]
        kind = block.kind
        if kind == "heading":
            return self.heading(index)
        if kind == "rule":
            self.flush()
            return index + 1
        if self.aside is not None and self.aside != "sponsor":
            return self.aside_block(block, index)
        if kind == "paragraph":
            if bold_line(block) and not strip_number(block.inline):
                return self.candidate(index, level=7)
            self.paragraph(block)
        elif kind == "quote":
            self.quote(block)
        elif kind == "list":
            self.list_block(block)
        elif kind == "table":
            self.table(block)
        elif kind == "code":
            if self.pending is not None:
                self.pending.item.parts.append(block.plain())
                self.note(block, "blurb", "code in an item")
            else:
                self.note(block, "ignored", "code outside any item")
        return index + 1

    def aside_block(self, block: Block, index: int) -> int:
        text = block.plain()
        if self.aside == "cover" and not self.items_seen and has_word(text):
            self.to_intro(text)
            self.note(block, "intro", "the cover's caption")
        else:
            self.note(block, "aside", f"in a {self.aside} section, not an item")
        return index + 1

    # ------------------------------------------------------------------------------------- headings

    def heading(self, index: int) -> int:
        block = self.blocks[index]
        if block.minor:
            return self.minor_heading(index)
        title = block.inline.text()
        if self.aside is not None and block.level > self.aside_level:
            self.note(block, "aside", f"a heading in a {self.aside} section")
            return index + 1
        self.aside = None
        kind = aside_kind(title)
        if kind is not None:
            self.flush()
            self.aside, self.aside_level = kind, block.level
            self.note(block, "aside", f"a {kind} section: not items")
            return index + 1
        if self.is_sponsor(title):
            self.flush()
            self.builder.heading(block.level, title)
            self.aside, self.aside_level = "sponsor", block.level
            self.note(block, "section", "a sponsor section: its items are sponsored")
            return index + 1
        return self.candidate(index, level=block.level)

    @staticmethod
    def is_sponsor(title: str) -> bool:
        from bot.ingest.common import is_sponsor_section

        return is_sponsor_section(title)

    def minor_heading(self, index: int) -> int:
        block = self.blocks[index]
        nxt = self.blocks[index + 1] if index + 1 < len(self.blocks) else None
        if (
            nxt is not None
            and nxt.kind == "paragraph"
            and nxt.inline.is_link_only()
            and self.builder.has_heading
        ):
            links = nxt.inline.links()
            self.start(block.inline.text(), links[0][1], [], None, strong=True)
            self.note(block, "item", "a small heading followed by its link")
            self.note(nxt, "blurb", "the item's link line")
            return index + 2
        self.note(block, "ignored", "a small heading without a link (a byline)")
        return index + 1

    def body_end(self, index: int, level: int, *, linked: bool) -> int:
        """Where the body of a title candidate at ``index`` ends: the next heading at its level or above;
        for a bold line, also a rule or the next bold line of its kind (a bold line without a link ends at
        the next one, a bold link at the next bold link or bold title)."""
        end = index + 1
        while end < len(self.blocks):
            block = self.blocks[end]
            if block.kind == "heading" and not block.minor and block.level <= min(level, 6):
                break
            if level == 7:
                if block.kind in ("heading", "rule") or (bold_line(block) and not bold_lead(block)):
                    break
                if linked and (bold_lead(block) or bold_title_paragraph(block)):
                    break
                if not linked and bold_title_paragraph(block):
                    break
            end += 1
        return end

    def candidate(self, index: int, *, level: int) -> int:
        """A heading or a bold line: a section when items follow it, otherwise an item title."""
        block = self.blocks[index]
        lead = lead_of(block.inline, block.inline.spans, strict=False)
        end = self.body_end(index, level, linked=lead is not None)
        body = self.blocks[index + 1 : end]
        title = block.inline.text()
        deeper = any(
            b.kind == "heading" and not b.minor and b.level > level and (lead is None or heading_lead(b))
            for b in body
        )  # under a linked title, headings without links are parts of its article ("### Constructors")
        has_items = deeper or body_has_items(body, strict_lists=lead is not None) or placeholder(body)
        if lead is not None and lead.rest and level == 7 and not lead.emphasised:
            lead = None
        if not has_items:
            if lead is not None:
                return self.heading_item(index, end, lead.title, lead.url, split_rest(lead.rest)[0])
            found = self.unlinked_item_url(block, body, level)
            if found is not None:
                return self.heading_item(index, end, title, found or None, "")
        if level == 7 and not has_items:
            # a bold line with nothing item-like after it: a subtitle inside prose
            self.paragraph(block)
            return index + 1
        self.flush()
        self.builder.heading(level, lead.title if lead is not None and not lead.rest else title)
        self.note(block, "section", "items follow it" if has_items else "a heading (no items under it)")
        self.feature = not has_items and bool(FEATURE.search(title)) and not placeholder(body)
        if not self.items_seen:
            self.intro_heading = tidy(title) or None
        self.labels = []
        return index + 1

    def section_blocks(self, block: Block) -> list[Block]:
        """The blocks of the heading section ``block`` is in."""
        index = next(i for i, b in enumerate(self.blocks) if b is block)
        start = index
        while start > 0 and self.blocks[start - 1].kind != "heading":
            start -= 1
        end = index + 1
        while end < len(self.blocks) and self.blocks[end].kind != "heading":
            end += 1
        return self.blocks[start:end]

    def unlinked_item_url(self, block: Block, body: list[Block], level: int) -> str | None:
        """The URL of a heading without a link that is an item title ("" for an item without a URL),
        or None if the heading is a section."""
        content = [b for b in body if b.kind != "rule" and (b.kind != "paragraph" or has_word(b.plain()))]
        if level == 7:
            near = self.section_blocks(block)
            bold_titled = any(bold_title_paragraph(b) for b in near)
            return "" if bold_titled and (not content or content[0].kind == "paragraph") else None
        if not self.builder.has_heading or self.section_level() >= level or not content:
            return None
        first = content[0]
        if first.kind == "paragraph" and first.inline.is_link_only():
            return first.inline.links()[0][1]
        prose = any(b.kind == "paragraph" and not b.inline.is_link_only() for b in content)
        sources = next((b for b in content if is_source_list(b)), None)
        if prose and sources is not None:
            return sources.all_links()[0][1]
        # prose, then its points with a link entry among them ("- `luasnips` support…", "- [GitHub](…)")
        points = [first_link_entry(b) for b in content if b.kind == "list" and not mostly_leads(b)]
        return next((url for url in points if url), None) if prose else None

    def heading_item(self, index: int, end: int, title: str, url: str | None, rest: str) -> int:
        block = self.blocks[index]
        self.start(title, url, [rest], None, strong=True)
        self.note(block, "item", "a title with its blurb after it")
        position = index + 1
        while position < end:
            body = self.blocks[position]
            if body.kind == "rule":
                self.flush()
                return position + 1
            if body.kind == "heading" and body.minor:
                self.note(body, "blurb", "a small heading inside an item (a byline)")
            elif body.kind == "paragraph" and body.inline.is_link_only() and self.pending is not None:
                pending = self.pending.item
                if pending.url is None:
                    pending.url = body.inline.links()[0][1]
                self.note(body, "blurb", "the item's links")
            elif is_source_list(body):
                self.note(body, "blurb", "the item's source links")
            else:
                text = body.plain()
                if self.pending is not None and has_word(text):
                    self.pending.item.parts.append(text)
                self.note(body, "blurb", "under an item's title")
            position += 1
        return end


def shape(blocks: list[Block], report: ParseReport | None = None) -> Shape:
    """The sections, intro and report of a document's blocks."""
    report = report if report is not None else ParseReport()
    shaper = _Shaper(blocks, report)
    shaper.run()
    sections = [s for s in shaper.builder.sections if s.items]
    report.sections = len(sections)
    report.items = sum(len(s.items) for s in sections)
    report.text_chars = sum(len(b.plain()) for b in blocks)
    report.item_chars = sum(len(i.title) + len(i.blurb) for s in sections for i in s.items)
    return Shape(shaper.builder.sections, join_paragraphs(shaper.intro) or None, report)
