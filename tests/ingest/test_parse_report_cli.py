"""What `digestbot parse` and `ingest` say about how well a file was read (the confidence report)."""

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.cli import cli
from bot.ingest import read_bytes

ROOT = Path(__file__).resolve().parents[2]

# Two list items are read; five sentences with links in a section of their own are not.
LISTED = "# Weekly 5\n\n## Links\n\n- [One](https://a.example/1)\n- [Two](https://a.example/2)\n\n## More\n\n"
HALF_READ = LISTED + "".join(
    f"Read [story {n}](https://b.example/{n}) about caching, in depth.\n\n" for n in range(5)
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_report_counts_links_left_out_and_warns() -> None:
    (issue,), report = read_bytes(HALF_READ.encode(), filename="weekly-5.md")
    assert [i.title for i in issue.items] == ["One", "Two"]
    assert report.links_left_out == 5
    assert report.warning == "5 links were not read as items; see --explain"
    assert report.summary().startswith("1 section, 2 items, 5 links left out, ")


def test_a_fully_read_issue_has_no_warning() -> None:
    data = (ROOT / "tests/corpus/cjk-numbered/weekly-88.md").read_bytes()
    (_issue,), report = read_bytes(data, filename="x.md")
    assert report.warning is None
    assert report.links_left_out == 0


def test_parse_ends_with_the_summary_and_warns_on_stderr(tmp_path: Path) -> None:
    code, out, err = run("parse", str(write(tmp_path, "weekly-5.md", HALF_READ)))
    assert code == 0
    assert out.rstrip().splitlines()[-1].startswith("1 section, 2 items, 5 links left out")
    assert err.strip() == "digestbot: warning: 5 links were not read as items; see --explain"


def test_parse_explain_says_what_each_block_became(tmp_path: Path) -> None:
    code, out, _ = run("parse", "--explain", str(write(tmp_path, "weekly-5.md", HALF_READ)))
    assert code == 0
    lines = out.splitlines()
    assert any("line 1" in line and "→ title" in line for line in lines)
    assert any("list" in line and "→ items" in line and "2 list entries" in line for line in lines)
    ignored = [line for line in lines if "→ ignored" in line]
    assert len(ignored) == 5
    assert all("prose outside any item" in line for line in ignored)


def test_parse_json_keeps_stdout_json(tmp_path: Path) -> None:
    code, out, err = run("parse", "--json", str(write(tmp_path, "weekly-5.md", HALF_READ)))
    assert code == 0
    assert [i["title"] for i in json.loads(out)["sections"][0]["items"]] == ["One", "Two"]
    assert "2 items, 5 links left out" in err


def test_parse_of_a_file_without_items_points_to_explain(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.md", "# Notes\n\nJust words, no links at all.\n")
    code, out, err = run("parse", str(path))
    assert code == 1
    assert err.strip() == f"digestbot: error: {path}: no items found; see --explain"
    code, out, err = run("parse", "--explain", str(path))
    assert code == 1
    assert "→ intro" in out
    assert "0 sections, 0 items" in out


def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"database": {"url": f"sqlite:///{tmp_path / 'db.sqlite'}"}}))
    return path


def test_ingest_asks_for_yes_when_the_warning_fires(tmp_path: Path) -> None:
    issue = write(tmp_path, "weekly-5.md", HALF_READ)
    code, out, err = run("--config", str(config(tmp_path)), "ingest", str(issue))
    assert code == 1
    assert err.strip() == (
        f"digestbot: error: {issue}: 5 links were not read as items; see digestbot parse --explain {issue}; "
        "pass --yes to store it anyway"
    )
    code, out, err = run("--config", str(config(tmp_path)), "ingest", "--yes", str(issue))
    assert code == 0, err
    assert "Ingested #5 'Weekly 5': 1 sections, 2 items" in out


def test_ingest_refuses_an_issue_without_items(tmp_path: Path) -> None:
    issue = write(tmp_path, "empty.md", "# Notes 3\n\nJust words.\n")
    code, _, err = run("--config", str(config(tmp_path)), "ingest", "--yes", str(issue))
    assert code == 1
    assert err.strip() == f"digestbot: error: {issue}: no items found"


MARKUP = "# [bold]Issue[/] 5\n\n## [red]News\n\n- [Fix [/] in titles](https://a.example/1): a blurb\n" + (
    "- [[vm,corelib] Restrict](https://a.example/2)\n"
)


def test_parse_shows_titles_with_rich_markup_as_written(tmp_path: Path) -> None:
    code, out, err = run("parse", str(write(tmp_path, "markup.md", MARKUP)))
    assert (code, err) == (0, "")
    assert "#5 [bold]Issue[/] 5" in out
    assert "[red]News (2 items)" in out
    assert "1. Fix [/] in titles https://a.example/1" in out
    assert "2. [vm,corelib] Restrict https://a.example/2" in out


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="[]/\\bold red:=#ab ", min_size=1, max_size=24).filter(lambda s: s.strip()))
def test_the_issue_tree_prints_any_title_as_written(title: str) -> None:
    from io import StringIO

    from rich.console import Console

    from adapters.cli.content import issue_tree
    from bot.model import Issue, Item, Section

    title = " ".join(title.split())
    issue = Issue(title=title, number=5, sections=[Section(title=title, items=[Item(title=title, url=None)])])
    console = Console(file=StringIO(), width=500, color_system=None)
    console.print(issue_tree(issue))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert f"#5 {title}" in shown
    assert f"1. {title}" in shown
