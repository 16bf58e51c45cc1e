"""Markdown: each layout feature, on fixtures written for these tests."""

from datetime import date
from pathlib import Path

from bot.ingest import parse_bytes, parse_file
from bot.model import Issue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "newsletters"


def load(name: str) -> Issue:
    issues = parse_file(FIXTURES / name)
    assert len(issues) == 1
    return issues[0]


def md(text: str, filename: str = "issue.md") -> Issue:
    (issue,) = parse_bytes(text.encode(), filename=filename)
    return issue


def section_titles(issue: Issue) -> list[str | None]:
    return [s.title for s in issue.sections]


# --------------------------------------------------------------------------- Substack-style export


def test_substack_front_matter() -> None:
    issue = load("substack-export.md")
    assert issue.title == "The Gradient Digest: Issue #42"
    assert issue.number == 42
    assert issue.subtitle == "Sparse models, a robot that folds laundry, and why benchmarks lie"
    assert issue.published_on == date(2024, 3, 5)
    assert issue.source == "https://gradientdigest.example.com/p/issue-42"


def test_substack_bold_headings_lose_their_period() -> None:
    issue = load("substack-export.md")
    assert section_titles(issue) == ["News", "Papers"]  # "Thanks." has no items and is dropped


def test_substack_bold_linked_titles_and_blurbs() -> None:
    issue = load("substack-export.md")
    news = issue.sections[0].items
    assert [(i.title, i.url) for i in news] == [
        ("Sparse Mixtures Go Mainstream", "https://news.example.com/sparse-mixtures"),
        ("Warehouse Robot Learns to Fold Shirts", "https://robots.example.org/folding"),
        ("Annotate Faster with LabelCo", "https://labelco.example.com/?ref=digest"),
    ]
    # two paragraphs of blurb, the escaped underscores undone
    assert news[0].blurb.split("\n\n")[1].startswith("The authors also publish their routing code")
    assert "snake_case_moe" in news[0].blurb
    assert "\\" not in news[0].blurb
    # a blockquote after the title is the blurb
    assert news[1].blurb == "Folding is hard because cloth has effectively infinite degrees of freedom."
    assert [i.sponsored for i in news] == [False, False, True]


def test_substack_abstract_label_is_part_of_the_blurb() -> None:
    issue = load("substack-export.md")
    papers = issue.sections[1].items
    assert [i.title for i in papers] == [
        "Benchmarks Are Leaking Into Training Sets",
        "Escaped *Stars* and Back\\slashes",
    ]
    assert "Abstract:" not in [i.title for i in issue.items]
    blurb = papers[0].blurb
    assert blurb.startswith("A study of contamination")
    assert "\n\nAbstract: We measure overlap" in blurb
    assert blurb.endswith("flags leaked examples [code included].")


def test_substack_escaped_rule_and_intro_links_are_not_items() -> None:
    issue = load("substack-export.md")
    assert issue.intro is not None
    assert issue.intro.startswith("Hello readers,")
    assert "a long thread" in issue.intro
    assert "---" not in issue.intro
    urls = {i.url for i in issue.items}
    assert "https://social.example.com/thread/1" not in urls
    assert "https://people.example.com/ada" not in urls  # "Thanks to [Ada](...)" is prose
    assert len(issue.items) == 5


# --------------------------------------------------------------------------- TWIR-like (Pelican header)


def test_twir_like_header_block() -> None:
    issue = load("twir-like.md")
    assert issue.title == "This Week in Gleam 314"
    assert issue.number == 314
    assert issue.published_on == date(2024, 5, 8)
    assert issue.intro is not None
    assert issue.intro.startswith("Hello and welcome")


def test_twir_like_sub_headings_are_sections_named_after_their_parent() -> None:
    issue = load("twir-like.md")
    assert [(s.title, len(s.items)) for s in issue.sections] == [
        ("Updates from the Community: Official", 1),
        ("Updates from the Community: Newsletters", 1),
        ("Updates from the Community: Observations/Thoughts", 2),
        ("Crate of the Week", 1),  # the package it presents: "This week's package is [lustre_fx](…)"
        ("Updates from the Gleam Project: Compiler", 2),
        ("Upcoming Events: Europe", 1),
        ("Quote of the Week", 1),
    ]
    official = issue.sections[0].items[0]
    assert (official.title, official.url) == (
        "Gleam 1.4 released",
        "https://gleam.example.org/news/gleam-1-4",
    )


def test_twir_like_comment_examples_prose_links_and_calls_to_action_are_not_items() -> None:
    issue = load("twir-like.md")
    urls = {i.url for i in issue.items}
    assert "https://example.com/my_article" not in urls  # inside an HTML comment
    assert "https://forum.example.org/u/jodoe" not in urls  # "Thanks to [..](..)"
    assert "https://forum.example.org/t/package-of-the-week" not in urls  # "[Please submit ...][submit]!"
    assert "https://forum.example.org/t/quotes" not in urls
    assert "https://git.example.org/alice" not in urls  # the "edited by:" list
    assert "https://gleam.example.org/" not in urls  # the intro


def test_twir_like_tags_reference_links_nested_events_and_quote() -> None:
    issue = load("twir-like.md")
    by_title = {s.title: s.items for s in issue.sections}
    thoughts = by_title["Updates from the Community: Observations/Thoughts"]
    assert thoughts[1].title == "[video] Pattern matching, explained slowly"
    compiler = by_title["Updates from the Gleam Project: Compiler"]
    assert [(i.title, i.url) for i in compiler] == [
        ("faster exhaustiveness checks", "https://git.example.org/gleam/pull/1001"),
        ("better error for missing `import`", "https://git.example.org/gleam/pull/1002"),
    ]
    (event,) = by_title["Upcoming Events: Europe"]
    assert event.title == "Typed actors in practice"
    assert event.url == "https://meetup.example.com/gleam-berlin/events/77"
    assert event.blurb == "2024-05-10 | Berlin, DE | Gleam Berlin"
    (quote,) = by_title["Quote of the Week"]
    assert quote.url == "https://forum.example.org/t/quotes/99"
    assert quote.blurb == "Types are a conversation with your future self."


# --------------------------------------------------------------------------- Haskell-weekly-like


def test_haskell_like_list_items_with_author_and_blockquote() -> None:
    issue = load("haskell-like.markdown")
    assert issue.intro is not None
    assert issue.intro.startswith("Welcome to another issue of Functional Weekly!")
    assert [(s.title, len(s.items)) for s in issue.sections] == [
        ("Featured", 2),
        ("In brief", 1),
        ("Call for participation", 1),
    ]
    dune, effects = issue.sections[0].items
    assert dune.title == "Dune 4.0 released"  # no " by Jane Roe"
    assert dune.url == "https://discuss.example.org/t/dune-4-0/100"
    assert dune.blurb.startswith("The build system now caches across projects")
    assert dune.blurb.endswith("— Jane Roe")
    assert effects.blurb.split("\n\n")[:2] == [
        "A tour of effect handlers in a production web server.",
        "Includes benchmarks against a callback-based design.",
    ]
    assert "https://ocaml.example.org" not in {i.url for i in issue.items}


def test_number_from_filename_when_nothing_else_has_one() -> None:
    text = (FIXTURES / "haskell-like.markdown").read_bytes()
    (issue,) = parse_bytes(text, filename="issue-538.markdown")
    assert issue.number == 538
    assert issue.title == "Issue 538"


# --------------------------------------------------------------------------- no headings, references


def test_document_without_headings_is_one_untitled_section() -> None:
    issue = load("no-headings.markdown")
    assert len(issue.sections) == 1
    assert issue.sections[0].title is None
    assert [i.title for i in issue.items] == [
        "Compiler 5.2 RC1 available",
        "Formatter 0.26 released",
        "Why laziness matters",
    ]
    assert issue.items[1].blurb == "Comments inside records are now kept in place."
    assert issue.items[2].blurb == ""


def test_reference_style_links_and_html_comments() -> None:
    issue = load("references-and-comments.md")
    assert issue.title == "Link Roundup 9"  # the "# Link Roundup 9" heading is the title, not a section
    assert issue.number == 9
    assert issue.source == "https://roundup.example.com/9"
    assert section_titles(issue) == ["Reading"]
    assert [(i.title, i.url) for i in issue.items] == [
        ("Understanding B-trees", "https://db.example.com/btrees"),
        ("Write-ahead logs", "https://db.example.com/wal"),
        ("Compaction strategies", "https://db.example.com/compaction"),
    ]
    assert issue.items[0].blurb.startswith("A gentle walk-through.")
    assert issue.items[2].blurb == "Why levelled compaction wins for reads."


# --------------------------------------------------------------------------- small inline cases


def test_escapes_are_undone_in_titles_and_blurbs() -> None:
    issue = md(
        "## Links\n\n* [A \\[draft\\] of \\*everything\\*](https://x.example/a) \\- my\\_notes \\\\o/\n"
    )
    (item,) = issue.items
    assert item.title == "A [draft] of *everything*"
    assert item.blurb == "my_notes \\o/"


def test_heading_levels_and_bold_heading_with_period() -> None:
    issue = md(
        "# Top\n\n"
        "## **Tools.**\n\n* [One](https://x.example/1)\n\n"
        "### Editors\n\n* [Two](https://x.example/2)\n\n"
        "#### Plugins:\n\n* [Three](https://x.example/3)\n"
    )
    assert issue.title == "Top"
    assert section_titles(issue) == ["Tools", "Tools: Editors", "Editors: Plugins"]


def test_linked_title_paragraph_followed_by_blockquote() -> None:
    issue = md("## Reads\n\n[Plain linked title](https://x.example/p)\n\n> The quoted blurb.\n")
    (item,) = issue.items
    assert (item.title, item.url, item.blurb) == (
        "Plain linked title",
        "https://x.example/p",
        "The quoted blurb.",
    )


def test_sentence_starting_with_a_link_is_prose_not_an_item() -> None:
    issue = md(
        "## Notes\n\n[Let us know](https://x.example/contact) if you want to help.\n\n"
        "* [Real item](https://x.example/real)\n"
    )
    assert [i.title for i in issue.items] == ["Real item"]


def test_empty_sections_are_dropped_and_positions_renumbered() -> None:
    issue = md(
        "## Empty\n\nJust words.\n\n## Full\n\n* [A](https://x.example/a)\n* [B](https://x.example/b)\n"
    )
    assert section_titles(issue) == ["Full"]
    assert issue.sections[0].position == 0
    assert [i.position for i in issue.items] == [0, 1]


def test_duplicate_links_get_distinct_keys() -> None:
    issue = md("## A\n\n* [Meetup](https://x.example/m)\n\n## B\n\n* [Meetup](https://x.example/m)\n")
    first, second = issue.items
    assert first.key != second.key
    assert second.key.startswith(first.key)


def test_lower_case_header_block_is_sniffed_as_markdown() -> None:
    (issue,) = parse_bytes(b"title: Notes 5\ndate: 2024-02-01\n\n* [A](https://a.example)\n")
    assert issue.title == "Notes 5"
    assert issue.number == 5
    assert issue.published_on == date(2024, 2, 1)
