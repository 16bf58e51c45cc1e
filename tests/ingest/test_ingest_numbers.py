"""Issue number detection, in its order of preference."""

import pytest

from bot.ingest import parse_bytes
from bot.ingest.common import detect_number, number_from_name

ITEMS = "\n\n## Links\n\n* [A](https://a.example)\n"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Deep Learning Weekly: Issue #195", 195),
        ("#42 — the one about caches", 42),
        ("Issue 7: spring cleaning", 7),
        ("This Week in Rust 665", 665),
        ("Monthly notes, March 2021", None),
        ("No number here", None),
    ],
)
def test_number_from_title(title: str, expected: int | None) -> None:
    assert detect_number([title]) == expected


def test_order_of_preference() -> None:
    # "Issue #N" in the title beats front matter, which beats a trailing number, which beats the file name
    assert detect_number(["Issue #3 of Volume 9"], meta_number=5, filename="issue-8.md") == 3
    assert detect_number(["Weekly 9"], meta_number="5", filename="issue-8.md") == 5
    assert detect_number(["Weekly 9"], meta_number=None, filename="issue-8.md") == 9
    assert detect_number(["Weekly"], meta_number=None, filename="issue-8.md") == 8


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("issue-538.markdown", 538),
        ("week_073.html", 73),
        ("2026-08-19-this-week-in-rust-665.md", 665),
        ("archive/2021/deep-learning-weekly-195.txt", 195),
        ("https://news.example.com/issues/issue-12.html?utm=3", 12),
        ("newsletter.md", None),
    ],
)
def test_number_from_file_name(name: str, expected: int | None) -> None:
    assert number_from_name(name) == expected


def test_front_matter_number_and_missing_number() -> None:
    (issue,) = parse_bytes(f"---\ntitle: Notes\nnumber: 12\n---{ITEMS}".encode(), filename="notes.md")
    assert issue.number == 12
    (issue,) = parse_bytes(f"---\ntitle: Notes\n---{ITEMS}".encode(), filename="notes.md")
    assert issue.number is None
