import sqlite3

import pytest
from sqlalchemy import text

from storage.database import create_engine, normalise_url, ping, redact, sync_url, upgrade
from storage.unit_of_work import make_uow_factory
from tests.tables import table_test

test_normalise_url_picks_the_async_driver = table_test(
    normalise_url,
    [
        ("sqlite:///digestbot.db", "sqlite+aiosqlite:///digestbot.db"),
        ("sqlite:////var/lib/digestbot/db.sqlite", "sqlite+aiosqlite:////var/lib/digestbot/db.sqlite"),
        ("postgresql://bot:secret@db:5432/digestbot", "postgresql+psycopg://bot:secret@db:5432/digestbot"),
        ("postgres://bot@db/digestbot", "postgresql+psycopg://bot@db/digestbot"),
        ("postgresql+psycopg://bot@db/digestbot", "postgresql+psycopg://bot@db/digestbot"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://bot@db/digestbot", "postgresql+asyncpg://bot@db/digestbot"),
    ],
)


def test_sync_url_picks_the_blocking_driver():
    assert sync_url("sqlite+aiosqlite:///x.db") == "sqlite:///x.db"
    assert sync_url("postgres://bot@db/digestbot") == "postgresql+psycopg://bot@db/digestbot"


def test_other_databases_are_refused():
    with pytest.raises(ValueError, match="mysql"):
        normalise_url("mysql://bot@db/digestbot")


def test_redact_hides_passwords():
    assert redact("postgresql://bot:s3cr%40t@db/digestbot") == "postgresql://bot:***@db/digestbot"
    assert "hunter2" not in redact("postgresql://bot@db/digestbot?password=hunter2")
    assert redact("sqlite:///digestbot.db") == "sqlite:///digestbot.db"
    assert "secret" not in redact("not a url :secret@")


async def test_sqlite_connections_have_the_pragmas_on(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'digestbot.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
            assert (await connection.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL
    finally:
        await engine.dispose()
    assert (tmp_path / "new" / "dir" / "digestbot.db").exists()


async def test_deleting_an_item_deletes_its_votes(uow_factory):
    from bot.model import Platform, Vote
    from tests.storage.samples import NOW, sample_issue

    issue = sample_issue()
    async with uow_factory() as uow:
        await uow.issues.save(issue, now=NOW)
        await uow.votes.add(Vote(195, issue.items[0].key, Platform.SLACK, "U1", "+1"), now=NOW)
        await uow.session.execute(text("DELETE FROM issues"))
        assert (await uow.session.execute(text("SELECT count(*) FROM votes"))).scalar() == 0


async def test_health_ping_answers_while_a_writer_holds_the_sqlite_write_lock(tmp_path):
    # /healthz pings once a second: it must not say "database unreachable" (nor keep the supervisor
    # waiting out the busy timeout) because a long ingest or another replica is writing.
    path = tmp_path / "digestbot.db"
    await upgrade(f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert await ping(engine, within=1.0)
        other.execute("ROLLBACK")
        async with make_uow_factory(engine)() as uow:  # a unit of work still writes alone
            await uow.session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        await engine.dispose()
