"""A PostgreSQL cluster of a test's own, which the test may stop and start (a database outage) without
touching the shared server: ``initdb`` into a temporary directory, ``pg_ctl`` on a free port.

    with PrivatePostgres() as cluster:   # skips the test where initdb/pg_ctl are not installed
        url = cluster.url                # postgresql://postgres@127.0.0.1:<port>/postgres
        cluster.stop(); cluster.start()

Run as root (as in CI containers), the cluster runs as the ``postgres`` user, since PostgreSQL refuses
to run as root.

On a server already running (the one ``DIGESTBOT_TEST_POSTGRES_URL`` names), :func:`throwaway_database`
gives a test or a benchmark a database of its own, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from tests.emulators.processes import free_port


@contextlib.contextmanager
def throwaway_database(server_url: str, *, prefix: str = "digestbot_test") -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url`` (its ``postgresql://`` URL);
    dropped afterwards, even while connections to it are open."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(server_url).set(drivername="postgresql")
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SEARCH = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def postgres_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: on PATH, else where Debian installs them."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    for directory in SEARCH:
        if (Path(directory) / "initdb").is_file() and (Path(directory) / "pg_ctl").is_file():
            return Path(directory)
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        binaries = postgres_binaries()
        if binaries is None:
            pytest.skip("initdb/pg_ctl are not installed: no private PostgreSQL cluster")
        self._bin = binaries
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._root = Path(tempfile.mkdtemp(prefix="digestbot-pg-"))
        self._data = self._root / "data"
        self._log = self._root / "postgres.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root with no postgres user to run a private cluster as")
            os.chown(self._root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as, str(self._bin / tool), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}\n{log}")

    def __enter__(self) -> PrivatePostgres:
        self._run(
            "initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self.start()
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-D", str(self._data), "-l", str(self._log), "-o", options)

    def stop(self) -> None:
        """Stop at once, as an outage does: sessions are cut, new connections refused."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self._data))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if (self._data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self._data))
        finally:
            shutil.rmtree(self._root, ignore_errors=True)
