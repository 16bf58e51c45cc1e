"""How fast ``digestbot`` answers: medians of whole-process runs, beside ``python -c pass`` as the floor.

    uv run python benchmarks/cli_startup.py [--runs 5]

Each command runs once to warm the file cache and the bytecode cache, then ``--runs`` times; the median
wall time of those is compared with its target. ``post`` runs in a new folder each time, so it measures
what a new user meets: a new SQLite database migrated, the example ingested and posted to the console;
``post … again`` is every later start: the database is at head (not migrated) and nothing is sent again.

The runs may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped from their environment) as Python
does on a user's machine: with it set, every run of an editable install compiles the project's own
modules again (+0.2 s for ``post``). The line before the table says which it was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "deep-learning-weekly-195.txt"
DIGESTBOT = str(Path(sys.executable).parent / "digestbot")
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Case:
    name: str
    command: list[str]
    target: float | None  # seconds; None for the floor
    fresh_folder: bool = False
    prepared: bool = False  # run once in the new folder before timing (a database already at head)


CASES = [
    Case("python -c pass (floor)", [sys.executable, "-c", "pass"], None),
    Case("digestbot --help", [DIGESTBOT, "--help"], 0.25),
    Case("digestbot parse EXAMPLE", [DIGESTBOT, "parse", str(EXAMPLE)], 0.5),
    Case(
        "digestbot post EXAMPLE --channel console",
        [DIGESTBOT, "post", str(EXAMPLE), "--channel", "console"],
        1.5,
        fresh_folder=True,
    ),
    Case(
        "digestbot post EXAMPLE again (current database)",
        [DIGESTBOT, "post", str(EXAMPLE), "--channel", "console"],
        1.5,
        fresh_folder=True,
        prepared=True,
    ),
]


def timed_run(case: Case) -> float:
    with tempfile.TemporaryDirectory() as folder:
        cwd = folder if case.fresh_folder else str(ROOT)
        if case.prepared:
            subprocess.run(
                case.command, cwd=cwd, env=ENVIRONMENT, capture_output=True, check=True, timeout=120
            )
        started = time.perf_counter()
        result = subprocess.run(
            case.command, cwd=cwd, env=ENVIRONMENT, capture_output=True, check=False, timeout=120
        )
        elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{case.name} failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    missed = 0
    load = os.getloadavg()[0]
    print(
        f"bytecode cache: written as on a user's machine; load average {load:.2f} on {os.cpu_count()} cores"
    )
    print(f"{'command':48} {'median':>8} {'target':>8} {'ratio':>7}  runs (s)")
    for case in CASES:
        timed_run(case)  # warm-up
        runs = [timed_run(case) for _ in range(args.runs)]
        median = statistics.median(runs)
        shown = " ".join(f"{r:.3f}" for r in runs)
        if case.target is None:
            print(f"{case.name:48} {median:8.3f} {'':>8} {'':>7}  {shown}")
            continue
        ratio = median / case.target
        missed += ratio > 1
        mark = "ok" if ratio <= 1 else "MISSED"
        print(f"{case.name:48} {median:8.3f} {case.target:8.2f} {ratio:7.2f}  {shown}  {mark}")
    print("all targets met" if not missed else f"{missed} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
