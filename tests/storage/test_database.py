import pytest
from sqlalchemy import text

from storage.database import create_engine, normalise_url, redact, sync_url
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
