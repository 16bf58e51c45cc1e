"""Search over 100,000 posted items: how long ``/digest search`` and ``digestbot search`` take to answer.

Creates a database of its own (a temporary SQLite file, and, with ``--database-url`` /
``$DIGESTBOT_TEST_POSTGRES_URL``, a new PostgreSQL database on that server, dropped afterwards), migrates
it, saves issues through the repository (which writes the search index, as ingest does) until it holds
``--items`` items with varied English titles and blurbs and one in ten in Chinese, marks them posted,
and times queries of each kind through the unit of work the commands use: a common word, a rare one,
two words, a Chinese word, one that matches nothing. The bound is the issue's: under 50 ms; the ratio
printed is p95 / 50 ms (under 1 meets it).

    python benchmarks/search.py [--items 100000] [--runs 20]
                                [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text

from benchmarks.harness import database_benchmark_main
from bot.model import Issue, Item, Section
from bot.search import query_terms
from storage.database import create_engine, upgrade
from storage.unit_of_work import make_uow_factory

BOUND_SECONDS = 0.050
ITEMS_PER_ISSUE = 500
WORDS = [
    "model",
    "learning",
    "data",
    "training",
    "network",
    "neural",
    "transformer",
    "attention",
    "vision",
    "language",
    "graph",
    "sparse",
    "dense",
    "optimizer",
    "gradient",
    "benchmark",
    "dataset",
    "inference",
    "quantization",
    "diffusion",
    "agent",
    "reasoning",
    "robot",
    "speech",
    "audio",
    "video",
    "retrieval",
    "embedding",
    "kernel",
    "compiler",
    "cluster",
    "memory",
    "latency",
    "throughput",
]
RARE = "zyxwvutonic"
CHINESE = [
    "深度学习",
    "机器学习",
    "自然语言处理",
    "计算机视觉",
    "强化学习",
    "大模型",
    "推理",
    "训练",
    "数据集",
    "框架",
    "开源",
    "发布",
]
QUERIES = {
    "common word": "learning",
    "rare word": RARE,
    "two words": "sparse attention",
    "Chinese word": "学习",
    "no hit": "nonexistentterm",
}


def make_issue(number: int, rng: random.Random) -> Issue:
    sections = []
    for s in range(5):
        items = []
        for i in range(ITEMS_PER_ISSUE // 5):
            if rng.random() < 0.1:
                title = "".join(rng.sample(CHINESE, 3)) + "的新进展"
                blurb = "".join(rng.sample(CHINESE, 5)) + "。"
            else:
                title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
                blurb = " ".join(rng.choice(WORDS) for _ in range(40)) + "."
            if number == 1 and s == 0 and i == 0:
                title += f" {RARE}"
            items.append(Item(title, f"https://example.com/{number}/{s}/{i}", blurb))
        sections.append(Section(f"Section {s}", items=items))
    issue = Issue(title=f"Benchmark weekly #{number}", number=number, sections=sections)
    issue.renumber()
    return issue


async def run(url: str, items: int, runs: int) -> float:
    await upgrade(url)
    engine = create_engine(url)
    uow_factory = make_uow_factory(engine)
    rng = random.Random(195)
    try:
        started = time.perf_counter()
        for number in range(1, items // ITEMS_PER_ISSUE + 1):
            async with uow_factory() as uow:
                await uow.issues.save(make_issue(number, rng), now=datetime.now(UTC))
                await uow.commit()
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO deliveries (issue_id, channel_name, platform, channel_id, state, started_at) "
                    "SELECT id, 'bench', 'slack', 'C0BENCH', 'complete', :now FROM issues"
                ),
                {"now": datetime.now(UTC)},
            )
            await connection.execute(text("ANALYZE"))
        print(f"saved and indexed {items:,} items in {time.perf_counter() - started:.0f}s", flush=True)

        worst_p95 = 0.0
        for kind, query in QUERIES.items():
            terms = query_terms(query)
            timings, hits = [], []
            for _ in range(runs):
                started = time.perf_counter()
                async with uow_factory() as uow:
                    hits = await uow.search.search(terms, limit=10)
                timings.append(time.perf_counter() - started)
            timings.sort()
            p50, p95 = statistics.median(timings), timings[math.ceil(len(timings) * 0.95) - 1]
            worst_p95 = max(worst_p95, p95)
            print(
                f"  {kind:<13} {query!r:<20} {len(hits):>2} hits  p50 {p50 * 1000:6.1f} ms  "
                f"p95 {p95 * 1000:6.1f} ms  ratio {p95 / BOUND_SECONDS:.2f}",
                flush=True,
            )
            if kind == "rare word":
                assert len(hits) == 1, hits
            if kind == "no hit":
                assert not hits
        print(f"  worst p95 {worst_p95 * 1000:.1f} ms: ratio {worst_p95 / BOUND_SECONDS:.2f} of 50 ms")
        return worst_p95
    finally:
        await engine.dispose()


def main() -> None:
    database_benchmark_main(
        __doc__, run, size=("--items", 100_000), bound=BOUND_SECONDS, file_name="search.db"
    )


if __name__ == "__main__":
    main()
