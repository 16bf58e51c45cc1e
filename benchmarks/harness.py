"""What every benchmark does around its measurement: the example issue, ``digestbot`` commands and
``digestbot run`` as processes of their own, a synchronous database URL. (Free ports and waiting for a
server: :mod:`tests.emulators.processes`, shared with the tests.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

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


@contextlib.contextmanager
def throwaway_postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the PostgreSQL server of ``server_url`` for one benchmark, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(server_url).set(drivername="postgresql")
    admin = server.render_as_string(hide_password=False)
    name = f"digestbot_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
