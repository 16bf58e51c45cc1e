"""HTML issue pages (and the HTML bodies of feed entries), read with BeautifulSoup's "html.parser".

* Title: the first ``<h1>``, else ``<title>``; a ``<link rel="canonical">`` or ``og:url`` is the source.
* Sections: ``<h2>`` and ``<h3>`` headings without a link of their own (nested as "Parent: Child").
* Items: a link that is the main content of an ``h2``-``h6`` heading, of a ``<b>``/``<strong>`` that starts
  its block, of a ``<p>``/``<blockquote>`` that is just that link (plus punctuation and a description), or
  the leading link of an ``<li>``. The ``<p>`` and ``<blockquote>`` blocks after a title, up to the next
  title, heading or ``<hr>``, are its blurb; an ``<li>`` item's blurb is the rest of the list item.
* ``script``, ``style``, ``nav``, ``footer``, ``noscript``, ``template``, ``form``, ``svg`` and comments are
  skipped; ``h4``-``h6`` headings without a link (bylines, lab names) are not sections.
* Paragraphs before the first section and item are the intro.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag

from bot.ingest.common import (
    IssueBuilder,
    PendingItem,
    detect_number,
    finish,
    has_word,
    is_boilerplate_link,
    is_url,
    join_paragraphs,
    parse_date,
    squash,
    title_from_filename,
    usable_href,
)
from bot.model import Issue

_SKIP = {
    "script",
    "style",
    "nav",
    "footer",
    "noscript",
    "template",
    "form",
    "svg",
    "iframe",
    "button",
    "select",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SECTION_HEADINGS = {"h2", "h3"}
_BLURB_BLOCKS = {"p", "blockquote"}
_BLOCKS = {"p", "blockquote", "ul", "ol", "div", "li", "table", "pre", "section", "article", "dl", "figure"}
_TAG = re.compile(r"\[[^\]\n]{1,30}\]")
_SEPARATOR = re.compile(r"^\s*(?:[.:;,!?)\]]|[-–—|]\s|\(|by\s)", re.IGNORECASE)
_BYLINE = re.compile(r"^by\s+([^.!?\n]{1,80}?)\s*$", re.IGNORECASE)


def _text(node: Tag | NavigableString) -> str:
    """The visible text, with a space where a block or line break separates words."""
    if isinstance(node, NavigableString):
        return "" if isinstance(node, Comment) else squash(str(node))
    parts: list[str] = []
    for element in node.descendants:
        if isinstance(element, Tag):
            if element.name in _BLOCKS or element.name in _HEADINGS or element.name == "br":
                parts.append(" ")
        elif not isinstance(element, Comment):
            parts.append(str(element))
    return squash("".join(parts))


@dataclass(slots=True)
class _Lead:
    title: str
    url: str
    rest: str


def _inline_after(container: Tag, link: Tag) -> str:
    """The inline text after ``link`` inside ``container``, leaving out nested blocks (quotes, lists...)."""
    parts: list[str] = []
    for element in link.next_elements:
        if isinstance(element, Tag):
            if container not in element.parents:
                break
            continue
        if container not in element.parents:
            break
        if isinstance(element, Comment) or link in element.parents:
            continue
        nested_block = any(
            p.name in _BLOCKS for p in element.parents if p is not container and container in p.parents
        )
        if not nested_block:
            parts.append(str(element))
    return squash("".join(parts))


def _first_link(block: Tag) -> Tag | None:
    return next((a for a in block.find_all("a") if usable_href(a.get("href")) and has_word(_text(a))), None)


def _lead_link(block: Tag, *, sentence_ok: bool) -> _Lead | None:
    """The link ``block`` starts with (ignoring "[tags]", icons and punctuation), if it has one."""
    link = _first_link(block)
    if link is None:
        return None
    before: list[str] = []
    for element in block.descendants:
        if element is link:
            break
        if isinstance(element, NavigableString) and not isinstance(element, Comment):
            before.append(str(element))
    prefix = squash("".join(before))
    if has_word(_TAG.sub("", prefix)):
        return None
    rest = _inline_after(block, link)
    emphasised = any(p.name in ("b", "strong", "em", "i") for p in link.parents if block in p.parents)
    emphasised = emphasised or block.name in ("b", "strong")
    if not sentence_ok and rest and not emphasised and not _SEPARATOR.match(rest):
        return None
    href = usable_href(link.get("href"))
    assert href is not None
    title = " ".join([*_TAG.findall(prefix), _text(link)])
    return _Lead(title, href, rest)


def _split_rest(rest: str) -> tuple[str, str | None]:
    rest = re.sub(r"^[\s.:;,|\-–—]+", "", rest).strip()
    byline = _BYLINE.match(rest)
    return ("", byline.group(1).strip()) if byline else (rest, None)


class _Walker:
    def __init__(self, *, want_title: bool) -> None:
        self.builder = IssueBuilder()
        self.title: str | None = None
        self.want_title = want_title
        self.intro: list[str] = []
        self.pending: PendingItem | None = None
        self.started = False  # a section or item has been seen: no more intro

    def flush(self) -> None:
        if self.pending is not None:
            self.builder.add(self.pending.item())
            self.pending = None

    def start(self, lead: _Lead, parts: list[str] | None = None) -> None:
        self.flush()
        self.started = True
        blurb, byline = _split_rest(lead.rest)
        self.pending = PendingItem(lead.title, lead.url, [*(parts or []), blurb], byline)

    def visit(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                self.element(child)

    def element(self, el: Tag) -> None:
        name = el.name
        if name in _SKIP:
            return
        if name in _HEADINGS:
            self.heading(el)
        elif name == "hr":
            self.flush()
        elif name in _BLURB_BLOCKS:
            self.block(el)
        elif name == "li":
            self.list_item(el, context=None)
        elif name in ("b", "strong"):
            lead = _lead_link(el, sentence_ok=True)
            if lead is not None and not has_word(_text(el).replace(_text_of_link(el), "", 1)):
                self.start(lead)
        else:
            self.visit(el)

    def heading(self, el: Tag) -> None:
        text = _text(el)
        if el.name == "h1" and self.want_title and self.title is None:
            self.title = text
            return
        lead = _lead_link(el, sentence_ok=True)
        if lead is not None:
            self.start(lead)
        elif el.name in _SECTION_HEADINGS or (el.name == "h1" and has_word(text)):
            self.flush()
            self.started = True
            self.builder.heading(int(el.name[1]), text)

    def block(self, el: Tag) -> None:
        text = _block_text(el)
        if not has_word(text):
            return
        lead = _lead_link(el, sentence_ok=False) if el.name == "p" else None
        if lead is not None:
            self.start(lead)
        elif self.pending is not None:
            if not any(is_boilerplate_link(_text(a)) for a in el.find_all("a")):
                self.pending.parts.append(text)  # a "subscribe" line is not part of the blurb
        elif not self.started:
            self.intro.append(text)

    def list_item(self, el: Tag, context: str | None) -> None:
        link = _first_link(el)
        nested = [c for c in el.find_all(["ul", "ol"]) if c.find_parent("li") is el]
        in_nested = link is not None and any(n in link.parents for n in nested)
        container = _block_parent(link, el) if link is not None and not in_nested else el
        lead = _lead_link(container, sentence_ok=True) if link is not None and not in_nested else None
        if lead is not None and container is not el and has_word(_own_text_before(el, container)):
            lead = None  # the link is in a later paragraph of the list item
        if lead is not None:
            self.flush()
            self.started = True
            blurb, byline = _split_rest(lead.rest)
            extra = [_block_text(c) for c in el.find_all(list(_BLOCKS)) if _is_top_block(c, el, container)]
            self.builder.add(PendingItem(lead.title, lead.url, [context or "", blurb, *extra], byline).item())
        elif nested:
            self.flush()
            own = _inline_after_start(el)
            for sub_list in nested:
                for sub in sub_list.find_all("li"):
                    if sub.find_parent("li") is el:
                        self.list_item(sub, own or context)
        else:
            self.visit(el)


def _block_parent(link: Tag, li: Tag) -> Tag:
    for parent in link.parents:
        if parent is li or parent.name in _BLOCKS:
            return parent
    return li


def _own_text_before(li: Tag, container: Tag) -> str:
    parts: list[str] = []
    for element in li.descendants:
        if element is container:
            break
        if isinstance(element, NavigableString) and not isinstance(element, Comment):
            parts.append(str(element))
    return squash("".join(parts))


def _is_top_block(block: Tag, li: Tag, container: Tag) -> bool:
    """A block directly inside the list item (not nested in another block), other than the title's own."""
    if block is container or block in container.parents:
        return False
    if container is not li and container in block.parents:
        return False
    return all(p.name not in _BLOCKS for p in block.parents if p is not li and li in p.parents)


def _inline_after_start(li: Tag) -> str:
    """A list item's own line: its text before any nested block."""
    parts: list[str] = []
    for child in li.children:
        if isinstance(child, Tag) and child.name in _BLOCKS and child.name != "p":
            break
        parts.append(_text(child) if isinstance(child, Tag) else str(child))
    return squash(" ".join(parts))


def _text_of_link(el: Tag) -> str:
    link = el.find("a")
    return _text(link) if isinstance(link, Tag) else ""


def _block_text(el: Tag) -> str:
    if el.name == "blockquote":
        paras = [_text(p) for p in el.find_all("p")]
        return join_paragraphs(paras) if paras else _text(el)
    return _text(el)


def _prepare(markup: str) -> BeautifulSoup:
    soup = BeautifulSoup(markup, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(list(_SKIP)):
        tag.decompose()
    return soup


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if isinstance(tag, Tag):
            content = tag.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
    return None


def html_issue(markup: str, *, title: str | None = None, filename: str = "") -> Issue:
    """The issue in an HTML page or fragment; ``title`` (from a feed entry) overrides the page's."""
    soup = _prepare(markup)
    walker = _Walker(want_title=title is None)
    body = soup.body or soup
    walker.visit(body)
    walker.flush()
    head_title = soup.title.get_text(" ", strip=True) if soup.title else None
    page_title = title or walker.title or head_title or None
    canonical = soup.find("link", rel="canonical")
    source = canonical.get("href") if isinstance(canonical, Tag) else None
    source = source if isinstance(source, str) and is_url(source) else _meta(soup, "og:url")
    published = _meta(soup, "article:published_time", "date", "dc.date")
    time_tag = soup.find("time", attrs={"datetime": True})
    if published is None and isinstance(time_tag, Tag):
        value = time_tag.get("datetime")
        published = value if isinstance(value, str) else None
    issue = Issue(
        title=squash(page_title) if page_title else title_from_filename(filename),
        number=detect_number([page_title, head_title], filename=filename),
        intro=join_paragraphs(walker.intro) or None,
        published_on=parse_date(published),
        source=source if source and is_url(source) else None,
        sections=walker.builder.sections,
    )
    return finish(issue, filename=filename)


def parse_html(text: str, *, filename: str = "") -> Issue:
    return html_issue(text, filename=filename)
