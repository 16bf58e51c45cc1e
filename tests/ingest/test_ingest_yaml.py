"""digestbot's own YAML format: a lossless round trip, and clear errors for other YAML."""

from datetime import date
from pathlib import Path

import pytest

from bot.ingest import IngestError, dump_yaml, parse_bytes, parse_file
from bot.model import Issue, Item
from tests.fakes import issue_of

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "newsletters"


def round_trip(issue: Issue) -> Issue:
    (back,) = parse_bytes(dump_yaml(issue).encode(), filename="export.yaml")
    return back


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "examples" / "deep-learning-weekly-195.txt",
        FIXTURES / "substack-export.md",
        FIXTURES / "twir-like.md",
        FIXTURES / "issue.html",
    ],
    ids=lambda p: p.name,
)
def test_parse_dump_parse_gives_an_equal_issue(path: Path) -> None:
    (issue,) = parse_file(path)
    once = round_trip(issue)
    assert once == issue
    assert round_trip(once) == once
    assert [i.key for i in once.items] == [i.key for i in issue.items]
    assert [i.sponsored for i in once.items] == [i.sponsored for i in issue.items]


def test_awkward_text_and_kept_keys_survive() -> None:
    issue = issue_of(
        "Weird: #1 — 'quotes' and \"more\"",
        1,
        subtitle="  leading spaces",
        intro="line one\n  indented line\ntrailing newline\n",
        published_on=date(2024, 1, 31),
        source="https://x.example/1?a=b#c",
        sections={
            None: [
                Item(title="yes", url=None, blurb="no", sponsored=True),
                Item(title="Same", url="https://x.example/s", blurb="tab\there"),
                Item(title="Same", url="https://x.example/s", blurb="emoji 🦀 and null: ~"),
            ],
            "123": [Item(title="true", key="custom-key")],
        },
    )
    assert issue.items[2].key.endswith("-2")
    text = dump_yaml(issue)
    assert text.startswith("format: digestbot/1\n")
    assert "published_on: '2024-01-31'" in text
    back = round_trip(issue)
    assert back == issue
    assert back.items[3].key == "custom-key"
    assert back.sections[1].title == "123"


def test_yaml_is_sniffed_by_its_format_marker() -> None:
    (issue,) = parse_file(FIXTURES / "haskell-like.markdown")
    (back,) = parse_bytes(dump_yaml(issue).encode(), filename="")
    assert back == issue


def test_other_yaml_names_the_missing_marker() -> None:
    other = b"articles:\n  - title: A\n    url: https://a.example\n"
    with pytest.raises(IngestError, match="missing the 'format: digestbot/1' key"):
        parse_bytes(other, filename="week.yml")


def test_wrong_version_and_bad_fields_are_named() -> None:
    with pytest.raises(IngestError, match="unsupported format 'digestbot/9'"):
        parse_bytes(b"format: digestbot/9\ntitle: x\nsections: []\n", filename="a.yaml")
    with pytest.raises(IngestError, match=r"^missing 'sections'"):
        parse_bytes(b"format: digestbot/1\ntitle: x\n", filename="a.yaml")
    bad_item = b"format: digestbot/1\ntitle: x\nsections:\n- title: S\n  items:\n  - url: https://a.example\n"
    with pytest.raises(IngestError, match=r"^sections\[0\]\.items\[0\]: missing 'title'$"):
        parse_bytes(bad_item, filename="a.yaml")
    with pytest.raises(IngestError, match="not valid YAML at line"):
        parse_bytes(b"format: digestbot/1\ntitle: [unclosed\n", filename="a.yaml")


def test_yaml_issue_without_items_is_rejected() -> None:
    empty = b"format: digestbot/1\ntitle: x\nsections:\n- title: S\n  items: []\n"
    with pytest.raises(IngestError, match=r"^no items found$"):
        parse_bytes(empty, filename="a.yaml")
