"""Engines and migrations: turn a configured database URL into a ready, migrated database.

Supported databases are SQLite (``sqlite:///path/to/digestbot.db``) and PostgreSQL
(``postgresql://user:password@host/db``). The URL people write names no driver; :func:`normalise_url` picks
the async driver the runtime uses and :func:`sync_url` the blocking one the migrations run on.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

SQLITE_BUSY_TIMEOUT_MS = 5000

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision: a database already there is not migrated, and alembic (0.15 s of
# imports on every start) is not loaded. tests/storage/test_migrations.py checks it against the scripts.
HEAD_REVISION = "0009"
# An execution option: this connection only reads, so on SQLite its transactions need no write lock.
_READ_ONLY = "digestbot_read_only"
# pg_advisory_xact_lock key serialising concurrent migrators (several processes starting at once).
_MIGRATION_LOCK_KEY = 0x6469676573  # "diges"

_ASYNC_DRIVERS = frozenset(
    {"sqlite+aiosqlite", "postgresql+psycopg", "postgresql+psycopg_async", "postgresql+asyncpg"}
)


def _parse(url: str | URL) -> URL:
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=backend if "+" not in parsed.drivername else parsed.drivername)


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def normalise_url(url: str) -> str:
    """The async-driver form of a database URL.

    ``sqlite:///x.db`` → ``sqlite+aiosqlite:///x.db``; ``postgresql://`` and ``postgres://`` →
    ``postgresql+psycopg://``. URLs that already name an async driver are returned unchanged.
    """
    parsed = _parse(url)
    if parsed.drivername in _ASYNC_DRIVERS:
        return url
    if parsed.get_backend_name() == "sqlite":
        return _render(parsed.set(drivername="sqlite+aiosqlite"))
    return _render(parsed.set(drivername="postgresql+psycopg"))


def sync_url(url: str | URL) -> str:
    """The blocking-driver form of a database URL, for migrations: ``sqlite:///`` or ``postgresql+psycopg://``."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _render(parsed.set(drivername="sqlite"))
    return _render(parsed.set(drivername="postgresql+psycopg"))


def redact(url: str | URL) -> str:
    """The URL with its password replaced by ``***``: the only form of a database URL that may be logged."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except Exception:  # an unparsable URL may still hold a secret
        return "<unparsable database url>"
    if any(key.lower() == "password" for key in parsed.query):
        parsed = parsed.set(
            query={
                key: ("***" if key.lower() == "password" else value) for key, value in parsed.query.items()
            }
        )
    return parsed.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _ensure_sqlite_directory(url: URL) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _switch_to_wal(cursor: Any) -> None:
    """Put the database file in WAL mode (it stays so), waiting for a lock another connection holds.

    SQLite answers "database is locked" at once to a journal-mode switch, without the busy handler, so
    several processes opening a new database together retry here within the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
        except Exception as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
        else:
            return


def _set_sqlite_pragmas(dbapi_connection: Any, *, foreign_keys: bool) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class _RollingBackConnection(sqlite3.Connection):
    """A SQLite connection that ends its transaction before it closes.

    ``close()`` on a connection that still has a statement alive (a cursor some cancelled task holds)
    does not close it: SQLite keeps it as a zombie, with its transaction and the database's write lock,
    until the last statement goes. A task cancelled mid-query leaves such a cursor behind, and every
    later writer then fails with "database is locked". Rolling back first releases the lock at once.
    """

    def close(self) -> None:
        with suppress(sqlite3.Error):  # closed already, or the disk went away: close anyway
            if self.in_transaction:
                self.rollback()
        super().close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` (normalised with :func:`normalise_url`).

    On SQLite every connection gets ``foreign_keys=ON`` (votes and journal rows cascade with their
    parents), ``journal_mode=WAL`` (readers do not block the writer), ``busy_timeout=5000`` (a writer waits
    for another instead of failing at once) and ``synchronous=NORMAL``; the database file's directory is
    created when missing. Transactions start with ``BEGIN IMMEDIATE``: a unit of work reads, then writes,
    and a lazily begun transaction that another connection wrote past cannot upgrade to a writer (SQLite
    answers "database is locked" at once, without waiting out the busy timeout). A connection rolls back
    before it closes (see ``_RollingBackConnection``).
    """
    async_url = make_url(normalise_url(url))
    if async_url.get_backend_name() == "sqlite":
        _ensure_sqlite_directory(async_url)
        kwargs["connect_args"] = {"factory": _RollingBackConnection, **kwargs.get("connect_args", {})}
        engine = create_async_engine(async_url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            _set_sqlite_pragmas(dbapi_connection, foreign_keys=True)
            dbapi_connection.isolation_level = None  # the "begin" listener below emits BEGIN

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Connection) -> None:
            if not connection.get_execution_options().get(_READ_ONLY):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "connect_timeout" not in async_url.query:  # a host that went away must not hang every vote
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return create_async_engine(async_url, **kwargs)


async def ping(engine: AsyncEngine, *, within: float = 2.0) -> bool:
    """Whether the database answers ``SELECT 1`` within ``within`` seconds (for ``/healthz``)."""
    try:
        async with asyncio.timeout(within), engine.connect() as connection:
            # On SQLite, no BEGIN IMMEDIATE: a probe must not wait for (or hold up) the writer.
            await connection.execution_options(**{_READ_ONLY: True})
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to answer is the answer
        return False
    return True


def create_sync_engine(url: str | URL) -> Engine:
    """A blocking engine for migrations and maintenance.

    On SQLite, foreign keys stay OFF here on purpose: Alembic's batch mode recreates a table by copying
    and dropping it, and with foreign keys on, dropping ``items`` would cascade into ``votes``. Every
    transaction starts with ``BEGIN IMMEDIATE`` (instead of pysqlite's lazy, DDL-less transactions), so a
    migration is atomic and two processes migrating at once take turns.
    """
    parsed = make_url(sync_url(url))
    if parsed.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(parsed, pool_pre_ping=True)
    _ensure_sqlite_directory(parsed)
    engine = sqlalchemy.create_engine(parsed, poolclass=sqlalchemy.pool.NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" listener below emit BEGIN
        _set_sqlite_pragmas(dbapi_connection, foreign_keys=False)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration built in code: no ``alembic.ini`` is needed at runtime.

    With ``connection``, ``env.py`` migrates on it inside the caller's transaction.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_connection(url: str | URL) -> Iterator[Connection]:
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held until commit: a second process starting at the same time waits, then finds head.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            yield connection
    finally:
        engine.dispose()


def upgrade_sync(url: str | URL, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest), in one transaction.

    Safe to run on every start: at head it only reads the version table.
    """
    with _migration_connection(url) as connection:
        if revision == "head" and _stored_revision(connection) == HEAD_REVISION:
            return
        from alembic import command

        log.info("Migrating database %s to %s", redact(url), revision)
        command.upgrade(alembic_config(connection), revision)


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """:func:`upgrade_sync` in a worker thread, so the event loop keeps running."""
    await asyncio.to_thread(upgrade_sync, url, revision)


def current_revision(url: str | URL) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision the migrations in this package define."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
