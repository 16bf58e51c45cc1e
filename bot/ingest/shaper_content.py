"""How the shaper reads paragraphs, quotes, lists and tables (headings and titles: ``bot.ingest.shape``)."""

from __future__ import annotations

from bot.ingest.blocks import RULE_TEXT, Block, Inline, Span
from bot.ingest.classify import (
    bold_title_paragraph,
    is_source_list,
    list_has_items,
    list_has_leads,
    prose_paragraph,
)
from bot.ingest.common import (
    Heading,
    PendingItem,
    has_word,
    is_boilerplate_link,
    join_paragraphs,
    make_item,
)
from bot.ingest.leads import (
    ATTRIBUTION,
    CREDIT_LINE,
    CREDITS_INTRO,
    LABEL,
    PLACEHOLDER,
    SENTENCE_STOP,
    UNRESOLVED_REFERENCE,
    first_sentence,
    lead_of,
    main_link,
    sentence_item,
    split_rest,
    strip_number,
)
from bot.ingest.shaper_state import ShaperState


class ContentShaper(ShaperState):
    # ------------------------------------------------------------------------------------- paragraphs

    def paragraph(self, block: Block) -> None:
        inline = block.inline
        text = inline.text()
        if not has_word(text):
            if RULE_TEXT.match(text):
                self.flush()  # an escaped "\---" rule from a Substack export
            elif inline.images:
                self.note(block, "blurb" if self.pending else "ignored", "an image")
            return
        self.previous_text = text
        if PLACEHOLDER.match(text):
            self.note(block, "ignored", "says the section is empty this week")
            return
        numbered = strip_number(inline)
        if numbered is not None:
            self.numbered(block, numbered)
            return
        attribution = ATTRIBUTION.match(text)
        lead = lead_of(inline, inline.spans, strict=True)
        if attribution and self.loose and self.builder.has_heading and self.pending is None:
            blurb = join_paragraphs(self.loose)
            if lead is not None:
                self.start(lead.title, lead.url, [blurb, split_rest(lead.rest)[0]], None, strong=False)
            else:
                source = text[attribution.end() :]
                self.start(source, main_link(inline.links()), [blurb], None, strong=False)
            self.flush()
            self.note(block, "item", "a source line after a quote: the quote is its blurb")
            return
        lines = inline.lines()
        leads = [lead_of(inline, line, strict=True) for line in lines]
        if len(lines) > 1 and all(leads):
            self.flush()
            for line_lead in leads:
                assert line_lead is not None
                blurb, byline = split_rest(line_lead.rest)
                self.add(PendingItem(line_lead.title, line_lead.url, [blurb], byline).item())
            self.note(block, "items", "one link per line")
            return
        if bold_title_paragraph(block):
            self.bold_title(block, lines)
            return
        intro = not self.items_seen and not self.builder.has_heading
        if lead is not None and intro and not lead.emphasised and lead.rest:
            lead = None  # a link at the start of an intro sentence
        if lead is not None and is_boilerplate_link(lead.title):
            self.flush()  # "[Please submit quotes …](…)": a call to action ends the item above
            self.note(block, "ignored", "a call to action")
            return
        if lead is not None and self.pending is not None and lead.title.startswith(("http://", "https://")):
            lead = None  # a bare address on its own line belongs to the item above
        told = self.prose and (self.builder.has_heading or self.items_seen)  # news told as prose
        if lead is not None and told and not lead.emphasised:
            lead = None  # an issue written as prose: "[SE-0268](…): *…* was accepted." is a sentence
        if lead is not None:
            blurb, byline = split_rest(lead.rest)
            parts = [join_paragraphs(self.loose), blurb] if lead.attribution and self.loose else [blurb]
            self.start(lead.title, lead.url, parts, byline, strong=False)
            self.note(block, "item", "starts with a link")
            return
        if told and prose_paragraph(block, lead_ok=True):
            self.flush()
            title, rest = first_sentence(text)
            self.start(title, main_link(inline.links()), [rest], None, strong=False)
            self.note(block, "item", "a paragraph with a link, in an issue written as prose")
            return
        self.plain_paragraph(block, text)

    def plain_paragraph(self, block: Block, text: str) -> None:
        """Running text: the blurb of the item above, the intro, or left out."""
        inline = block.inline
        url = main_link(inline.links())
        if self.feature and self.pending is None and url is not None:
            self.feature = False  # "This week's crate is [diatomic-waker](…), a …"
            title = next(t for t, u in inline.links() if u == url)
            self.start(title, url, [text], None, strong=False)
            self.note(block, "item", "names the feature of a '… of the week' section")
            return
        if self.pending is not None:
            link_texts = [t for t, _ in inline.links()]
            if CREDIT_LINE.match(text) or any(is_boilerplate_link(t) for t in link_texts):
                self.note(block, "ignored", "a credit or a call to action")
            else:
                self.pending.item.parts.append(text)
                self.note(block, "blurb", "follows an item")
            return
        if not self.items_seen:
            self.to_intro(text)
            self.note(block, "intro", "before the first item")
            return
        self.loose.append(text)
        self.note(block, "ignored", "prose outside any item")

    def numbered(self, block: Block, inline: Inline) -> None:
        text = inline.text()
        if not has_word(text):
            self.flush()  # "1、" alone: what follows is one entry (a quote and its source)
            self.note(block, "ignored", "a number alone")
            return
        lead = lead_of(inline, inline.spans, strict=True)
        if lead is not None:
            blurb, byline = split_rest(lead.rest)
            self.start(lead.title, lead.url, [blurb], byline, strong=True)
        elif inline.links():
            title, rest = (text, "") if len(text) <= 120 else first_sentence(text)
            self.start(title, main_link(inline.links()), [rest], None, strong=True)
        elif len(text) <= 80 and not SENTENCE_STOP.search(text):
            self.start(text, None, [], None, strong=True)
        else:
            self.plain_paragraph(block, block.inline.text())  # "1、它无所不在。…": a point in an essay
            return
        self.note(block, "item", "a numbered entry")

    def bold_title(self, block: Block, lines: list[list[Span]]) -> None:
        inline = block.inline
        title = inline.text(lines[0])
        url: str | None = None
        rest: list[str] = []
        for line in lines[1:]:
            line_inline = Inline(line, inline.hrefs)
            if url is None and line_inline.is_link_only():
                url = line_inline.links()[0][1]
            else:
                rest.append(inline.text(line))
        self.start(title, url, [" ".join(r for r in rest if r)], None, strong=True)
        self.note(block, "item", "a bold title, its link and blurb on the next lines")

    def quote(self, block: Block) -> None:
        text = block.plain()
        first = block.children[0] if block.children else None
        if first is not None and first.kind == "paragraph" and bold_title_paragraph(first):
            self.quoted_entry(block)
            return
        if self.pending is not None:
            self.pending.item.parts.append(text)
            self.note(block, "blurb", "a quote in an item")
        elif not self.items_seen and not self.builder.current.items:
            self.to_intro(text)
            self.note(block, "intro", "before the first item")
        else:
            self.loose.append(text)
            self.note(block, "ignored", "a quote outside any item (kept for a source line)")

    def quoted_entry(self, block: Block) -> None:
        """A quote that holds an entry of its own (a bold title and its link, as a link card): its blocks are
        read as if they were not quoted."""
        for child in block.children:
            if child.kind == "paragraph":
                self.paragraph(child)
            elif child.kind == "list":
                self.list_block(child)
            elif self.pending is not None and has_word(child.plain()):
                self.pending.item.parts.append(child.plain())
                self.note(child, "blurb", "in a quoted entry")

    # ------------------------------------------------------------------------------------- lists

    def list_block(self, block: Block) -> None:
        has_items = list_has_items(block)
        introduced = self.previous_text.rstrip().endswith((":", "："))  # "… approved this week:"
        sources = is_source_list(block) and not (
            introduced and self.pending is not None and not self.pending.strong
        )
        if self.pending is not None and (not has_items or self.pending.strong or sources):
            self.pending.item.parts.append(block.plain())  # a list of points inside a blurb
            self.note(block, "blurb", "a list inside an item")
            return
        self.flush()
        if CREDITS_INTRO.search(self.previous_text):
            self.note(block, "aside", "the list of editors")
            return
        before = len(self.builder.current.items)
        count = self.builder.item_count()
        self.list_items(block, context=None, depth=0)
        added = self.builder.item_count() - count
        if added:
            self.note(block, "items", f"{added} list entries")
        elif not self.items_seen and before == 0:
            self.to_intro(block.plain())
            self.note(block, "intro", "a list before the first item")
        else:
            self.note(block, "ignored", "a list without links")

    def list_items(self, node: Block, context: str | None, depth: int) -> None:
        for li in node.children:
            first = li.children[0] if li.children and li.children[0].kind == "paragraph" else None
            others = li.children[1:] if first is not None else li.children
            nested = [child for child in li.children if child.kind == "list"]
            inline = first.inline if first is not None else Inline()
            # "date | place | [Title](…)" is an entry, unless it has talks nested under it (their context)
            flat = not any(list_has_items(n) for n in nested)
            lead = (
                lead_of(inline, inline.spans, strict=False, label_ok=True, fields_ok=flat)
                if first is not None
                else None
            )
            own = inline.text() if first is not None else ""
            if lead is not None:
                blurb, byline = split_rest(lead.rest)
                item_nested = [n for n in nested if list_has_leads(n)]
                parts = [context or "", blurb, *(c.plain() for c in others if c not in item_nested)]
                self.add(PendingItem(lead.title, lead.url, parts, byline).item())
                for sub in item_nested:
                    self.list_items(sub, context, depth + 1)
            elif nested and any(list_has_items(n) for n in nested):
                if own and LABEL.search(own):
                    self.label(own, nested, depth)
                else:
                    for sub in nested:
                        self.list_items(sub, own or context, depth + 1)
            elif first is not None and (inline.links() or UNRESOLVED_REFERENCE.match(own)):
                self.add(sentence_item(inline, [c.plain() for c in others], context))

    def label(self, own: str, nested: list[Block], depth: int) -> None:
        level = 10 + depth
        title = LABEL.sub("", own).strip()
        self.builder.heading(level, title)
        self.labels = [lab for lab in self.labels if lab.level < level]
        self.labels.append(Heading(level, title))
        for sub in nested:
            self.list_items(sub, None, depth + 1)
        self.labels.pop()
        if self.labels:
            parent = self.labels[-1]
            self.builder.heading(parent.level, parent.title)

    # ------------------------------------------------------------------------------------- tables

    def table(self, block: Block) -> None:
        self.flush()
        rows = block.rows[1:] if block.header and len(block.rows) > 1 else block.rows
        added = 0
        for row in rows:
            if len(row) > 1 and all(len(cell.links()) == 1 and cell.is_link_only() for cell in row):
                for cell in row:  # a strip of linked cells (sponsor logos): one item each
                    text, url = cell.links()[0]
                    self.add(make_item(text, url, ""))
                    added += 1
                continue
            linked = next((cell for cell in row if cell.links()), None)
            if linked is None:
                continue
            text, url = linked.links()[0]
            title = text if has_word(text) and not text.startswith(("http://", "https://")) else ""
            if not title:
                title = next((c.text() for c in row if c is not linked and has_word(c.text())), text)
            blurb = " · ".join(c.text() for c in row if c is not linked and c.text() and c.text() != title)
            self.add(make_item(title, url, blurb))
            added += 1
        self.note(block, "items" if added else "ignored", f"{added} table rows with a link")
