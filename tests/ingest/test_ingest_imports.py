"""Reading a plain-text issue imports none of the other formats' libraries (issue 9: startup speed)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("bs4", "feedparser", "markdown_it", "yaml")

PROBE = f"""
import json, sys
from pathlib import Path
import bot.ingest
issues = bot.ingest.parse_file(Path(sys.argv[1]))
print(json.dumps({{"items": len(issues[0].items), "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def run_probe(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_parsing_plain_text_loads_no_other_reader() -> None:
    result = run_probe(ROOT / "examples" / "deep-learning-weekly-195.txt")
    assert result == {"items": 21, "loaded": []}


def test_parsing_markdown_loads_its_reader_only(tmp_path: Path) -> None:
    issue = tmp_path / "issue.md"
    issue.write_text("## Links\n\n* [A](https://a.example/)\n", encoding="utf-8")
    result = run_probe(issue)
    assert result["items"] == 1
    assert "markdown_it" in result["loaded"]  # type: ignore[operator]
    assert "bs4" not in result["loaded"]  # type: ignore[operator]
    assert "feedparser" not in result["loaded"]  # type: ignore[operator]
