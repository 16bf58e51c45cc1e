"""Fixtures shared by every test module.

Databases: ``database_url`` runs a test on SQLite (a file in ``tmp_path``) and, when
``DIGESTBOT_TEST_POSTGRES_URL`` names a PostgreSQL server, again on a fresh PostgreSQL database of its own
(created from that URL and dropped afterwards). ``uow_factory`` migrates that database and gives
``bot.ports.UnitOfWorkFactory``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from storage.database import create_engine, upgrade
from storage.unit_of_work import SqlUnitOfWork, make_uow_factory
from tests.private_postgres import throwaway_database

# tests.tables asserts on behalf of the test modules: pytest shows what its asserts compared
pytest.register_assert_rewrite("tests.tables")

POSTGRES_URL_VARIABLE = "DIGESTBOT_TEST_POSTGRES_URL"

# ---------------------------------------------------------------------------------------------- databases


def _database_params() -> list[object]:
    postgres_url = os.environ.get(POSTGRES_URL_VARIABLE)
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not postgres_url, reason=f"{POSTGRES_URL_VARIABLE} is not set"),
            ],
        ),
    ]


@pytest.fixture
def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    return url


@pytest.fixture
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (``postgresql://`` URL); dropped afterwards."""
    with throwaway_database(postgres_server_url) as url:
        yield url


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, not migrated: ``sqlite:///…`` or ``postgresql://…`` (the configured form)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digestbot.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[Callable[[], SqlUnitOfWork]]:
    """A ``UnitOfWorkFactory`` on ``database_url``, migrated to head."""
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        yield make_uow_factory(engine)
    finally:
        await engine.dispose()
