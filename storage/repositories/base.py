"""What every repository shares: its session and dialect, the dialect's ``INSERT ... ON CONFLICT``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.model import Platform
from bot.urls import canonical_url
from storage.orm.base import Base

# Platforms whose message ids are unique across all channels (Discord ids are snowflakes). Elsewhere
# (Slack: a ``ts`` is only unique in its channel) a message is found by channel and id together.
GLOBALLY_UNIQUE_MESSAGE_IDS = frozenset({Platform.DISCORD})


def _insert(dialect: str, entity: type[Base]) -> sqlite.Insert | postgresql.Insert:
    if dialect == "postgresql":
        return postgresql.insert(entity)
    if dialect == "sqlite":
        return sqlite.insert(entity)
    raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}")


def _rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched. (Not for INSERT: psycopg reports -1 there; use RETURNING.)"""
    return int(result.rowcount)


def _canonical(url: str | None) -> str | None:
    return canonical_url(url) if url else None


def _now() -> datetime:
    return datetime.now(UTC)


class _Repository:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def _insert_new(self, entity: type[Base], unique: list[str], **values: Any) -> bool:
        """Insert a row unless one with the same ``unique`` columns is there (``INSERT ... ON CONFLICT DO
        NOTHING``); whether it inserted one, which ``RETURNING`` tells on every dialect."""
        statement = (
            _insert(self._dialect, entity)
            .values(**values)
            .on_conflict_do_nothing(index_elements=unique)
            .returning(*inspect(entity).primary_key)
        )
        return (await self._session.execute(statement)).first() is not None
