"""What every benchmark does around its measurement: the example issue, ``digestbot`` commands and
``digestbot run`` as processes of their own, a synchronous database URL. (Free ports and waiting for a
server: :mod:`tests.emulators.processes`, shared with the tests.)"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.private_postgres import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "deep-learning-weekly-195.txt"


def sync_url(url: str) -> str:
    """The database URL for SQLAlchemy's synchronous engine (psycopg 3 for PostgreSQL)."""
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


def digestbot_env(config_path: Path | str) -> dict[str, str]:
    """The environment of a ``digestbot`` process on this checkout with that config."""
    return {**os.environ, "DIGESTBOT_CONFIG": str(config_path), "PYTHONPATH": str(ROOT)}


async def run_cli(env: dict[str, str], *args: str) -> None:
    """Run ``digestbot ARGS`` to its end; a failure ends the benchmark with its stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"digestbot {' '.join(args)} failed:\n{err.decode()}")


async def start_bot(env: dict[str, str], *options: str) -> asyncio.subprocess.Process:
    """``digestbot [OPTIONS] run`` in the background, its stderr piped for the caller to read."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *options, "run", env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def database_benchmark_main(
    doc: str | None,
    run: Callable[[str, int, int], Awaitable[float]],
    *,
    size: tuple[str, int],
    bound: float,
    file_name: str,
) -> None:
    """The command line of a benchmark run on SQLite and, where a server is given, PostgreSQL:
    ``run(url, size, runs)`` returns its worst figure in seconds; the exit status says whether every
    database kept under ``bound``. ``size`` is the option that sets how much data (``("--votes", N)``)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(size[0], type=int, default=size[1], dest="size", metavar=size[0].lstrip("-").upper())
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DIGESTBOT_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to create the benchmark database on (default: a SQLite file only)",
    )
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite:", flush=True)
        results["sqlite"] = asyncio.run(run(f"sqlite:///{folder}/{file_name}", args.size, args.runs))
    if args.database_url and not args.sqlite_only:
        with throwaway_database(args.database_url, prefix="digestbot_bench") as url:
            print("PostgreSQL:", flush=True)
            results["postgresql"] = asyncio.run(run(url, args.size, args.runs))
    sys.exit(0 if all(worst < bound for worst in results.values()) else 1)
