import asyncio
import logging
import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from storage.database import (
    HEAD_REVISION,
    create_sync_engine,
    current_revision,
    head_revision,
    upgrade,
    upgrade_sync,
)
from storage.orm import Base
from storage.repositories.search import is_search_index_table


def schema_differences(url):
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            opts = {"compare_type": True, "include_name": leave_out_the_search_index}
            context = MigrationContext.configure(connection, opts=opts)
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def leave_out_the_search_index(name, type_, parent_names):
    return not (type_ == "table" and is_search_index_table(name))


def table_names(url):
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return {t for t in inspect(connection).get_table_names() if not is_search_index_table(t)}
    finally:
        engine.dispose()


async def test_upgrade_creates_the_schema_and_is_a_no_op_when_current(database_url):
    assert current_revision(database_url) is None
    await upgrade(database_url)
    assert current_revision(database_url) == head_revision() is not None
    tables = table_names(database_url)
    assert tables == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
    await upgrade(database_url)  # every start migrates: at head nothing happens
    assert current_revision(database_url) == head_revision()
    assert table_names(database_url) == tables


def test_the_head_revision_known_without_alembic_is_the_scripts_head():
    assert head_revision() == HEAD_REVISION


async def test_the_migrated_schema_matches_the_orm(database_url):
    await upgrade(database_url)
    assert schema_differences(database_url) == []


async def test_the_comparison_would_notice_a_drift(database_url):
    await upgrade(database_url)
    engine = create_sync_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_items_canonical_url"))
    engine.dispose()
    differences = schema_differences(database_url)
    assert [d[0] for d in differences] == ["add_index"]


def test_migrating_from_several_processes_at_once_is_safe(database_url):
    errors = []

    def migrate():
        try:
            upgrade_sync(database_url)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert current_revision(database_url) == head_revision()


async def test_upgrade_runs_while_the_event_loop_keeps_going(database_url):
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await upgrade(database_url)
    ticker.cancel()
    assert ticks > 1


async def test_migrating_never_logs_the_password(postgres_database, caplog):
    """Only PostgreSQL URLs carry a password (skipped, like every PostgreSQL test, without a server)."""
    url = make_url(postgres_database)
    with_password = url.set(password="hunter2").render_as_string(hide_password=False)  # trust auth ignores it
    with caplog.at_level(logging.DEBUG):
        await upgrade(with_password)
    assert "Migrating database" in caplog.text
    assert "hunter2" not in caplog.text
