"""The shared declarative ``Base`` of every table, its naming convention and the UTC timestamp type.

These rows never leave ``storage``: the repositories map them to and from :mod:`bot.model` dataclasses.
Enumerations are stored as their string values (no database enum types, so adding a member needs no
migration). Timestamps are timezone-aware and always come back in UTC, also from SQLite, which stores them
without a zone.

Any change here needs a migration in ``storage/migrations/versions``; ``tests/storage/test_migrations.py``
fails while the migrated schema and this metadata differ.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase

from bot.text import storable

# Constraint names are part of the schema: with a convention every constraint gets a name, the same one on
# every database, so later migrations (SQLite batch mode in particular) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and always returns aware UTC datetimes.

    SQLite keeps no zone, so values are converted to UTC before they are written and marked as UTC when
    read back. A naive datetime given to the database is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)


class CleanString(TypeDecorator[str]):
    """``String`` for text from outside (newsletters, suggestions): what a database cannot keep (NUL,
    lone surrogates) is dropped before it is written, on every database alike."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return storable(value) if isinstance(value, str) else value


class CleanText(CleanString):
    """:class:`CleanString` over ``Text``."""

    impl = Text
    cache_ok = True


def _as_utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC; a naive one is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        str: String(),
        bool: Boolean(),
        int: Integer(),
    }
