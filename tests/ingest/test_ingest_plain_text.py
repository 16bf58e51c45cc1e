"""Plain text: the bundled Deep Learning Weekly #195 and smaller texts with the same layout rules."""

from pathlib import Path

import pytest

from bot.ingest import parse_bytes, parse_file
from bot.model import Issue

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deep-learning-weekly-195.txt"


@pytest.fixture(scope="module")
def dlw() -> Issue:
    issues = parse_file(EXAMPLE)
    assert len(issues) == 1
    return issues[0]


def test_dlw_header(dlw: Issue) -> None:
    assert dlw.title == "Deep Learning Weekly: Issue #195"
    assert dlw.number == 195
    assert dlw.subtitle is not None
    assert dlw.subtitle.startswith("New deep learning to solve differential equations")
    assert dlw.source == str(EXAMPLE)


def test_dlw_sections_and_counts(dlw: Issue) -> None:
    assert [(s.title, len(s.items)) for s in dlw.sections] == [
        (None, 7),
        ("Mobile & Edge", 8),
        ("Libraries & Code", 3),
        ("Papers & Publications", 3),
    ]
    assert len(dlw.items) == 21
    assert [s.position for s in dlw.sections] == [0, 1, 2, 3]
    assert all(item.url is None for item in dlw.items)
    assert len({item.key for item in dlw.items}) == 21


def test_dlw_first_and_last_items(dlw: Issue) -> None:
    lead = dlw.sections[0].items
    assert lead[0].title.startswith("Bias, Variance, Unpredictability")
    assert lead[-1].title == "“Faster than real-time” cybersecurity company raises $100m"
    assert dlw.sections[1].items[0].title == "GPU Accelerated High-Performance Machine Learning Pipeline"
    assert dlw.sections[1].items[-1].title.startswith("10 Things You Need to Know About BERT")
    assert [i.title for i in dlw.sections[3].items] == [
        "Regularizing Generative Adversarial Networks under Limited Data",
        "Efficient Large-Scale Language Model Training on GPU Clusters",
        "Going deeper with Image Transformers",
    ]


def test_dlw_only_imerit_is_sponsored_and_marker_removed(dlw: Issue) -> None:
    sponsored = [item for item in dlw.items if item.sponsored]
    assert len(sponsored) == 1
    assert "iMerit" in sponsored[0].title
    assert "Sponsored" not in sponsored[0].blurb
    assert sponsored[0].blurb.endswith("the region assigned to its category?")


def test_dlw_two_paragraph_abstract(dlw: Issue) -> None:
    paper = dlw.sections[3].items[1]
    assert paper.title == "Efficient Large-Scale Language Model Training on GPU Clusters"
    first, second = paper.blurb.split("\n\n")
    assert first.startswith("Large language models have led to state-of-the-art accuracies")
    assert second.startswith("In this work, we show how to compose different types of parallelism")
    assert second.endswith("Our code has been open-sourced at this https URL.")


def test_dlw_intro_is_not_an_item(dlw: Issue) -> None:
    assert dlw.intro is not None
    assert dlw.intro.startswith("Hey folks,")
    assert dlw.intro.endswith("Until next week!")
    intro_lines = [line for line in dlw.intro.split("\n\n") if line]
    titles_and_blurbs = {item.title for item in dlw.items} | {item.blurb for item in dlw.items}
    assert not any(line in titles_and_blurbs for line in intro_lines)
    assert not any(item.title in ("Hey folks,", "Until next week!") for item in dlw.items)


def test_blurb_text_is_kept_verbatim(dlw: Issue) -> None:
    lyra = dlw.sections[0].items[1]
    assert lyra.title.startswith("Google Open-Sources Lyra")
    assert lyra.blurb.startswith("Lyra uses machine learning to enable high-quality voice calls")


TEXT_WITHOUT_INTRO = """\
Tiny Weekly 7

Parsers

Tokenizers from scratch
https://example.com/tokenizers

How a tokenizer is built, step by step.

Error recovery that users like

Better messages with less code. (Sponsored)

Testing

Property tests for compilers

Generate programs, compare outputs.
"""


def test_text_without_intro_with_urls_and_headings() -> None:
    (issue,) = parse_bytes(TEXT_WITHOUT_INTRO.encode(), filename="tiny.txt")
    assert issue.title == "Tiny Weekly 7"
    assert issue.number == 7
    assert issue.intro is None
    assert [(s.title, [i.title for i in s.items]) for s in issue.sections] == [
        ("Parsers", ["Tokenizers from scratch", "Error recovery that users like"]),
        ("Testing", ["Property tests for compilers"]),
    ]
    tokenizers, recovery = issue.sections[0].items
    assert tokenizers.url == "https://example.com/tokenizers"
    assert tokenizers.blurb == "How a tokenizer is built, step by step."
    assert recovery.sponsored
    assert recovery.blurb == "Better messages with less code."


def test_closing_words_after_the_last_item_are_not_a_blurb() -> None:
    text = (
        "Mini 3\n\nHi there,\n\nShort intro.\n\nThanks for reading!\n\n"
        "One item\n\nIts blurb.\n\nSee you next week!\n"
    )
    (issue,) = parse_bytes(text.encode(), filename="mini.txt")
    assert issue.intro == "Hi there,\n\nShort intro.\n\nThanks for reading!"
    assert [(i.title, i.blurb) for i in issue.items] == [("One item", "Its blurb.")]


def test_plain_text_is_sniffed_without_a_file_name() -> None:
    (issue,) = parse_bytes(EXAMPLE.read_bytes())
    assert [len(s.items) for s in issue.sections] == [7, 8, 3, 3]
    assert issue.number == 195
    assert issue.source is None


def test_windows_line_endings() -> None:
    (issue,) = parse_bytes(TEXT_WITHOUT_INTRO.replace("\n", "\r\n").encode(), filename="tiny.txt")
    assert [i.title for i in issue.items] == [
        "Tokenizers from scratch",
        "Error recovery that users like",
        "Property tests for compilers",
    ]
