import pytest

from bot.emoji import normalise_emoji
from bot.text import first_paragraph, truncate_at_sentence
from bot.urls import canonical_url, is_http_url
from tests.tables import table_test

test_canonical_url = table_test(
    canonical_url,
    [
        ("HTTPS://Example.COM/Path/", "https://example.com/Path"),
        ("https://example.com/a?utm_source=x&b=2&fbclid=y&gclid=z", "https://example.com/a?b=2"),
        ("https://example.com/a#section", "https://example.com/a"),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("  https://example.com/x?a=1&a=2  ", "https://example.com/x?a=1&a=2"),
    ],
)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("https://example.com", True),
        ("http://example.com/a b", False),
        ("ftp://example.com", False),
        ("javascript:alert(1)", False),
        ("example.com", False),
        ("https://", False),
    ],
)
def test_is_http_url(text, ok):
    assert is_http_url(text) is ok


test_emoji_names_are_shared_across_platforms = table_test(
    normalise_emoji,
    [
        ("+1", "thumbsup"),
        (":thumbsup:", "thumbsup"),
        ("👍", "thumbsup"),
        ("👍🏽", "thumbsup"),
        ("+1::skin-tone-3", "thumbsup"),
        ("❤️", "heart"),
        ("❤", "heart"),
        ("partyparrot", "partyparrot"),
        ("partyparrot:123456789", "partyparrot"),
        ("<:partyparrot:123456789>", "partyparrot"),
        ("🦀", "🦀"),
    ],
)


def test_short_text_is_unchanged():
    assert truncate_at_sentence("One. Two.", 100) == "One. Two."


def test_cut_at_a_sentence_boundary_with_a_link():
    text = "First sentence here. Second sentence is longer than that. Third one."
    cut = truncate_at_sentence(text, 60, more="<https://x.y|more>")
    assert cut == "First sentence here. <https://x.y|more>"
    assert len(cut) <= 60


def test_without_a_usable_sentence_end_cut_at_a_word_with_an_ellipsis():
    text = "word " * 100
    cut = truncate_at_sentence(text, 50)
    assert len(cut) <= 50
    assert cut.endswith("…")
    assert "wor…" not in cut


@pytest.mark.parametrize("blank", ["", "\n\n", "  \n \n\n\t ", "\n\n\n\n"])
def test_an_intro_of_blank_lines_has_no_first_paragraph(blank):
    assert first_paragraph(blank, 700) == ""


def test_the_first_paragraph_skips_a_greeting():
    intro = "Hey folks,\n\nThis week: GPUs. And more.\n\nBye!"
    assert first_paragraph(intro, 700) == "This week: GPUs. And more."
