"""Markdown newsletters: markdown-it-py's syntax tree, turned into blocks for the structural reader.

Metadata comes from YAML front matter (``---`` fenced: title, date, number, url/canonical_url/source...) or
a Pelican/MultiMarkdown header block ("Title: ...", "Number: ...", "Date: ..." lines before the first
blank line). Backslash escapes (Substack exports write ``\\---``, ``\\_``, ``\\*``, ``\\[``) are undone by
the Markdown parser itself, and reference-style links are resolved by it. A leading ``# Title`` (when no
metadata names the title) is the issue title, not a section.

Every other block (headings, paragraphs, lists, quotes, tables, code) becomes a ``Block``; raw HTML blocks
(``<h3>…</h3>`` inside Markdown) are read by the HTML reader into blocks of their own, and HTML comments
are dropped. ``bot.ingest.shape`` then finds the sections and items: see its docstring for the rules.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.ingest.blocks import BYLINE_HEADING, Block, Inline, Span
from bot.ingest.common import (
    IngestError,
    detect_number,
    finish,
    is_url,
    parse_date,
    squash,
    title_from_filename,
)
from bot.ingest.report import ParseReport
from bot.ingest.shape import shape
from bot.model import Issue

_FRONT_MATTER = re.compile(r"^---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.DOTALL)
_HEADER_LINE = re.compile(r"^([A-Za-z][\w -]{0,30}):[ \t]*(.*?)\s*$")
_HEADER_KEYS = {"title", "number", "date", "category", "tags", "slug", "author", "authors", "summary", "url"}
_LISTS = ("bullet_list", "ordered_list")
_ATTRIBUTES = re.compile(r"\s*\{[#.][^{}]*\}\s*$")
_HTML_COMMENT = re.compile(r"^\s*<!--.*?-->\s*$", re.DOTALL)

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


# ------------------------------------------------------------------------------------------------ blocks


def _flatten(node: SyntaxTreeNode, out: Inline, link: int | None = None, strong: bool = False) -> None:
    for child in node.children:
        kind = child.type
        if kind == "text":
            out.add_text(child.content, link=link, strong=strong)
        elif kind == "code_inline":
            out.spans.append(Span(f"`{child.content}`", link, strong))
        elif kind in ("softbreak", "hardbreak"):
            out.add_break(link, hard=kind == "hardbreak")
        elif kind == "link":
            _flatten(child, out, out.open_link(child.attrs.get("href")), strong)
        elif kind == "strong":
            _flatten(child, out, link, True)
        elif kind == "image":
            out.images += 1
        elif kind == "html_inline":
            continue
        else:
            _flatten(child, out, link, strong)


def _inline(node: SyntaxTreeNode) -> Inline:
    out = Inline()
    for child in node.children:
        if child.type == "inline":
            _flatten(child, out)
    return out


def _line(node: SyntaxTreeNode, offset: int) -> int | None:
    return node.map[0] + 1 + offset if node.map else None


def to_blocks(nodes: list[SyntaxTreeNode], offset: int = 0) -> list[Block]:
    """The blocks of a list of markdown-it nodes (``offset``: lines before the body, for --explain)."""
    blocks: list[Block] = []
    for node in nodes:
        kind = node.type
        line = _line(node, offset)
        if kind == "heading":
            inline = _inline(node)
            if inline.spans and inline.spans[-1].link is None:  # "## New plugins {#new-plugins}"
                inline.spans[-1].text = _ATTRIBUTES.sub("", inline.spans[-1].text)
            level = int(node.tag[1:])
            minor = level >= 4 and bool(BYLINE_HEADING.match(inline.text()))
            blocks.append(Block("heading", inline, level=level, line=line, minor=minor))
        elif kind == "paragraph":
            blocks.append(Block("paragraph", _inline(node), line=line))
        elif kind == "hr":
            blocks.append(Block("rule", line=line))
        elif kind == "blockquote":
            blocks.append(Block("quote", children=to_blocks(node.children, offset), line=line))
        elif kind in _LISTS:
            items = [
                Block("item", children=to_blocks(li.children, offset), line=_line(li, offset))
                for li in node.children
            ]
            blocks.append(Block("list", ordered=kind == "ordered_list", children=items, line=line))
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", text=node.content, line=line))
        elif kind == "table":
            blocks.append(_table(node, line))
        elif kind == "html_block" and not _HTML_COMMENT.match(node.content):
            from bot.ingest.html import fragment_blocks

            for block in fragment_blocks(node.content):
                block.line = line
                blocks.append(block)
    return blocks


def _table(node: SyntaxTreeNode, line: int | None) -> Block:
    rows: list[list[Inline]] = []
    header = False
    for part in node.children:
        for row in part.children:
            cells = []
            for cell in row.children:
                out = Inline()
                for child in cell.children:
                    if child.type == "inline":
                        _flatten(child, out)
                cells.append(out)
            rows.append(cells)
        header = header or part.type == "thead"
    return Block("table", rows=rows, header=header, line=line)


# ----------------------------------------------------------------------------------------------- parsing


def read_markdown(text: str, *, filename: str = "") -> tuple[Issue, ParseReport]:
    """The issue in a Markdown document, and the report of how each block was read."""
    meta, body = split_metadata(text)
    offset = text[: len(text) - len(body)].count("\n")
    root = SyntaxTreeNode(_md.parse(body))
    nodes = list(root.children)
    title = _first_str(meta, ("title",))
    report = ParseReport(format="markdown")
    first = next((n for n in nodes if n.type != "html_block"), None)
    h1s = [n for n in nodes if n.type == "heading" and n.tag == "h1"]
    if first is not None and first.type == "heading" and first.tag == "h1" and (len(h1s) == 1 or title):
        heading_text = squash(_inline(first).text())
        if title is None or heading_text == title:
            title = heading_text
            report.note(_line(first, offset), "heading", heading_text, "title", "the first heading")
            nodes.remove(first)
    shaped = shape(to_blocks(nodes, offset), report)
    source = next((v for v in (_first_str(meta, (k,)) for k in _SOURCE_KEYS) if v and is_url(v)), None)
    issue = Issue(
        title=title or title_from_filename(filename),
        number=detect_number([title], meta_number=_first_value(meta, _NUMBER_KEYS), filename=filename),
        subtitle=_first_str(meta, _SUBTITLE_KEYS),
        intro=shaped.intro,
        published_on=next((d for d in (parse_date(meta.get(k)) for k in _DATE_KEYS) if d is not None), None),
        source=source,
        sections=shaped.sections,
    )
    return finish(issue, filename=filename), report


def parse_markdown(text: str, *, filename: str = "") -> Issue:
    return read_markdown(text, filename=filename)[0]


def _first_value(meta: dict[str, Any], keys: tuple[str, ...]) -> object:
    return next((meta[k] for k in keys if meta.get(k) is not None), None)


__all__ = ["parse_markdown", "read_markdown", "split_metadata"]
