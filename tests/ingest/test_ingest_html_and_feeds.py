"""HTML issue pages and RSS/Atom feeds, on fixtures written for these tests."""

from datetime import date
from pathlib import Path

import pytest

from bot.ingest import IngestError, parse_bytes, parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "newsletters"


def test_html_issue_page() -> None:
    (issue,) = parse_file(FIXTURES / "issue.html")
    assert issue.title == "Vision Weekly — Issue #12"  # the <h1>, not the <title>
    assert issue.number == 12
    assert issue.source == "https://visionweekly.example.com/issues/12"
    assert issue.intro == "Hi all, this week is about depth estimation and datasets."
    assert [(s.title, [(i.title, i.url) for i in s.items]) for s in issue.sections] == [
        (
            "Research",
            [
                ("[arXiv] Depth Anything, Again", "https://arxiv.example.org/abs/1"),
                ("Segmenting everything, cheaply", "https://blog.example.com/segment"),
            ],
        ),
        (
            "Datasets",
            [
                ("CityScenes 2", "https://data.example.org/cityscapes-2"),
                ("Kitchens-100", "https://data.example.org/kitchens"),
            ],
        ),
        ("Datasets: Tools", [("QuickLabel", "https://tools.example.com/labeler")]),
    ]


def test_html_blurbs_and_skipped_parts() -> None:
    (issue,) = parse_file(FIXTURES / "issue.html")
    depth, segment = issue.sections[0].items
    assert depth.blurb == (
        "We train a monocular depth model on sixty million unlabeled images.\n\n"
        "A strong baseline; see also this related work."
    )
    assert segment.blurb == "Distilling a large segmentation model into a phone-sized one."
    cities, kitchens = issue.sections[1].items
    assert cities.blurb == "street scenes from forty cities."
    assert kitchens.blurb == "A hundred hours of cooking, annotated."
    (tool,) = issue.sections[2].items
    assert tool.sponsored
    assert tool.blurb == "label boxes with one click."
    assert not any(i.sponsored for i in issue.items if i is not tool)
    urls = {i.url for i in issue.items}
    for skipped in (
        "/",  # nav
        "https://ads.example.com",  # script
        "https://visionweekly.example.com/unsubscribe",  # footer
        "https://example.com/depth",  # intro prose
        "https://example.com/other",  # a link inside a blurb
        "https://visionweekly.example.com/subscribe",
    ):
        assert skipped not in urls


def test_html_without_headings_and_number_from_filename() -> None:
    page = (
        b"<html><head><title>Links</title></head><body><ul><li><a href='https://a.example/'>A</a></li></ul>"
    )
    (issue,) = parse_bytes(page, filename="week_073.html")
    assert issue.title == "Links"
    assert issue.number == 73
    assert [s.title for s in issue.sections] == [None]
    assert issue.source == "week_073.html"


def test_html_is_sniffed_without_an_extension() -> None:
    page = (FIXTURES / "issue.html").read_bytes()
    (issue,) = parse_bytes(page)
    assert issue.number == 12


def test_rss_feed_one_issue_per_entry_skipping_entries_without_items() -> None:
    issues = parse_file(FIXTURES / "feed.rss")
    assert [(i.title, i.number, i.published_on, i.source) for i in issues] == [
        ("Data Notes #31", 31, date(2024, 3, 4), "https://datanotes.example.com/issues/31"),
        ("Data Notes #30", 30, date(2024, 2, 19), "https://datanotes.example.com/issues/30"),
    ]
    latest = issues[0]
    assert [(s.title, [i.title for i in s.items]) for s in latest.sections] == [
        ("Storage", ["Parquet v3 explained", "Iceberg in production"]),
        ("Streaming", ["Exactly-once, for real"]),
    ]
    assert latest.items[0].blurb == "what changes for readers"
    assert latest.items[2].url == "https://example.com/exactly-once"
    assert latest.items[2].blurb == "A careful look at transactional sinks."


def test_atom_feed_uses_content_over_summary() -> None:
    issues = parse_file(FIXTURES / "feed.atom")
    assert [(i.title, i.number, i.published_on) for i in issues] == [
        ("Frontend Friday 88", 88, date(2024, 4, 12)),
        ("Frontend Friday 87", 87, date(2024, 4, 5)),
    ]
    first = issues[0]
    assert first.source == "https://frontendfriday.example.com/88"
    assert [s.title for s in first.sections] == ["CSS", "JavaScript"]
    assert [(i.title, i.blurb) for i in first.items] == [
        ("Container queries in practice", ""),
        ("The :has() selector", "parent selection at last"),
        ("Signals, explained", "Why every framework is adopting them."),
    ]


def test_feed_is_sniffed_without_an_extension() -> None:
    issues = parse_bytes((FIXTURES / "feed.atom").read_bytes(), filename="")
    assert len(issues) == 2


def test_feed_whose_entries_have_no_items() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>Only news</title><description>&lt;p&gt;No links here.&lt;/p&gt;</description></item>
    </channel></rss>"""
    with pytest.raises(IngestError, match=r"^no items found$"):
        parse_bytes(feed, filename="feed.xml")
