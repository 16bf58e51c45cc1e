"""Whatever an issue holds, each platform's rendering stays within its limits and acts on none of it:
hypothesis writes the titles, links and blurbs, with the characters attackers and editors reach for."""

from __future__ import annotations

import re
from html import unescape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.discord.embeds import MAX_CONTENT, MAX_EMBEDS_TOTAL, embeds_size
from adapters.discord.embeds import render as render_for_discord
from adapters.slack.blocks import fit
from adapters.slack.blocks import render as render_for_slack
from bot.posting.messages import HeaderMessage, ItemMessage
from tests.emulators.discord_emulator import DiscordEmulator
from tests.emulators.slack_emulator import validate_blocks
from tests.hostile import PINGS, SPOOF, discord_spoofs, discord_texts, slack_texts, slack_unsafe

PIECES = st.sampled_from(
    [
        PINGS,
        SPOOF,
        "[https://a.example](https://b.example)",
        "&",
        "<",
        ">",
        "|",
        "&amp;",
        "*_~`",
        "\x1b[31m",
        "中文标题",
        "👩‍👩‍👧‍👦",
        "\u200b",
        ". ",
        "\n\n",
        "https://example.com/x",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=40).map("".join)
LONG = st.tuples(TEXT, st.sampled_from([1, 1, 10, 100, 3000])).map(
    lambda t: t[0] * (t[1] // max(1, len(t[0]) // 50 + 1)) if t[0] else ""
)
URL = st.one_of(st.none(), st.builds(lambda path: f"https://example.com/{path}", st.text(max_size=3000)))
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=LONG, limit=st.integers(1, 4000))
def test_slack_text_is_escaped_then_cut_within_its_limit(text: str, limit: int):
    fitted = fit(text, limit)
    assert len(fitted) <= limit
    assert "<" not in fitted
    assert ">" not in fitted
    assert not ENTITY.search(fitted)  # no entity split by the cut, no raw ampersand
    if unescape(fitted) != text:
        assert fitted.endswith("…")  # a cut is visible


def item(title: str, url: str | None, blurb: str, sponsored: bool) -> ItemMessage:
    return ItemMessage(195, "Section & <!here>", 3, title, url, blurb, sponsored, "k")


@SETTINGS
@given(title=LONG, url=URL, blurb=LONG, sponsored=st.booleans())
def test_slack_item_messages_fit_and_neither_ping_nor_spoof(title, url, blurb, sponsored):
    text, blocks = render_for_slack(item(title, url, blurb, sponsored))
    assert validate_blocks(blocks) == []
    assert len(text) <= 4000
    for shown in slack_texts(text, blocks):
        assert slack_unsafe(shown) == []


@SETTINGS
@given(
    title=LONG,
    subtitle=st.one_of(st.none(), LONG),
    intro=LONG,
    sections=st.lists(TEXT, min_size=1, max_size=200),
)
@example(title="", subtitle=None, intro="\n\n", sections=[""])  # an intro of blank lines: was IndexError
def test_slack_and_discord_headers_fit(title, subtitle, intro, sections):
    header = HeaderMessage(195, title, subtitle, intro, tuple(sections), 1000)
    text, blocks = render_for_slack(header)
    assert validate_blocks(blocks) == []
    for shown in slack_texts(text, blocks):
        assert slack_unsafe(shown) == []
    rendered = render_for_discord(header, "abcdefghijkl")
    DiscordEmulator._validate_message(rendered.payload())


@SETTINGS
@given(title=LONG, url=URL, blurb=LONG, sponsored=st.booleans())
# The "[" of an ANSI colour code, cut by "… [Read more](url)", once read as the start of one masked link:
@example(title="", url="https://example.com/", blurb=(SPOOF + "\x1b[31m") * 1500, sponsored=False)
def test_discord_item_messages_fit_and_spoof_nothing(title, url, blurb, sponsored):
    rendered = render_for_discord(item(title, url, blurb, sponsored), "abcdefghijkl")
    DiscordEmulator._validate_message(rendered.payload())
    assert len(rendered.content) <= MAX_CONTENT
    assert embeds_size(rendered.embeds) <= MAX_EMBEDS_TOTAL
    for shown in discord_texts(rendered.payload()):
        assert discord_spoofs(shown) == []
