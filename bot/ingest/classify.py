"""What a block looks like to the shaper: a bold line, a list of sources, an item by its shape, prose."""

from __future__ import annotations

from bot.ingest.blocks import Block
from bot.ingest.common import (
    has_word,
    is_boilerplate_link,
)
from bot.ingest.leads import (
    CREDIT_LINE,
    PLACEHOLDER,
    SENTENCE_STOP,
    SOURCE_WORDS,
    Lead,
    lead_of,
    strip_number,
)

# ------------------------------------------------------------------------------------------ classifying


def bold_line(block: Block) -> bool:
    """A paragraph that is one bold line: a heading or an item title, depending on what follows."""
    if block.kind != "paragraph":
        return False
    lines = block.inline.lines()
    return len(lines) == 1 and block.inline.all_strong(lines[0]) and len(block.inline.text()) <= 120


def bold_title_paragraph(block: Block) -> bool:
    """``**Title**`` on the first line, more lines (the link, the blurb) after it."""
    if block.kind != "paragraph":
        return False
    lines = block.inline.lines()
    if len(lines) < 2 or not block.inline.all_strong(lines[0]) or block.inline.all_strong():
        return False  # (a paragraph in italics throughout is an aside, not a title and its blurb)
    return lead_of(block.inline, lines[0], strict=False) is None


def is_source_list(block: Block) -> bool:
    """A list whose entries are each one short link and nothing else ("- [reddit](…)", "- [gh](…)")."""
    if block.kind != "list" or not block.children:
        return False
    for item in block.children:
        if len(item.children) != 1 or item.children[0].kind != "paragraph":
            return False
        inline = item.children[0].inline
        if not inline.is_link_only() or len(inline.links()) != 1:
            return False
        if len(inline.text().split()) > SOURCE_WORDS:
            return False
    return True


def list_has_items(block: Block) -> bool:
    for item in block.children:
        first = item.children[0] if item.children and item.children[0].kind == "paragraph" else None
        if first is not None and first.inline.links():
            return True
        if any(child.kind == "list" and list_has_items(child) for child in item.children):
            return True
    return False


def item_shaped(block: Block, *, strict_lists: bool = False) -> bool:
    """Whether the block holds an item by its shape alone (used to tell a heading from an item title).
    ``strict_lists``: a list counts only if its entries start with links (under a linked title, a list of
    points with links in them is part of the blurb)."""
    if block.kind == "list":
        if strict_lists:
            return list_has_leads(block) and not is_source_list(block)
        return list_has_items(block) and not is_source_list(block)
    if block.kind == "table":
        return any(cell.links() for row in block.rows for cell in row)
    if block.kind != "paragraph":
        return False
    inline = block.inline
    numbered = strip_number(inline)
    if numbered is not None and has_word(numbered.text()):
        text = numbered.text()
        return bool(numbered.links()) or (len(text) <= 80 and not SENTENCE_STOP.search(text))
    if bold_title_paragraph(block):
        return True
    lead = lead_of(inline, inline.spans, strict=True)
    return lead is not None and (lead.emphasised or not inline.is_link_only())


def prose_paragraph(block: Block, *, lead_ok: bool = False) -> bool:
    """A paragraph of running text with a link in it (not a line of links, a bold title or a call to
    action). ``lead_ok``: one that starts with a link counts too ("[SE-0268](…): *…* was accepted.")."""
    if block.kind != "paragraph" or bold_line(block) or block.inline.is_link_only():
        return False
    if not lead_ok and item_shaped(block):
        return False
    inline = block.inline
    text = inline.text()
    if not inline.links() or CREDIT_LINE.match(text) or strip_number(inline) is not None:
        return False
    return not all(is_boilerplate_link(t) for t, _ in inline.links())


def prose_style(blocks: list[Block]) -> bool:
    """Whether the issue is written as prose: most of its sections hold paragraphs with links and no item
    shapes, and at least two do."""
    prose = shaped = 0
    section: list[Block] = []

    def close() -> None:
        nonlocal prose, shaped
        if any(
            item_shaped(b) or is_source_list(b) or (b.kind == "heading" and heading_lead(b)) for b in section
        ):
            shaped += 1
        elif any(prose_paragraph(b) for b in section):
            prose += 1

    started = False
    for block in blocks:
        if block.kind == "heading" and not block.minor:
            if started:
                close()
            section, started = [], True
        elif started:
            section.append(block)
    if started:
        close()
    return (prose >= 2 and prose > shaped) or _mostly_prose_paragraphs(blocks)


def _mostly_prose_paragraphs(blocks: list[Block]) -> bool:
    """Whether more of the issue's news is told in paragraphs with links than in entries (list entries and
    paragraphs shaped as items), with at least ten such paragraphs under headings: a monthly report in prose
    with a list or two in it."""
    paragraphs = sum(1 for b in blocks if prose_paragraph(b))
    if paragraphs < 10 or sum(1 for b in blocks if b.kind == "heading" and not b.minor) < 2:
        return False
    entries = sum(len(b.children) if b.kind == "list" else 1 for b in blocks if item_shaped(b))
    return paragraphs > entries


def body_has_items(body: list[Block], *, strict_lists: bool) -> bool:
    """Whether the blocks under a title hold items of their own. A short list of links after prose is the
    title's sources ("- [reddit](…)", "- [gh](…)"), not items; the same list right under the title is, and
    so is one the prose introduces ("These are the RFCs that were approved this week:")."""
    prose = introduced = False
    for block in body:
        if block.kind == "list" and is_source_list(block):
            if not prose or introduced:
                return True
            continue
        if prose and block.kind == "list" and not mostly_leads(block):
            continue  # points of the prose above, with a link or two among them
        if item_shaped(block, strict_lists=strict_lists):
            return True
        prose = prose or (block.kind == "paragraph" and has_word(block.plain()))
        introduced = block.kind == "paragraph" and block.plain().rstrip().endswith((":", "："))
    return False


def mostly_leads(block: Block) -> bool:
    """Whether at least half the entries of a list start with a link (a list of items, not of points)."""
    leads = sum(
        1
        for item in block.children
        if item.children
        and item.children[0].kind == "paragraph"
        and lead_of(item.children[0].inline, item.children[0].inline.spans, strict=False) is not None
    )
    return leads * 2 >= len(block.children) > 0


def first_link_entry(block: Block) -> str | None:
    """The URL of a list's first entry that is a link and nothing else ("- [GitHub](…)")."""
    for item in block.children:
        first = item.children[0] if item.children and item.children[0].kind == "paragraph" else None
        if first is not None and first.inline.is_link_only():
            return first.inline.links()[0][1]
    return None


def placeholder(body: list[Block]) -> bool:
    """The section says it is empty this week ("No calls for testing were issued this week.")."""
    texts = [t for t in (b.plain().lstrip("- ") for b in body if b.kind in ("paragraph", "list")) if t]
    return any(PLACEHOLDER.match(t) for t in texts)


def bold_lead(block: Block) -> bool:
    """A paragraph that starts with a bold link: the next of a run of bold-titled items."""
    if block.kind != "paragraph":
        return False
    lead = lead_of(block.inline, block.inline.spans, strict=True)
    return lead is not None and lead.emphasised


def heading_lead(block: Block) -> Lead | None:
    return lead_of(block.inline, block.inline.spans, strict=False)


def list_has_leads(block: Block) -> bool:
    return any(
        item.children
        and item.children[0].kind == "paragraph"
        and lead_of(item.children[0].inline, item.children[0].inline.spans, strict=False) is not None
        for item in block.children
    )
