"""Database errors translated into the core's two kinds: :class:`bot.ports.StorageUnavailable` (wait for
the database and try again) and :class:`bot.ports.StorageConflict` (a concurrent transaction won)."""

from __future__ import annotations

import sqlalchemy.exc

from bot.ports import StorageConflict, StorageError, StorageUnavailable

# PostgreSQL SQLSTATE classes and codes: 08 connection exceptions, 57P01-57P03 admin/crash shutdown and
# "cannot connect now" (starting up), 53300 too many connections; 40 transaction rollbacks (serialisation
# failure, deadlock), 55P03 lock not available.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
_CONFLICT_STATES = ("40", "55P03")
_SQLITE_CONFLICT = ("database is locked", "database table is locked", "busy")
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error", "database disk image is malformed")


def storage_error(error: BaseException) -> StorageError | None:
    """The core's kind of ``error``, or None when it is neither (a bug, a constraint of the schema)."""
    if isinstance(error, StorageError):
        return None
    if isinstance(error, ConnectionError | TimeoutError):  # raw socket errors the driver let through
        return StorageUnavailable(_describe(error))
    if not isinstance(error, sqlalchemy.exc.SQLAlchemyError):
        return None
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return StorageUnavailable(_describe(error))
    if isinstance(error, sqlalchemy.exc.TimeoutError):  # no pooled connection freed up in time
        return StorageUnavailable(_describe(error))
    original = getattr(error, "orig", None)
    state = str(getattr(original, "sqlstate", None) or "")
    if state.startswith(_CONFLICT_STATES) or isinstance(error, sqlalchemy.exc.IntegrityError):
        return StorageConflict(_describe(error))
    if state.startswith(_UNAVAILABLE_STATES):
        return StorageUnavailable(_describe(error))
    message = str(original or error).lower()
    if isinstance(error, sqlalchemy.exc.OperationalError):
        if any(text in message for text in _SQLITE_CONFLICT):
            return StorageConflict(_describe(error))
        if not state or any(text in message for text in _SQLITE_UNAVAILABLE):
            return StorageUnavailable(_describe(error))  # psycopg: could not connect, server closed
    if isinstance(error, sqlalchemy.exc.InterfaceError):  # the connection is closed
        return StorageUnavailable(_describe(error))
    return None


def _describe(error: BaseException) -> str:
    """One line: the driver's first line of the error, without SQLAlchemy's SQL and background link."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}".strip()
