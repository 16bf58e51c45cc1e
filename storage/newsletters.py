"""``digestbot db rename-newsletter``: move every row of one newsletter id to another.

A database upgraded by migration 0008 holds its issues as newsletter ``default``; a config that calls that
newsletter by another id moves them once with this. Everything keyed by the id moves in one transaction.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import URL

from storage.database import create_sync_engine

NEWSLETTER_TABLES = ("issues", "suggestions", "schedule_runs", "delivery_claims", "results_posts")


class NewsletterInUse(Exception):
    """The new id already has issues: the two newsletters' numbers could collide."""


def rename_newsletter_sync(url: str | URL, old: str, new: str) -> dict[str, int]:
    """Rows moved per table; raises :class:`NewsletterInUse` when ``new`` already has issues."""
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            taken = connection.execute(
                text("SELECT COUNT(*) FROM issues WHERE newsletter_id = :new"), {"new": new}
            ).scalar_one()
            if taken:
                raise NewsletterInUse(f"newsletter {new!r} already has {taken} issue(s); nothing was moved")
            return {
                table: connection.execute(
                    text(f"UPDATE {table} SET newsletter_id = :new WHERE newsletter_id = :old"),
                    {"old": old, "new": new},
                ).rowcount
                for table in NEWSLETTER_TABLES
            }
    finally:
        engine.dispose()


async def rename_newsletter(url: str | URL, old: str, new: str) -> dict[str, int]:
    return await asyncio.to_thread(rename_newsletter_sync, url, old, new)
