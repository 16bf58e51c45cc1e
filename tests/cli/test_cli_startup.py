"""``digestbot --help`` answers without loading what only the commands need (issue 9: CLI startup)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What a command loads when it runs, never for its help: the output, the database, the platforms, the
# web server and the readers.
HEAVY = (
    "rich",
    "sqlalchemy",
    "alembic",
    "slack_sdk",
    "slack_bolt",
    "discord",
    "aiohttp",
    "bs4",
    "feedparser",
)

SHOW_MODULES = """
import sys
from adapters.cli import main
try:
    main()
except SystemExit:
    pass
print("MODULES", " ".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("arguments", [["--help"], ["post", "--help"], ["votes", "--help"]])
def test_help_loads_none_of_the_heavy_libraries(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_MODULES, *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    help_text, _, modules = result.stdout.rpartition("MODULES ")
    assert "Usage: digestbot" in help_text
    loaded = {name.split(".")[0] for name in modules.split()}
    assert sorted(loaded & set(HEAVY)) == []


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    content = {"parse", "ingest", "export", "issues", "show", "draft"}
    chat, community, ops = (
        {"post", "run"},
        {"votes", "leaderboard", "suggestions", "search"},
        {"status", "reconcile", "db"},
    )
    assert listed == content | chat | community | ops


def test_posting_to_the_console_loads_no_platform_no_http_client_and_no_metrics(tmp_path: Path) -> None:
    example = next((ROOT / "examples").glob("*.txt"))
    result = subprocess.run(
        [sys.executable, "-c", SHOW_MODULES, "post", str(example), "--channel", "console"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    output, _, modules = result.stdout.rpartition("MODULES ")
    assert "console: sent 26 messages" in output + result.stderr
    loaded = {name.split(".")[0] for name in modules.split()}
    unused = {"slack_sdk", "slack_bolt", "discord", "aiohttp", "bs4", "feedparser", "prometheus_client"}
    assert sorted(loaded & unused) == []


def test_a_second_start_on_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    example = next((ROOT / "examples").glob("*.txt"))
    command = [sys.executable, "-c", SHOW_MODULES, "post", str(example), "--channel", "console"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=120)
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=120)
    assert "alembic" in first.stdout.rpartition("MODULES ")[2].split()  # a new database is migrated
    output, _, modules = second.stdout.rpartition("MODULES ")
    assert "already posted (26 messages), nothing sent" in output + second.stderr
    assert "alembic" not in {name.split(".")[0] for name in modules.split()}
