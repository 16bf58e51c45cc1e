"""The leaderboard of an issue with 1,000,000 votes: how long ``digestbot votes N`` takes to rank it.

Creates a database of its own (a temporary SQLite file, or a new PostgreSQL database on the server named
by ``--database-url`` / ``$DIGESTBOT_TEST_POSTGRES_URL``, dropped afterwards), migrates it, ingests an
issue of 40 items in 4 sections, bulk-loads the votes (SQLite: one ``executemany`` transaction;
PostgreSQL: ``COPY``), 10% of them withdrawn (inactive rows, as real withdrawals leave), rebuilds the
per-item vote counts from them (what the migration does for existing votes), then votes and withdraws a
few through the repository (which keeps the counts up to date) and times the leaderboard the way
``digestbot votes N`` builds it (``bot.community.leaderboard.issue_leaderboard``). It checks the result against a
``GROUP BY`` over the votes themselves. Target: under 100 ms.

    python benchmarks/leaderboard.py [--votes 1000000] [--runs 20]
                                     [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import database_benchmark_main
from bot.community.leaderboard import issue_leaderboard
from bot.config import VotesConfig
from bot.emoji import normalise_emoji
from bot.model import Issue, Item, Platform, Section, Vote
from storage.database import create_engine, upgrade
from storage.repositories.votes import SqlVoteRepository
from storage.unit_of_work import make_uow_factory

ISSUE = 300
EMOJI = tuple(normalise_emoji(name) for name in ("+1", "fire", "heart", "tada"))
PLATFORMS = ("slack", "discord")
POLICY = VotesConfig(emoji={"+1": 1, "fire": 2, "heart": 1, "tada": 1})


def make_issue() -> Issue:
    sections = [
        Section(
            f"Section {s}", items=[Item(f"Item {s}.{i}", f"https://example.com/{s}/{i}") for i in range(10)]
        )
        for s in range(4)
    ]
    sections[0].items[0].sponsored = True
    issue = Issue(title="Benchmark issue", number=ISSUE, sections=sections)
    issue.renumber()
    return issue


def vote_rows(item_ids: list[int], count: int) -> list[tuple[object, ...]]:
    """Votes spread unevenly over the items (earlier items get more), 10% withdrawn."""
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).isoformat()
    rows = []
    n_items = len(item_ids)
    for n in range(count):
        item = item_ids[(n * n) % n_items] if n % 3 else item_ids[n % n_items]
        rows.append(
            (
                item,
                PLATFORMS[(n // 7) % 2],
                f"U{n:07d}",
                EMOJI[(n // 2) % 4],
                "C0BENCH",
                now,
                n % 10 != 0,
                now,
            )
        )
    return rows


COLUMNS = "item_id, platform, user_id, emoji, channel_id, created_at, active, changed_at"


def load_sqlite(path: str, rows: list[tuple[object, ...]]) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        with connection:
            connection.executemany(f"INSERT INTO votes ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute("ANALYZE")
    finally:
        connection.close()


def load_postgres(url: str, rows: list[tuple[object, ...]]) -> None:
    import psycopg

    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor, cursor.copy(f"COPY votes ({COLUMNS}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join("t" if v is True else "f" if v is False else str(v) for v in row))
                buffer.write("\n")
                if buffer.tell() > 1 << 20:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        connection.execute("ANALYZE votes")
        connection.commit()


async def run(url: str, votes: int, runs: int) -> float:
    await upgrade(url)
    engine = create_engine(url)
    uow_factory = make_uow_factory(engine)
    try:
        async with uow_factory() as uow:
            await uow.issues.save(make_issue(), now=datetime.now(UTC))
            await uow.commit()
        async with engine.connect() as connection:
            from sqlalchemy import text

            item_ids = [row[0] for row in await connection.execute(text("SELECT id FROM items ORDER BY id"))]
        rows = vote_rows(item_ids, votes)
        started = time.perf_counter()
        if url.startswith("sqlite"):
            await asyncio.to_thread(load_sqlite, url.removeprefix("sqlite:///"), rows)
        else:
            await asyncio.to_thread(load_postgres, url, rows)
        async with uow_factory() as uow:
            assert isinstance(uow.votes, SqlVoteRepository)
            await uow.votes.rebuild_counts()
            await uow.commit()
        print(f"loaded {votes:,} votes in {time.perf_counter() - started:.1f}s", flush=True)

        issue = make_issue()
        key = issue.sections[1].items[3].key
        async with uow_factory() as uow:  # live votes keep the counts current
            now = datetime.now(UTC)
            for n in range(5):
                live = Vote(ISSUE, key, Platform.SLACK, f"LIVE{n}", EMOJI[1], "C0BENCH")
                await uow.votes.add(live, now=now)
            await uow.votes.remove(Vote(ISSUE, key, Platform.SLACK, "LIVE0", EMOJI[1]), now=now)
            await uow.commit()

        timings = []
        board = None
        for _ in range(runs):
            started = time.perf_counter()
            board = await issue_leaderboard(uow_factory, POLICY, ISSUE)
            timings.append(time.perf_counter() - started)
        assert board is not None

        async with engine.connect() as connection:
            from sqlalchemy import text

            expected: dict[str, float] = {}
            weights = POLICY.emoji
            grouped = await connection.execute(
                text(
                    "SELECT items.key, votes.emoji, COUNT(*) FROM votes JOIN items ON items.id = votes.item_id "
                    "WHERE votes.active GROUP BY items.key, votes.emoji"
                )
            )
            for item_key, emoji, count in grouped:
                expected[item_key] = expected.get(item_key, 0) + weights[emoji] * count
        got = {s.key: s.score for s in board.overall}
        wrong = [k for k, v in got.items() if v != expected.get(k, 0)]
        assert not wrong, f"leaderboard differs from GROUP BY for {len(wrong)} items: " + str(
            [(k, got[k], expected.get(k)) for k in wrong][:3]
        )
        top = board.overall[0]
        print(f"top item: {top.title} with {top.score:g} ({dict(top.by_platform)})")
        first, median, worst = timings[0], statistics.median(timings), max(timings)
        print(
            f"leaderboard of an issue with {votes:,} votes: first {first * 1000:.1f} ms, "
            f"median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms over {runs} runs "
            f"(target < 100 ms): {'OK' if worst < 0.1 else 'TOO SLOW'}"
        )
        return worst
    finally:
        await engine.dispose()


def main() -> None:
    database_benchmark_main(__doc__, run, size=("--votes", 1_000_000), bound=0.1, file_name="leaderboard.db")


if __name__ == "__main__":
    main()
