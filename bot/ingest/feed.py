"""RSS 2.0 and Atom feeds, read with feedparser: each entry is one issue.

An entry's title, published (or updated) date and link become the issue's title, date and source; its
HTML body (the fullest ``content``, else the ``summary``) is read by the HTML parser. Entries without items
are skipped; a feed none of whose entries has items is an error.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import feedparser

from bot.ingest.common import IngestError, detect_number, number_from_name, path_part, squash
from bot.ingest.html import read_html
from bot.ingest.plain_text import parse_text
from bot.ingest.report import ParseReport
from bot.model import Issue


def _entry_body(entry: Any) -> tuple[str, str]:
    """The entry's body and its MIME type: the longest ``content`` value, else the summary."""
    contents = [c for c in entry.get("content", []) if c.get("value")]
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "")))
        return str(best.get("value", "")), str(best.get("type", "text/html"))
    detail = entry.get("summary_detail") or {}
    return str(entry.get("summary", "") or ""), str(detail.get("type", "text/html"))


def _entry_date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


def parse_feed(data: bytes, *, filename: str = "") -> list[Issue]:
    return read_feed(data, filename=filename)[0]


def read_feed(data: bytes, *, filename: str = "") -> tuple[list[Issue], ParseReport]:
    """One issue per entry that has items, and the report of every entry's reading."""
    parsed: Any = feedparser.parse(data)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {squash(str(problem))}" if problem else ""
        raise IngestError(f"not a valid RSS or Atom feed{detail}")
    feed_title = squash(str(parsed.feed.get("title", "") or ""))
    issues: list[Issue] = []
    report = ParseReport(format="feed")
    for index, entry in enumerate(parsed.entries, start=1):
        title = squash(str(entry.get("title", "") or "")) or f"{feed_title or 'Entry'} {index}".strip()
        link = entry.get("link")
        source = str(link) if link else filename or None
        body, mime = _entry_body(entry)
        if not body.strip():
            continue
        if "html" in mime or "<" in body:
            issue, entry_report = read_html(body, title=title)
        else:
            issue = parse_text(f"{title}\n\n{body}")
            entry_report = ParseReport(format="text", sections=len(issue.sections), items=len(issue.items))
        if not issue.items:
            continue
        report.merge(entry_report)
        slug = path_part(str(link)).rstrip("/").rsplit("/", 1)[-1] if link else ""
        issue.title = title
        issue.number = detect_number([title]) or (
            number_from_name(slug) if any(c.isalpha() for c in slug) else None
        )
        issue.published_on = _entry_date(entry)
        issue.source = source
        issues.append(issue)
    if not issues:
        raise IngestError("no items found")
    return issues, report
