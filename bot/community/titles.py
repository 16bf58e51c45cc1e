"""Titles for suggested links: the port the core fetches them through, and pulling one out of HTML."""

from __future__ import annotations

import html
import re
from typing import Protocol

MAX_TITLE = 300


class TitleFetcher(Protocol):
    async def fetch_title(self, url: str) -> str | None:
        """The page's Open Graph title (or ``<title>``), or None when it cannot or may not be fetched."""
        ...


_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def clean_title(text: str) -> str | None:
    title = " ".join(html.unescape(text).split())
    if not title:
        return None
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def title_from_html(document: str) -> str | None:
    """``og:title`` (or ``twitter:title``) when the page has one, else its ``<title>``."""
    found: dict[str, str] = {}
    for tag in _META.findall(document):
        attrs = {
            m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTR.finditer(tag)
        }
        name = (attrs.get("property") or attrs.get("name") or "").lower()
        if name in ("og:title", "twitter:title") and attrs.get("content"):
            found.setdefault(name, attrs["content"])
    for name in ("og:title", "twitter:title"):
        title = clean_title(found.get(name, ""))
        if title:
            return title
    match = _TITLE.search(document)
    return clean_title(match.group(1)) if match else None
