"""A unit of work cancelled at any moment (a lost lease, a stop, a drain that timed out) leaves nothing
half-stored and does not keep the database from the next writer.

On SQLite, a connection closed while a cancelled task still held one of its cursors used to stay open as
a zombie with its transaction, holding the write lock: every later vote and suggestion then failed with
"database is locked" until the process restarted.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.fakes import suggestion_of

CANCELLED_UNITS = 300


def another_connection_can_write(database_url: str) -> bool:
    path = make_url(database_url).database
    assert path is not None
    connection = sqlite3.connect(Path(path), timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
    return True


async def test_units_of_work_cancelled_mid_query_store_all_or_nothing_and_release_the_database(
    uow_factory, database_url
):
    async def suggest(number: int) -> None:
        async with uow_factory() as uow:
            await uow.suggestions.add(suggestion_of(f"https://example.org/{number}", f"U{number}"))
            await uow.commit()

    chance = random.Random(195)
    on_sqlite = database_url.startswith("sqlite")
    for number in range(CANCELLED_UNITS):
        work = asyncio.create_task(suggest(number))
        await asyncio.sleep(chance.uniform(0, 0.006))  # anywhere from before BEGIN to after COMMIT
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        if on_sqlite:
            assert another_connection_can_write(database_url), f"database left locked by unit {number}"

    await suggest(CANCELLED_UNITS)  # the next writer is not refused
    async with uow_factory() as uow:
        stored = await uow.suggestions.list()
    assert f"https://example.org/{CANCELLED_UNITS}" in {s.url for s in stored}
    for kept in stored:  # each one whole: the suggestion and its submitter, never one without the other
        assert [s.user_id for s in kept.supporters] == [f"U{kept.url.rsplit('/', 1)[1]}"]
