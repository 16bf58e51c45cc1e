"""Rendering within Discord's limits: checked by the emulator's validator and by posting through it."""

from __future__ import annotations

import discord
import pytest

from adapters.discord.client import configure_endpoints
from adapters.discord.embeds import (
    MAX_CONTENT,
    MAX_EMBEDS_TOTAL,
    delivery_ref,
    embeds_size,
    refs_in,
    render,
    thread_name,
)
from bot.config import DiscordConfig
from bot.model import Issue, Item, Section
from bot.posting.messages import HeaderMessage, ItemMessage, SectionMessage
from tests.discord.conftest import DiscordWorld
from tests.emulators.discord_emulator import DiscordEmulator

REF = delivery_ref("digestbot:195:discord:1:item:0:abc")
SENTENCE = "Transformers keep getting larger, and the tricks to train them keep getting cleverer. "


def item(
    blurb: str, *, url: str | None = None, title: str = "A model", sponsored: bool = False
) -> ItemMessage:
    return ItemMessage(
        issue_number=195,
        section_title="Papers & Publications",
        number=3,
        title=title,
        url=url,
        blurb=blurb,
        sponsored=sponsored,
        key="k",
    )


def valid(rendered) -> None:
    """Discord's own checks, as the emulator applies them to a message create."""
    payload = rendered.payload()
    DiscordEmulator._validate_message(payload)
    assert len(rendered.content) <= MAX_CONTENT
    assert embeds_size(rendered.embeds) <= MAX_EMBEDS_TOTAL


def test_a_long_abstract_with_a_link_is_cut_at_a_sentence_with_read_more():
    url = "https://arxiv.org/abs/2104.04473"
    rendered = render(item(SENTENCE * 80, url=url), REF)
    valid(rendered)
    [embed] = rendered.embeds
    assert embed.url == url
    assert embed.title == "3. A model"
    assert len(embed.description or "") <= 4096
    assert (embed.description or "").endswith(f"cleverer. [Read more]({url})")
    assert rendered.content == "**3. A model**"


def test_a_long_text_without_a_link_is_spread_over_embeds_not_lost():
    blurb = "\n\n".join(SENTENCE * 20 for _ in range(3))  # about 5200 characters, no link to the rest
    rendered = render(item(blurb), REF)
    valid(rendered)
    assert len(rendered.embeds) == 2
    assert rendered.embeds[0].url is None
    assert " ".join(" ".join(e.description or "" for e in rendered.embeds).split()) == " ".join(blurb.split())
    assert REF in refs_in(rendered.embeds[-1].footer.text)


def test_text_beyond_what_one_message_holds_is_cut_at_a_sentence():
    rendered = render(item(SENTENCE * 120), REF)  # about 10,000 characters
    valid(rendered)
    shown, note = (rendered.embeds[-1].description or "").rsplit(" *(cut: about ", 1)
    assert shown.endswith("cleverer.")
    assert note.endswith("characters did not fit in Discord)*")  # the cut is visible, not silent


def test_long_titles_and_markdown_in_them():
    title = "*Attention* is all you need, __again__ " * 20
    rendered = render(item("Short.", url="https://example.com/x", title=title, sponsored=True), REF)
    valid(rendered)
    assert len(rendered.embeds[0].title or "") <= 256
    assert rendered.content.startswith(r"**3. \*Attention\* is all you need, \_\_again\_\_")
    assert rendered.content.endswith("· Sponsored")
    assert (rendered.embeds[-1].footer.text or "").startswith("Sponsored · #195 · Papers & Publications")


def test_header_and_section_messages_within_limits():
    header = HeaderMessage(
        issue_number=195,
        title="Deep Learning Weekly: Issue #195 " * 10,
        subtitle="A subtitle. " * 100,
        intro="Hey folks,\n\n" + "This week in deep learning. " * 200,
        section_titles=tuple(f"Section {n} " + "x" * 150 for n in range(60)),
        item_count=600,
        source="https://www.deeplearningweekly.com/p/195",
    )
    rendered = render(header, REF)
    valid(rendered)
    [embed] = rendered.embeds
    assert "Hey folks" not in (embed.description or "")  # the greeting is skipped
    assert (embed.description or "").endswith("• …")
    section = render(
        SectionMessage(issue_number=195, title="Mobile & Edge " * 30, position=1, item_count=1), REF
    )
    valid(section)
    assert section.thread_name is not None
    assert len(section.thread_name) == 100
    assert "— 1 item\n" in section.content
    assert REF in refs_in(section.content)


def test_thread_names_fit_and_keep_their_suffix():
    assert thread_name("Top stories") == "Top stories"
    assert thread_name("x" * 150, " · #195").endswith("… · #195")
    assert len(thread_name("x" * 150, " · #195")) == 100
    assert thread_name("   ") == "Items"


def test_references_are_short_stable_and_distinct():
    first = delivery_ref("digestbot:195:discord:1:item:0:a")
    assert first == delivery_ref("digestbot:195:discord:1:item:0:a")
    assert first != delivery_ref("digestbot:195:discord:1:item:0:b")
    assert len(first) <= 25  # Discord's nonce limit


@pytest.mark.parametrize("gateway", [None, "ws://127.0.0.1:9/gateway"])
def test_configure_endpoints_points_discord_py_at_the_configured_urls(gateway: str | None):
    configure_endpoints(DiscordConfig(api_url="http://127.0.0.1:9/api/v10/", gateway_url=gateway))
    assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    expected = "ws://127.0.0.1:9/gateway/" if gateway else "wss://gateway.discord.gg/"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == expected


async def test_an_extreme_issue_posts_within_discords_limits(discord_world: DiscordWorld):
    """The emulator refuses anything over Discord's limits (400, code 50035): nothing here is refused."""
    issue = Issue(
        title="An issue with everything too long " * 12,
        number=300,
        subtitle="Sub. " * 500,
        intro="Intro sentence. " * 500,
        sections=[
            Section(
                title="A section title far longer than any thread name may be " * 4,
                items=[
                    Item(title="Linked " * 80, url="https://example.com/a", blurb=SENTENCE * 100),
                    Item(title="Unlinked", blurb=SENTENCE * 65),
                    Item(title="Huge and unlinked", blurb=SENTENCE * 200, sponsored=True),
                    Item(title="Empty"),
                ],
            )
        ],
    )
    issue.renumber()
    await discord_world.store(issue)
    for name in ("newsletter", "newsletter-forum"):
        report = await discord_world.post(name, number=300)
        assert report.complete, report.errors
    assert not [r for r in discord_world.emu.requests if r.status == 400]
