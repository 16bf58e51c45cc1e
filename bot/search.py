"""Search terms: what an item is found by, the same for indexing and for queries on every database.

Text is NFKC-normalised and case-folded, then cut into words. Scripts written without spaces (Chinese,
Japanese, Korean) have no words to cut, so a run of them becomes its overlapping pairs of characters
("机器学习" → 机器, 器学, 学习): a two-character word is found anywhere inside a title, and a longer query
needs all its pairs. A one-character query is that character, which an index also holds. SQLite's FTS5
and PostgreSQL's ``simple`` text search then only match whole terms, and never read query syntax: a
query's ``"``, ``*``, ``NEAR(``, ``:`` or ``&|!`` are not word characters and never reach them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 16

_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")


def _pieces(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def index_terms(text: str) -> list[str]:
    """The terms an indexed text is found by: its words, and each CJK run's characters and pairs."""
    terms: list[str] = []
    for piece in _pieces(text):
        if _CJK_RUN.fullmatch(piece):
            terms.extend(piece)
            terms.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        else:
            terms.append(piece)
    return terms


def query_terms(query: str) -> list[str]:
    """The terms every hit must hold: a query's words, and each CJK run's pairs (or the one character)."""
    terms: list[str] = []
    for piece in _pieces(query[:MAX_QUERY_LENGTH]):
        if _CJK_RUN.fullmatch(piece) and len(piece) > 1:
            terms.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        else:
            terms.append(piece)
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]


def document(*texts: str | None) -> str:
    """What the index stores for an item: its terms, space-separated."""
    return " ".join(term for text in texts if text for term in index_terms(text))


@dataclass(frozen=True, slots=True)
class SearchHit:
    newsletter_id: str
    issue_number: int
    section: str | None
    title: str
    url: str | None
    votes: int  # reactions counted on the item, on every platform
    relevance: float


class SearchIndex(Protocol):
    async def search(
        self, terms: Sequence[str], *, limit: int, newsletter: str | None = None
    ) -> list[SearchHit]:
        """Items of posted issues that hold every term (``bot.search.query_terms``): the most relevant
        first, then the most voted, then the newest issue's."""
        ...
