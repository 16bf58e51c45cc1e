"""Search: an index of every item's terms (title, blurb, section), filled for the items already stored.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

SQLite gets an FTS5 table, PostgreSQL a table of ``tsvector`` with a GIN index; both hold the terms of
``bot.search.index_terms`` (CJK as characters and pairs), so the two databases find the same items.
The index is not in the ORM (see storage/repositories/search.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.search import document

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE item_search USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0')")
        insert = sa.text("INSERT INTO item_search (rowid, terms) VALUES (:id, :terms)")
    else:
        op.execute(
            "CREATE TABLE item_search (item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE, "
            "terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_item_search_terms ON item_search USING gin (terms)")
        insert = sa.text(
            "INSERT INTO item_search (item_id, terms) VALUES (:id, array_to_tsvector(string_to_array(:terms, ' ')))"
        )
    rows = bind.execute(
        sa.text(
            "SELECT items.id, items.title, items.blurb, sections.title FROM items "
            "JOIN sections ON sections.id = items.section_id ORDER BY items.id"
        )
    ).all()
    for start in range(0, len(rows), BATCH):
        entries = [{"id": r[0], "terms": document(r[1], r[2], r[3])} for r in rows[start : start + BATCH]]
        bind.execute(insert, entries)


def downgrade() -> None:
    op.execute("DROP TABLE item_search")
