"""Database errors reach the core as StorageUnavailable or StorageConflict (storage/errors.py), on a
PostgreSQL cluster of the test's own that it stops and starts, and on SQLite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.ports import StorageConflict, StorageUnavailable
from storage.database import create_engine, ping, upgrade
from storage.orm.suggestions import SuggestionRow
from storage.unit_of_work import make_uow_factory
from tests.fakes import FakeClock, suggestion_of
from tests.private_postgres import PrivatePostgres


async def add(factory, *urls: str, meanwhile: Callable[[], None] | None = None) -> None:
    async with factory() as uow:
        for url in urls:
            await uow.suggestions.add(suggestion_of(url))
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
        await uow.commit()


async def store(factory, row: SuggestionRow) -> None:
    async with factory() as uow:
        uow.session.add(row)
        await uow.commit()


async def test_a_stopped_database_is_unavailable_and_work_resumes_when_it_is_back():
    with PrivatePostgres() as cluster:
        await upgrade(cluster.url)
        engine = create_engine(cluster.url)
        factory = make_uow_factory(engine)
        try:
            async with factory() as uow:
                assert await uow.issues.latest_number() is None
            assert await ping(engine)

            with pytest.raises(StorageUnavailable):  # a transaction open when the server goes away
                await add(factory, "https://example.com/a", "https://example.com/b", meanwhile=cluster.stop)
            with pytest.raises(StorageUnavailable):  # new connections are refused
                await add(factory, "https://example.com/c")
            assert not await ping(engine)

            cluster.start()
            async with factory() as uow:  # the pool recovers by itself
                assert await uow.suggestions.list() == []  # nothing of the cut transaction was stored
                await uow.suggestions.add(suggestion_of("https://example.com/b"))
                await uow.commit()
            assert await ping(engine)
        finally:
            await engine.dispose()


async def test_a_unique_key_lost_to_another_transaction_is_a_conflict(uow_factory):
    def row() -> SuggestionRow:
        return SuggestionRow(
            url="https://example.com/a",
            canonical_url="https://example.com/a",
            status="pending",
            created_at=FakeClock().now(),
            submitter_platform="slack",
            submitter_user_id="U1",
        )

    await store(uow_factory, row())
    with pytest.raises(StorageConflict):
        await store(uow_factory, row())


async def test_errors_that_are_not_the_database_pass_through(uow_factory):
    async def divide() -> None:
        async with uow_factory() as uow:
            await uow.issues.latest_number()
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        await divide()
