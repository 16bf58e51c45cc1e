"""The search index of items: SQLite's FTS5 or PostgreSQL's full-text search over ``bot.search`` terms.

The index is not in the ORM (FTS5 tables are virtual, with shadow tables of their own); migration 0009
creates it, and ``SEARCH_INDEX`` names its tables so the schema checks leave them out. It holds each
item's terms (title, blurb, section title) under the item's id, written in the transaction that saves
the issue, so a search never sees half an issue. Only issues posted somewhere are searched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text

from bot.search import SearchHit, document
from storage.repositories.base import _Repository

SEARCH_INDEX = "item_search"
# The most relevant matches a search reads further (issue, section, votes) and orders by votes: a term in
# half of 100,000 items would otherwise have its votes summed 50,000 times before the first hits return.
MAX_RANKED = 500
# A word in most items (a newsletter's own topic) is ranked among its newest matches only: ranking all
# 70,000 items holding "learning" took 120-160 ms; the newest few thousand hold the hits people look for.
MAX_CANDIDATES = 3000


def is_search_index_table(name: str) -> bool:
    return name == SEARCH_INDEX or name.startswith(f"{SEARCH_INDEX}_")


_ITEMS_OF_ISSUE = text(
    "SELECT items.id, items.title, items.blurb, sections.title FROM items "
    "JOIN sections ON sections.id = items.section_id WHERE items.issue_id = :issue_id"
)


class SqlSearchIndex(_Repository):
    async def index_issue(self, issue_id: int, *, forget: Sequence[int] = ()) -> None:
        """(Re)write the index of an issue's items, and drop the items in ``forget`` (removed ones)."""
        rows = (await self._session.execute(_ITEMS_OF_ISSUE, {"issue_id": issue_id})).all()
        ids = [row[0] for row in rows] + list(forget)
        if ids:
            await self._session.execute(self._delete(), {"ids": ids})
        if rows:
            entries = [{"id": row[0], "terms": document(row[1], row[2], row[3])} for row in rows]
            await self._session.execute(self._insert_statement(), entries)

    def _delete(self) -> Any:
        column = "rowid" if self._dialect == "sqlite" else "item_id"
        statement = text(f"DELETE FROM {SEARCH_INDEX} WHERE {column} IN :ids")
        return statement.bindparams(bindparam("ids", expanding=True))

    def _insert_statement(self) -> Any:
        if self._dialect == "sqlite":
            return text(f"INSERT INTO {SEARCH_INDEX} (rowid, terms) VALUES (:id, :terms)")
        return text(
            f"INSERT INTO {SEARCH_INDEX} (item_id, terms) "
            "VALUES (:id, array_to_tsvector(string_to_array(:terms, ' ')))"
        )

    async def search(
        self, terms: Sequence[str], *, limit: int, newsletter: str | None = None
    ) -> list[SearchHit]:
        """Items of posted issues holding every term: most relevant first, then most voted, then newest."""
        if not terms:
            return []
        params: dict[str, Any] = {
            "limit": limit,
            "newsletter": newsletter,
            "ranked": MAX_RANKED,
            "candidates": MAX_CANDIDATES,
        }
        if self._dialect == "sqlite":
            params["query"] = " ".join(f'"{term}"' for term in terms)
            candidates = (
                f"SELECT rowid AS item_id, -bm25({SEARCH_INDEX}) AS relevance FROM {SEARCH_INDEX} "
                f"WHERE {SEARCH_INDEX} MATCH :query ORDER BY rowid DESC LIMIT :candidates"
            )
        else:
            params["query"] = " & ".join(f"'{term}'" for term in terms)
            candidates = (
                "SELECT item_id, ts_rank(terms, CAST(:query AS tsquery)) AS relevance FROM ("
                f"SELECT item_id, terms FROM {SEARCH_INDEX} WHERE terms @@ CAST(:query AS tsquery) "
                "ORDER BY item_id DESC LIMIT :candidates) AS newest"
            )
        matches = f"SELECT * FROM ({candidates}) AS candidates ORDER BY relevance DESC LIMIT :ranked"
        statement = text(
            "SELECT issues.newsletter_id, issues.number, sections.title, items.title, items.url, "
            "(SELECT COALESCE(SUM(vote_counts.count), 0) FROM vote_counts "
            "WHERE vote_counts.item_id = items.id) AS votes, matches.relevance "
            f"FROM ({matches}) AS matches "
            "JOIN items ON items.id = matches.item_id "
            "JOIN sections ON sections.id = items.section_id "
            "JOIN issues ON issues.id = items.issue_id "
            "WHERE EXISTS (SELECT 1 FROM deliveries WHERE deliveries.issue_id = issues.id) "
            "AND (CAST(:newsletter AS VARCHAR) IS NULL OR issues.newsletter_id = :newsletter) "
            "ORDER BY matches.relevance DESC, votes DESC, issues.number DESC, items.id "
            "LIMIT :limit"
        )
        rows = (await self._session.execute(statement, params)).all()
        return [
            SearchHit(
                newsletter_id=row[0],
                issue_number=row[1],
                section=row[2],
                title=row[3],
                url=row[4],
                votes=int(row[5]),
                relevance=float(row[6]),
            )
            for row in rows
        ]
