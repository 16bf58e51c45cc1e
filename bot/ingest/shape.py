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

import re
from dataclasses import dataclass, field

from bot.ingest.blocks import RULE_TEXT, Block, Inline, Span, tidy
from bot.ingest.common import (
    IssueBuilder,
    PendingItem,
    has_word,
    is_boilerplate_link,
    join_paragraphs,
    make_item,
)
from bot.ingest.report import ParseReport
from bot.model import Item, Section

_TAG = re.compile(r"\[[^\]\n]{1,30}\]|【[^】\n]{1,20}】")
# What may follow a leading link in a paragraph for the link to be a title rather than the start of a
# sentence: punctuation, a dash, a bracket, "by …", full-width punctuation.
_SEPARATOR = re.compile(
    r"^\s*(?:[.:;,!?)\]]|[-–—|]\s|[(（【「『《]|[：，。；！？、）】]|by\s|via\s)", re.IGNORECASE
)
_BYLINE = re.compile(r"^by\s+([^.!?\n]{1,80}?)\s*$", re.IGNORECASE)
_CREDITS_INTRO = re.compile(
    r"(?:(?:edited|curated|written|compiled|produced|brought to you) by|editors?):?\s*$", re.I
)
_CREDIT_LINE = re.compile(r"^(?:thanks|thank you|many thanks|kudos)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])|(?<=[。！？])")
_NUMBERED = re.compile(
    r"^\s*(?:\d{1,3}\s*[、．.:：]|[(（]\d{1,3}[)）]|[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf])\s*"
)
_ATTRIBUTION = re.compile(r"^\s*(?:--|——|[–—―])\s*")
_LABEL = re.compile(r"[:：]\s*$")
_LABEL_PREFIX = re.compile(r"^\s*[^\s:：]+(?:\s+[^\s:：]+){0,3}\s*[:：]\s*$")
# An empty section's placeholder: "*No calls for testing were issued this week.*"
_PLACEHOLDER = re.compile(
    r"^(?:there (?:are|were|is) )?no\b.{0,80}\b(?:(?:this|last) week|currently|at the moment)\b|"
    r"^(?:nothing|none) (?:new )?this week|^本周(?:暂)?无",
    re.IGNORECASE,
)
_SENTENCE_STOP = re.compile(r"[。.!！?？]$")
# A person's page: a bare profile on a social or code host, "/@name", or "/u/name"-style paths.
_PROFILE = re.compile(
    r"^https?://(?:www\.)?(?:twitter\.com|x\.com|github\.com|gitlab\.com|mastodon\.[a-z.]+|"
    r"[a-z0-9-]+\.social|linkedin\.com/in|weibo\.com|instagram\.com)/@?[\w.-]+/?$|"
    r"^https?://[^/]+/(?:@|(?:u|user|users|people|profile)/)[\w.-]+/?$",
    re.IGNORECASE,
)

_ASIDES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cover",
        re.compile(
            r"^(?:the\s+)?(?:cover(?:\s+(?:image|photo|picture|art))?|封面图?|封面圖|题图|表紙)$", re.I
        ),
    ),
    (
        "history",
        re.compile(
            r"this week in history|on this day|from the archives?|往年回顾|往期回顾|往期|历史上的今天|"
            r"历史上的本周|本周历史|バックナンバー|back ?issues|past issues|"
            r"^(?:one|two|three|\d+) years? ago",
            re.I,
        ),
    ),
    (
        "subscribe",
        re.compile(r"^(?:subscribe|subscription|how to subscribe|follow us|订阅|訂閱|購読|关注我们)", re.I),
    ),
    ("jobs", re.compile(r"\b(?:jobs?|hiring|careers?)\b|招聘|谁在招|内推|求人", re.I)),
)

# Links whose text is at most this many words are "source" links ("reddit", "gh", "video") when they
# form a list of their own after an item's prose.
_SOURCE_WORDS = 3


@dataclass(slots=True)
class Lead:
    """The link a block starts with: its text is a title, the text after it the start of a blurb."""

    title: str
    url: str
    rest: str
    emphasised: bool
    attribution: bool


def lead_of(inline: Inline, spans: list[Span], *, strict: bool, label_ok: bool = False) -> Lead | None:
    """The link ``spans`` start with (after "[tags]", emoji, punctuation or a dash), if any.

    ``strict`` (paragraphs): the link must be followed by punctuation, a dash or nothing unless it is bold,
    so that "[Let us know](…) if you …" stays a sentence.
    """
    start = next((i for i, s in enumerate(spans) if s.link is not None and has_word(s.text)), None)
    if start is None:
        return None
    link = spans[start].link
    while start > 0 and spans[start - 1].link == link:
        start -= 1
    end = start
    while end < len(spans) and spans[end].link == link:
        end += 1
    prefix = inline.text(spans[:start])
    tags = _TAG.findall(prefix)
    if label_ok and _LABEL_PREFIX.match(prefix):
        prefix, tags = "", []  # "Org development: [title](…)": the label is the list's, not the title's
    if has_word(_TAG.sub("", prefix)):
        return None
    assert link is not None
    url = inline.hrefs[link]
    if url is None:
        return None
    rest = inline.text(spans[end:])
    if inline.text(spans[start:end]).startswith("@"):
        return None  # "[@someone](…): …" credits the person who wrote the blurb
    emphasised = all(s.strong for s in spans[start:end])
    if strict and rest and not emphasised and not _SEPARATOR.match(rest):
        return None
    title = " ".join([*tags, inline.text(spans[start:end])])
    return Lead(title, url, rest, emphasised, attribution=bool(re.search(r"[–—―]|--", prefix)))


def split_rest(rest: str) -> tuple[str, str | None]:
    """The blurb part of the text after an item's link, and a " by Author" byline if that is all it is."""
    rest = re.sub(r"^[\s.:;,|\-–—：，、]+", "", rest).strip()
    byline = _BYLINE.match(rest)
    if byline:
        return "", byline.group(1).strip()
    return rest, None


def _strip_number(inline: Inline) -> Inline | None:
    """A copy of ``inline`` without its leading "1、" / "①" marker, or None if it has none."""
    spans = inline.spans
    if not spans or spans[0].link is not None:
        return None
    match = _NUMBERED.match(spans[0].text)
    if not match:
        return None
    first = Span(spans[0].text[match.end() :], None, spans[0].strong)
    return Inline([first, *spans[1:]] if first.text else list(spans[1:]), inline.hrefs, inline.images)


def first_sentence(text: str) -> tuple[str, str]:
    parts = _SENTENCE_END.split(text, maxsplit=1)
    first = parts[0].strip()
    rest = parts[1].strip() if len(parts) > 1 else ""
    if first.endswith(".") and not first.endswith(".."):
        first = first[:-1]
    return first, rest


def main_link(links: list[tuple[str, str]]) -> str | None:
    """The link a sentence is about: the first that is not a person's profile page."""
    for _, url in links:
        if not _PROFILE.match(url):
            return url
    return links[0][1] if links else None


def aside_kind(title: str) -> str | None:
    """What kind of non-item section a heading names ("Rust Jobs", "往年回顾"), if any; a long heading
    is an item's title, whatever words it has."""
    text = re.sub(r"[\s*_#:：.。!！]+$", "", re.sub(r"^[\s*_#]+", "", title)).strip()
    if len(text) > 40 or len(text.split()) > 6 or text.startswith(("[", "【")):
        return None
    for kind, pattern in _ASIDES:
        if pattern.search(text):
            return kind
    return None


# ------------------------------------------------------------------------------------------ classifying


def _bold_line(block: Block) -> bool:
    """A paragraph that is one bold line: a heading or an item title, depending on what follows."""
    if block.kind != "paragraph":
        return False
    lines = block.inline.lines()
    return len(lines) == 1 and block.inline.all_strong(lines[0]) and len(block.inline.text()) <= 120


def _bold_title_paragraph(block: Block) -> bool:
    """``**Title**`` on the first line, more lines (the link, the blurb) after it."""
    if block.kind != "paragraph":
        return False
    lines = block.inline.lines()
    if len(lines) < 2 or not block.inline.all_strong(lines[0]) or block.inline.all_strong():
        return False  # (a paragraph in italics throughout is an aside, not a title and its blurb)
    return lead_of(block.inline, lines[0], strict=False) is None


def _is_source_list(block: Block) -> bool:
    """A list whose entries are each one short link and nothing else ("- [reddit](…)", "- [gh](…)")."""
    if block.kind != "list" or not block.children:
        return False
    for item in block.children:
        if len(item.children) != 1 or item.children[0].kind != "paragraph":
            return False
        inline = item.children[0].inline
        if not inline.is_link_only() or len(inline.links()) != 1:
            return False
        if len(inline.text().split()) > _SOURCE_WORDS:
            return False
    return True


def _list_has_items(block: Block) -> bool:
    for item in block.children:
        first = item.children[0] if item.children and item.children[0].kind == "paragraph" else None
        if first is not None and first.inline.links():
            return True
        if any(child.kind == "list" and _list_has_items(child) for child in item.children):
            return True
    return False


def item_shaped(block: Block, *, strict_lists: bool = False) -> bool:
    """Whether the block holds an item by its shape alone (used to tell a heading from an item title).
    ``strict_lists``: a list counts only if its entries start with links (under a linked title, a list of
    points with links in them is part of the blurb)."""
    if block.kind == "list":
        if strict_lists:
            return _list_has_leads(block) and not _is_source_list(block)
        return _list_has_items(block) and not _is_source_list(block)
    if block.kind == "table":
        return any(cell.links() for row in block.rows for cell in row)
    if block.kind != "paragraph":
        return False
    inline = block.inline
    numbered = _strip_number(inline)
    if numbered is not None and has_word(numbered.text()):
        text = numbered.text()
        return bool(numbered.links()) or (len(text) <= 80 and not _SENTENCE_STOP.search(text))
    if _bold_title_paragraph(block):
        return True
    lead = lead_of(inline, inline.spans, strict=True)
    return lead is not None and (lead.emphasised or not inline.is_link_only())


def _prose_paragraph(block: Block, *, lead_ok: bool = False) -> bool:
    """A paragraph of running text with a link in it (not a line of links, a bold title or a call to
    action). ``lead_ok``: one that starts with a link counts too ("[SE-0268](…): *…* was accepted.")."""
    if block.kind != "paragraph" or _bold_line(block) or block.inline.is_link_only():
        return False
    if not lead_ok and item_shaped(block):
        return False
    inline = block.inline
    text = inline.text()
    if not inline.links() or _CREDIT_LINE.match(text) or _strip_number(inline) is not None:
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
            item_shaped(b) or _is_source_list(b) or (b.kind == "heading" and _heading_lead(b))
            for b in section
        ):
            shaped += 1
        elif any(_prose_paragraph(b) for b in section):
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
    return prose >= 2 and prose > shaped


def _body_has_items(body: list[Block], *, strict_lists: bool) -> bool:
    """Whether the blocks under a title hold items of their own. A short list of links after prose is the
    title's sources ("- [reddit](…)", "- [gh](…)"), not items; the same list right under the title is."""
    prose = False
    for block in body:
        if block.kind == "list" and _is_source_list(block):
            if not prose:
                return True
            continue
        if item_shaped(block, strict_lists=strict_lists):
            return True
        prose = prose or (block.kind == "paragraph" and has_word(block.plain()))
    return False


def _placeholder(body: list[Block]) -> bool:
    """The section says it is empty this week ("No calls for testing were issued this week.")."""
    texts = [t for t in (b.plain().lstrip("- ") for b in body if b.kind in ("paragraph", "list")) if t]
    return any(_PLACEHOLDER.match(t) for t in texts)


def _bold_lead(block: Block) -> bool:
    """A paragraph that starts with a bold link: the next of a run of bold-titled items."""
    if block.kind != "paragraph":
        return False
    lead = lead_of(block.inline, block.inline.spans, strict=True)
    return lead is not None and lead.emphasised


def _heading_lead(block: Block) -> Lead | None:
    return lead_of(block.inline, block.inline.spans, strict=False)


# ------------------------------------------------------------------------------------------------ shaper


@dataclass(slots=True)
class Shape:
    sections: list[Section]
    intro: str | None
    report: ParseReport


@dataclass(slots=True)
class _Label:
    level: int
    title: str


@dataclass(slots=True)
class _Pending:
    item: PendingItem
    strong: bool  # a numbered, heading or bold title: a list after it is part of its blurb


@dataclass
class _Shaper:
    blocks: list[Block]
    report: ParseReport
    builder: IssueBuilder = field(default_factory=IssueBuilder)
    intro: list[str] = field(default_factory=list)
    pending: _Pending | None = None
    loose: list[str] = field(default_factory=list)  # prose since the last item, for an attribution
    aside: str | None = None
    aside_level: int = 0
    previous_text: str = ""
    intro_heading: str | None = None  # a section before the first item, whose prose goes to the intro
    labels: list[_Label] = field(default_factory=list)
    prose: bool = False

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
        self.pending = _Pending(PendingItem(title, url, [p for p in parts if p], byline), strong)

    def to_intro(self, text: str) -> None:
        if self.intro_heading:
            self.intro.append(self.intro_heading)
            self.intro_heading = None
        self.intro.append(text)

    def section_level(self) -> int:
        stack = self.builder._stack
        return stack[-1].level if stack else 0

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
            if _bold_line(block) and not _strip_number(block.inline):
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
                if block.kind in ("heading", "rule") or (_bold_line(block) and not _bold_lead(block)):
                    break
                if linked and (_bold_lead(block) or _bold_title_paragraph(block)):
                    break
                if not linked and _bold_title_paragraph(block):
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
        deeper = any(b.kind == "heading" and not b.minor and b.level > level for b in body)
        has_items = deeper or _body_has_items(body, strict_lists=lead is not None) or _placeholder(body)
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
            bold_titled = any(_bold_title_paragraph(b) for b in near)
            return "" if bold_titled and (not content or content[0].kind == "paragraph") else None
        if not self.builder.has_heading or self.section_level() >= level or not content:
            return None
        first = content[0]
        if first.kind == "paragraph" and first.inline.is_link_only():
            return first.inline.links()[0][1]
        prose = any(b.kind == "paragraph" and not b.inline.is_link_only() for b in content)
        sources = next((b for b in content if _is_source_list(b)), None)
        if prose and sources is not None:
            return sources.all_links()[0][1]
        return None

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
                self.note(body, "ignored", "a small heading inside an item (a byline)")
            elif body.kind == "paragraph" and body.inline.is_link_only() and self.pending is not None:
                pending = self.pending.item
                if pending.url is None:
                    pending.url = body.inline.links()[0][1]
                self.note(body, "blurb", "the item's links")
            elif _is_source_list(body):
                self.note(body, "blurb", "the item's source links")
            else:
                text = body.plain()
                if self.pending is not None and has_word(text):
                    self.pending.item.parts.append(text)
                self.note(body, "blurb", "under an item's title")
            position += 1
        return end

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
        if _PLACEHOLDER.match(text):
            self.note(block, "ignored", "says the section is empty this week")
            return
        numbered = _strip_number(inline)
        if numbered is not None:
            self.numbered(block, numbered)
            return
        attribution = _ATTRIBUTION.match(text)
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
        if _bold_title_paragraph(block):
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
        if lead is not None and self.prose and self.builder.has_heading and not lead.emphasised:
            lead = None  # an issue written as prose: "[SE-0268](…): *…* was accepted." is a sentence
        if lead is not None:
            blurb, byline = split_rest(lead.rest)
            parts = [join_paragraphs(self.loose), blurb] if lead.attribution and self.loose else [blurb]
            self.start(lead.title, lead.url, parts, byline, strong=False)
            self.note(block, "item", "starts with a link")
            return
        if self.prose and self.builder.has_heading and _prose_paragraph(block, lead_ok=True):
            self.flush()
            title, rest = first_sentence(text)
            self.start(title, main_link(inline.links()), [rest], None, strong=False)
            self.note(block, "item", "a paragraph with a link, in an issue written as prose")
            return
        self.plain_paragraph(block, text)

    def plain_paragraph(self, block: Block, text: str) -> None:
        """Running text: the blurb of the item above, the intro, or left out."""
        inline = block.inline
        if self.pending is not None:
            link_texts = [t for t, _ in inline.links()]
            if _CREDIT_LINE.match(text) or any(is_boilerplate_link(t) for t in link_texts):
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
        elif len(text) <= 80 and not _SENTENCE_STOP.search(text):
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
        if self.pending is not None:
            self.pending.item.parts.append(text)
            self.note(block, "blurb", "a quote in an item")
        elif not self.items_seen and not self.builder.current.items:
            self.to_intro(text)
            self.note(block, "intro", "before the first item")
        else:
            self.loose.append(text)
            self.note(block, "ignored", "a quote outside any item (kept for a source line)")

    # ------------------------------------------------------------------------------------- lists

    def list_block(self, block: Block) -> None:
        has_items = _list_has_items(block)
        introduced = self.previous_text.rstrip().endswith((":", "："))  # "… approved this week:"
        sources = _is_source_list(block) and not (
            introduced and self.pending is not None and not self.pending.strong
        )
        if self.pending is not None and (not has_items or self.pending.strong or sources):
            self.pending.item.parts.append(block.plain())  # a list of points inside a blurb
            self.note(block, "blurb", "a list inside an item")
            return
        self.flush()
        if _CREDITS_INTRO.search(self.previous_text):
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
            lead = lead_of(inline, inline.spans, strict=False, label_ok=True) if first is not None else None
            own = inline.text() if first is not None else ""
            if lead is not None:
                blurb, byline = split_rest(lead.rest)
                item_nested = [n for n in nested if _list_has_leads(n)]
                parts = [context or "", blurb, *(c.plain() for c in others if c not in item_nested)]
                self.add(PendingItem(lead.title, lead.url, parts, byline).item())
                for sub in item_nested:
                    self.list_items(sub, context, depth + 1)
            elif nested and any(_list_has_items(n) for n in nested):
                if own and _LABEL.search(own):
                    self.label(own, nested, depth)
                else:
                    for sub in nested:
                        self.list_items(sub, own or context, depth + 1)
            elif first is not None and inline.links():
                self.add(_sentence_item(inline, [c.plain() for c in others], context))

    def label(self, own: str, nested: list[Block], depth: int) -> None:
        level = 10 + depth
        title = _LABEL.sub("", own).strip()
        self.builder.heading(level, title)
        self.labels = [lab for lab in self.labels if lab.level < level]
        self.labels.append(_Label(level, title))
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


def _list_has_leads(block: Block) -> bool:
    return any(
        item.children
        and item.children[0].kind == "paragraph"
        and lead_of(item.children[0].inline, item.children[0].inline.spans, strict=False) is not None
        for item in block.children
    )


def _sentence_item(inline: Inline, more: list[str], context: str | None) -> Item | None:
    """A list item without a leading link: "Title https://…" gives that title and URL; a sentence with a
    link in it gives its first sentence as the title."""
    for index, href in enumerate(inline.hrefs):
        if href is None:
            continue
        link_text = inline.link_text(index)
        if link_text.startswith(("http://", "https://")):
            position = next(i for i, s in enumerate(inline.spans) if s.link == index)
            before = re.sub(r"[\s:：\-–—|]+$", "", inline.text(inline.spans[:position]))
            after = inline.text([s for s in inline.spans[position:] if s.link != index])
            if has_word(before):
                return make_item(before, href, join_paragraphs([context or "", after, *more]))
        break
    text = inline.text()
    url = main_link(inline.links())
    title, rest = first_sentence(text)
    return make_item(title, url, join_paragraphs([context or "", rest, *more]))


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
