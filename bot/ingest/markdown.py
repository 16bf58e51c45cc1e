"""Markdown newsletters, read through markdown-it-py's syntax tree (never by regexes over the whole text).

Metadata comes from YAML front matter (``---`` fenced: title, date, number, url/canonical_url/source...) or
a Pelican/MultiMarkdown header block ("Title: ...", "Number: ...", "Date: ..." lines before the first
blank line). Backslash escapes (Substack exports write ``\\---``, ``\\_``, ``\\*``, ``\\[``) are undone by
the Markdown parser itself, and reference-style links are resolved by it.

Sections: every heading opens one; a deeper heading under a shallower one is titled "Parent: Child"
("Updates from Rust Community: Official"); decoration such as ``## **Papers.**`` is cleaned to "Papers".
A leading ``# Title`` (when no metadata names the title) is the issue title, not a section.

Items:

* a list item that starts with a link: ``* [title](url) trailing text`` (the trailing text is the blurb,
  a " by Author" byline is moved to the end of the blurb as "— Author"), with nested blocks such as a
  ``> blockquote`` added to the blurb; leading tags such as "[video]" stay in the title;
* a list item whose text has no leading link but contains a nested list of links (an event line with the
  talks under it): each nested link is an item, the parent line is its blurb;
* a list item that is a sentence with a link in it (older changelog style): the first sentence is the
  title and the first link the URL;
* a paragraph whose main content is one leading link (``[t](u)``, ``**[t](u)**``, ``[t][ref]``, optionally
  followed by punctuation and a description); the paragraphs and blockquotes after it, up to the next item,
  heading or rule, are its blurb ("**Abstract:** ..." paragraphs included).

Not items: prose with links inside it ("Thanks to [X](...) for the suggestion!"), the intro (prose before
the first heading), HTML comments and raw HTML blocks, calls to action ("Subscribe here", "Please submit
..."), and a list of credits introduced by "... edited by:". A document without headings gives one untitled
section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.ingest.common import (
    IngestError,
    IssueBuilder,
    PendingItem,
    detect_number,
    finish,
    has_word,
    is_boilerplate_link,
    is_url,
    join_paragraphs,
    make_item,
    parse_date,
    squash,
    title_from_filename,
    usable_href,
)
from bot.model import Issue, Item

_FRONT_MATTER = re.compile(r"^---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.DOTALL)
_HEADER_LINE = re.compile(r"^([A-Za-z][\w -]{0,30}):[ \t]*(.*?)\s*$")
_HEADER_KEYS = {"title", "number", "date", "category", "tags", "slug", "author", "authors", "summary", "url"}
_LISTS = ("bullet_list", "ordered_list")
_TAG = re.compile(r"\[[^\]\n]{1,30}\]")
_SEPARATOR = re.compile(r"^\s*(?:[.:;,!?)\]]|[-–—|]\s|\(|by\s)", re.IGNORECASE)
_BYLINE = re.compile(r"^by\s+([^.!?\n]{1,80}?)\s*$", re.IGNORECASE)
_RULE_TEXT = re.compile(r"^[\s\-*_=~]{3,}$")
_CREDITS_INTRO = re.compile(
    r"(?:(?:edited|curated|written|compiled|produced|brought to you) by|editors?):?\s*$", re.I
)
_CREDIT_LINE = re.compile(r"^(?:thanks|thank you|many thanks|kudos)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])")

_SOURCE_KEYS = ("canonical_url", "canonical", "url", "source", "link", "permalink", "web_url")
_NUMBER_KEYS = ("number", "issue", "issue_number", "issue_no", "no")
_DATE_KEYS = ("date", "published", "published_on", "pubdate", "published_at")
_SUBTITLE_KEYS = ("subtitle", "description", "summary", "subheading")

_md = MarkdownIt("commonmark").enable("table").enable("strikethrough")


# ---------------------------------------------------------------------------------------------- metadata


def split_metadata(text: str) -> tuple[dict[str, Any], str]:
    """Front matter or a Pelican header block, as a dict with lower-case keys, and the rest of the text."""
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark is not None else ""
            raise IngestError(f"front matter (the --- block at the top) is not valid YAML{where}") from None
        if isinstance(loaded, dict):
            return {str(k).lower(): v for k, v in loaded.items()}, text[match.end() :]
        if loaded is None:
            return {}, text[match.end() :]
    lines = text.splitlines(keepends=True)
    meta: dict[str, Any] = {}
    for count, line in enumerate(lines):
        if not line.strip():
            if meta and "title" in meta:
                return meta, "".join(lines[count + 1 :])
            break
        header = _HEADER_LINE.match(line)
        if not header or (count == 0 and header.group(1).lower() not in _HEADER_KEYS):
            break
        meta[header.group(1).strip().lower()] = header.group(2)
    return {}, text


def _first_str(meta: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# ------------------------------------------------------------------------------------------------ inline


@dataclass(slots=True)
class _Seg:
    text: str
    link: int | None = None  # which link of the paragraph this text is inside
    emphasis: bool = False
    newline: bool = False


@dataclass(slots=True)
class _Inline:
    segs: list[_Seg] = field(default_factory=list)
    hrefs: list[str | None] = field(default_factory=list)

    def text(self, segs: list[_Seg] | None = None) -> str:
        return _tidy("".join("\n" if s.newline else s.text for s in (self.segs if segs is None else segs)))


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return " ".join(line for line in lines if line)


def _flatten(node: SyntaxTreeNode, out: _Inline, link: int | None = None, emphasis: bool = False) -> None:
    for child in node.children:
        kind = child.type
        if kind == "text":
            out.segs.append(_Seg(child.content, link, emphasis))
        elif kind == "code_inline":
            out.segs.append(_Seg(f"`{child.content}`", link, emphasis))
        elif kind in ("softbreak", "hardbreak"):
            out.segs.append(_Seg("\n", link, emphasis, newline=True))
        elif kind == "link":
            out.hrefs.append(usable_href(child.attrs.get("href")))
            _flatten(child, out, len(out.hrefs) - 1, emphasis)
        elif kind in ("strong", "em"):
            _flatten(child, out, link, True)
        elif kind in ("image", "html_inline"):
            continue
        else:
            _flatten(child, out, link, emphasis)


def _inline(paragraph: SyntaxTreeNode) -> _Inline:
    out = _Inline()
    for child in paragraph.children:
        if child.type == "inline":
            _flatten(child, out)
    return out


def _plain(node: SyntaxTreeNode) -> str:
    return _inline(node).text()


@dataclass(slots=True)
class _Lead:
    title: str
    url: str | None
    rest: str
    emphasised: bool
    attribution: bool  # "– [Source](url)" under a quote


def _lead(inline: _Inline, segs: list[_Seg], *, paragraph: bool) -> _Lead | None:
    """The link an item starts with, if the text starts with one (after tags like "[video]" or a dash)."""
    start = next((i for i, s in enumerate(segs) if s.link is not None and has_word(s.text)), None)
    if start is None:
        return None
    link = segs[start].link
    while start > 0 and segs[start - 1].link == link:
        start -= 1
    end = start
    while end < len(segs) and segs[end].link == link:
        end += 1
    prefix = inline.text(segs[:start])
    tags = _TAG.findall(prefix)
    if has_word(_TAG.sub("", prefix)):
        return None
    assert link is not None
    url = inline.hrefs[link]
    if url is None:
        return None
    rest = inline.text(segs[end:])
    emphasised = all(s.emphasis for s in segs[start:end])
    if paragraph and rest and not emphasised and not _SEPARATOR.match(rest):
        return None  # "[Let us know](...) if you would like ..." is a sentence, not a title
    title = " ".join([*tags, inline.text(segs[start:end])])
    return _Lead(title, url, rest, emphasised, attribution=bool(re.search(r"[–—]|--", prefix)))


def _lines(inline: _Inline) -> list[list[_Seg]]:
    groups: list[list[_Seg]] = [[]]
    for seg in inline.segs:
        if seg.newline and seg.link is None:
            groups.append([])
        else:
            groups[-1].append(seg)
    return [g for g in groups if any(s.text.strip() for s in g)]


def _split_rest(rest: str) -> tuple[str, str | None]:
    """The blurb part of the text after an item's link, and a " by Author" byline if that is all it is."""
    rest = re.sub(r"^[\s.:;,|\-–—]+", "", rest).strip()
    byline = _BYLINE.match(rest)
    if byline:
        return "", byline.group(1).strip()
    return rest, None


# ------------------------------------------------------------------------------------------------ blocks


def _block_text(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind in ("paragraph", "heading"):
        text = _plain(node)
        return "" if _RULE_TEXT.match(text) else text
    if kind in {"blockquote", "list_item"}:
        return join_paragraphs(_block_text(child) for child in node.children)
    if kind in _LISTS:
        lines = [_block_text(li).replace("\n\n", " ") for li in node.children]
        return "\n".join(f"- {line}" for line in lines if line)
    if kind in ("fence", "code_block"):
        return node.content.rstrip()
    return ""


class _Walker:
    def __init__(self) -> None:
        self.builder = IssueBuilder()
        self.intro: list[str] = []
        self.in_intro = True
        self.pending: PendingItem | None = None  # a paragraph item still collecting its blurb
        self.last_quote: str | None = None  # a blockquote no item has claimed yet
        self.previous_text = ""

    def flush(self) -> None:
        if self.pending is not None:
            self.builder.add(self.pending.item())
            self.pending = None

    def block(self, node: SyntaxTreeNode) -> None:
        kind = node.type
        quote, self.last_quote = self.last_quote, None
        if kind == "heading":
            self.flush()
            self.in_intro = False
            self.builder.heading(int(node.tag[1:]), _plain(node))
        elif kind == "hr":
            self.flush()
        elif kind == "paragraph":
            self.paragraph(node, quote)
        elif kind == "blockquote":
            text = _block_text(node)
            if self.pending is not None:
                self.pending.parts.append(text)
            elif self.in_intro and not self.builder.current.items:
                self.intro.append(text)
            else:
                self.last_quote = text
        elif kind in _LISTS:
            self.list_block(node)
        elif kind in ("fence", "code_block") and self.pending is not None:
            self.pending.parts.append(_block_text(node))
        # html_block (comments included), tables and anything else are not content we post

    def paragraph(self, node: SyntaxTreeNode, quote: str | None) -> None:
        inline = _inline(node)
        text = inline.text()
        if not has_word(text):
            if _RULE_TEXT.match(text):
                self.flush()  # an escaped "\---" rule from a Substack export
            return
        self.previous_text = text
        lines = _lines(inline)
        leads = [_lead(inline, line, paragraph=True) for line in lines]
        if len(lines) > 1 and all(leads):
            self.flush()  # one link per line, without list markers
            for lead in leads:
                assert lead is not None
                blurb, byline = _split_rest(lead.rest)
                self.builder.add(PendingItem(lead.title, lead.url, [blurb], byline).item())
            self.in_intro = self.in_intro and not self.builder.current.items
            return
        lead = _lead(inline, inline.segs, paragraph=True)
        if lead is not None and self.in_intro and not (lead.emphasised or not lead.rest):
            lead = None  # a link at the start of an intro sentence
        if lead is not None:
            self.flush()
            blurb, byline = _split_rest(lead.rest)
            parts = [quote, blurb] if lead.attribution and quote else [blurb]
            self.pending = PendingItem(lead.title, lead.url, [p for p in parts if p], byline)
            self.in_intro = False
            return
        if self.pending is not None:
            link_texts = [
                inline.text([seg for seg in inline.segs if seg.link == i]) for i in range(len(inline.hrefs))
            ]
            if not _CREDIT_LINE.match(text) and not any(is_boilerplate_link(t) for t in link_texts):
                self.pending.parts.append(text)
        elif self.in_intro:
            self.intro.append(text)

    def list_block(self, node: SyntaxTreeNode) -> None:
        has_links = any(_inline_has_link(li) for li in node.children)
        if self.pending is not None and not has_links:
            self.pending.parts.append(_block_text(node))  # a list of points inside a blurb
            return
        self.flush()
        if _CREDITS_INTRO.search(self.previous_text):
            return
        before = len(self.builder.current.items)
        self.list_items(node, context=None)
        if len(self.builder.current.items) > before:
            self.in_intro = False

    def list_items(self, node: SyntaxTreeNode, context: str | None) -> None:
        for li in node.children:
            first = li.children[0] if li.children and li.children[0].type == "paragraph" else None
            others = li.children[1:] if first is not None else li.children
            nested = [child for child in li.children if child.type in _LISTS]
            inline = _inline(first) if first is not None else _Inline()
            lead = _lead(inline, inline.segs, paragraph=False) if first is not None else None
            if lead is not None:
                blurb, byline = _split_rest(lead.rest)
                parts = [context or "", blurb, *(_block_text(child) for child in others)]
                self.builder.add(PendingItem(lead.title, lead.url, parts, byline).item())
            elif nested and any(_inline_has_link(n) for n in nested):
                own = inline.text() if first is not None else None
                for sub in nested:
                    self.list_items(sub, own or context)
            elif first is not None and any(h for h in inline.hrefs):
                self.builder.add(_sentence_item(inline, [_block_text(child) for child in others], context))


def _inline_has_link(node: SyntaxTreeNode) -> bool:
    return any(child.type == "link" and usable_href(child.attrs.get("href")) for child in node.walk())


def _sentence_item(inline: _Inline, more: list[str], context: str | None) -> Item | None:
    """A list item that is a sentence with a link in it: its first sentence is the title."""
    text = inline.text()
    url = next(h for h in inline.hrefs if h)
    parts = _SENTENCE_END.split(text, maxsplit=1)
    first = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    title = first[:-1] if first.endswith(".") and not first.endswith("..") else first
    return make_item(title, url, join_paragraphs([context or "", rest, *more]))


# ----------------------------------------------------------------------------------------------- parsing


def parse_markdown(text: str, *, filename: str = "") -> Issue:
    meta, body = split_metadata(text)
    root = SyntaxTreeNode(_md.parse(body))
    blocks = [b for b in root.children if b.type != "html_block"]
    title = _first_str(meta, ("title",))
    title_block: SyntaxTreeNode | None = None
    if blocks and blocks[0].type == "heading" and blocks[0].tag == "h1":
        heading_text = squash(_plain(blocks[0]))
        if title is None or heading_text == title:
            title, title_block = heading_text, blocks[0]

    walker = _Walker()
    for block in root.children:
        if block is not title_block:
            walker.block(block)
    walker.flush()

    source = next((v for v in (_first_str(meta, (k,)) for k in _SOURCE_KEYS) if v and is_url(v)), None)
    issue = Issue(
        title=title or title_from_filename(filename),
        number=detect_number([title], meta_number=_first_value(meta, _NUMBER_KEYS), filename=filename),
        subtitle=_first_str(meta, _SUBTITLE_KEYS),
        intro=join_paragraphs(walker.intro) or None,
        published_on=next((d for d in (parse_date(meta.get(k)) for k in _DATE_KEYS) if d is not None), None),
        source=source,
        sections=walker.builder.sections,
    )
    return finish(issue, filename=filename)


def _first_value(meta: dict[str, Any], keys: tuple[str, ...]) -> object:
    return next((meta[k] for k in keys if meta.get(k) is not None), None)


__all__ = ["parse_markdown", "split_metadata"]
