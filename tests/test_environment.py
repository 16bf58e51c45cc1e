"""The tests run where a new user's would: a virtual environment built from uv.lock and nothing else.

A package installed on the machine by hand must not be able to hide a missing dependency, and what is
tested must be what a fresh install gets.
"""

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_tests_run_in_a_virtual_environment_that_cannot_see_the_system_packages():
    assert sys.prefix != sys.base_prefix, (
        "run the tests with the README's command (uv run), not system Python"
    )
    config = (Path(sys.prefix) / "pyvenv.cfg").read_text(encoding="utf-8")
    assert re.search(r"^include-system-site-packages\s*=\s*false\s*$", config, re.MULTILINE), config


def test_installed_packages_have_their_requirements():
    result = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_installed_versions_are_the_locked_ones():
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    # A package may be locked at several versions, one per Python range (uv's resolution forks).
    locked: dict[str, set[str]] = {}
    for package in lock["package"]:
        if "version" in package:
            locked.setdefault(normalised(package["name"]), set()).add(package["version"])
    installed = {normalised(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert installed.keys() >= {"slack-bolt", "discord-py", "sqlalchemy", "pytest"}, sorted(installed)
    unlocked = sorted(set(installed) - set(locked))
    assert not unlocked, f"installed but not in uv.lock: {unlocked}"
    differing = {
        name: (version, sorted(locked[name]))
        for name, version in installed.items()
        if version not in locked[name]
    }
    assert not differing, f"installed (left) differs from uv.lock (right): {differing}"
