"""A bounded, durable local queue of records (``bot.community.outage.Spool``) in a SQLite file of its own.

Reactions the database could not take wait here through an outage, in order: every append is committed
with ``synchronous=FULL`` (fsync'd) before it returns, so a crash after it loses nothing, and the file is
replayed on start. The file is created on the first append and removed once it is empty again. At most
``max_bytes`` of records are kept: an append past that is refused whole (the caller logs and counts it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

FILE_NAME = "votes-spool.sqlite3"


class FileSpool:
    def __init__(self, directory: str | Path, *, max_bytes: int) -> None:
        self.path = Path(directory).expanduser() / FILE_NAME
        self.max_bytes = max_bytes
        self._count = 0
        self._bytes = 0
        self._lock = asyncio.Lock()  # one thread at a time on the connection

    @property
    def count(self) -> int:
        """Records in the spool (as of the last open, append or removal)."""
        return self._count

    @property
    def size(self) -> int:
        """Bytes of records in the spool."""
        return self._bytes

    async def open(self) -> int:
        """Read what a previous run left (the records to replay); how many there are."""
        async with self._lock:
            self._count, self._bytes = await asyncio.to_thread(self._measure)
        return self._count

    async def append(self, records: Sequence[str]) -> bool:
        """Store ``records`` after the others, durably; False (nothing stored) when they do not fit."""
        size = sum(len(record.encode()) for record in records)
        if not records:
            return True
        if self._bytes + size > self.max_bytes:
            return False
        async with self._lock:
            await asyncio.to_thread(self._append, records)
            self._count += len(records)
            self._bytes += size
        return True

    async def peek(self, limit: int) -> list[tuple[int, str]]:
        """The oldest ``limit`` records with their sequence numbers."""
        async with self._lock:
            if not self.path.exists():
                return []
            return await asyncio.to_thread(self._peek, limit)

    async def remove_through(self, sequence: int) -> None:
        """Forget the records up to ``sequence`` (stored in the database now)."""
        async with self._lock:
            self._count, self._bytes = await asyncio.to_thread(self._remove_through, sequence)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)"
        )
        return connection

    def _measure(self) -> tuple[int, int]:
        if not self.path.exists():
            return 0, 0
        with closing(self._connect()) as connection:
            return _measure(connection)

    def _append(self, records: Sequence[str]) -> None:
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT INTO spool (record) VALUES (?)", [(r,) for r in records])
            connection.execute("COMMIT")

    def _peek(self, limit: int) -> list[tuple[int, str]]:
        with closing(self._connect()) as connection:
            rows = connection.execute("SELECT seq, record FROM spool ORDER BY seq LIMIT ?", (limit,))
            return [(int(seq), str(record)) for seq, record in rows]

    def _remove_through(self, sequence: int) -> tuple[int, int]:
        with closing(self._connect()) as connection:
            connection.execute("DELETE FROM spool WHERE seq <= ?", (sequence,))
            count, size = _measure(connection)
        if count == 0:
            self.path.unlink(missing_ok=True)  # an empty spool leaves nothing behind
        return count, size


def _measure(connection: sqlite3.Connection) -> tuple[int, int]:
    count, size = connection.execute(
        "SELECT count(*), coalesce(sum(length(CAST(record AS BLOB))), 0) FROM spool"
    ).fetchone()
    return int(count), int(size)
