"""An issue full of what careless editors and attackers write, and what the platforms must never get from
it: the end-to-end hostile-text checks for Slack and Discord share both.

The issue holds texts past every limit (a 3,000-character title and URL, 700 ``&`` that grow fivefold
when escaped, 200 KB blurbs with and without a link, 70 long section titles for the header's summary),
mentions that would ping a channel (``<!channel>``, ``<!here>``, ``<@U…>``, ``<@&…>``, ``@everyone``),
links whose text names another site, terminal escapes, CJK and emoji sequences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.model import Issue, Item, Section
from bot.urls import misleading_label

PINGS = "<!channel> <!here> <!everyone> <@U0ADMIN001> <@&999> <#C000000001> @everyone @here"
SPOOF = "<https://evil.example|https://example.com/legit>"
MASKED = "[https://example.com/legit](https://evil.example/steal)"
HUGE = 200_000


def hostile_issue(number: int = 195) -> Issue:
    lead = [
        Item("T" * 3000 + " <!channel>", "https://example.com/long-title", "A title of 3,000 characters."),
        Item("&" * 700, "https://example.com/ampersands", "&" * 700),
        Item("A 3,000-character link", "https://example.com/" + "a" * 3000, "The link is too long to link."),
        Item(f"Pings {PINGS}", "https://example.com/pings?x=<!channel>", f"Blurb {PINGS} {SPOOF}"),
        Item("https://example.com/legit", "https://evil.example/steal", f"Spoofed title. {MASKED}"),
        Item("Huge blurb without a link", None, ("Sentence & words <here>. " * (HUGE // 25))),
        Item("Huge blurb with a link", "https://example.com/huge", "Word " * (HUGE // 5)),
        Item("Terminal \x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07", None, "\x1b[2J"),
        Item("中文标题：机器学习周刊 👩‍👩‍👧‍👦 🏳️‍🌈", "https://example.cn/文章", "全角标点，没有空格。" * 400),
        Item(f"Sponsored {PINGS}", "https://sponsor.example", "<" * 3000, sponsored=True),
    ]
    sections = [Section(f"Lead & <!here> {'S' * 80}", items=lead)]
    sections += [
        Section(f"Section {n} <@&999> & {'x' * 60}", items=[Item(f"Item {n}", f"https://example.com/{n}")])
        for n in range(70)
    ]
    issue = Issue(
        title="Hostile Weekly " + "<!channel> & " * 300,
        number=number,
        subtitle="<" * 3000,
        intro="&" * 700 + " <!here>\n\nSecond paragraph.",
        sections=sections,
    )
    issue.renumber()
    return issue


HOSTILE_ITEMS = 10 + 70
HOSTILE_MESSAGES = 1 + 71 + HOSTILE_ITEMS


# ------------------------------------------------------------------------------------------------ Slack

_SLACK_CONTROL = re.compile(r"<([^<>]*)>")
_SLACK_LINK = re.compile(r"(https?://[^|<>\s]+)\|(.*)", re.DOTALL)


def slack_texts(message_text: str, blocks: list[dict[str, Any]] | None) -> Iterator[str]:
    """Every text Slack would read mentions and links from: the fallback and each mrkdwn text in the
    blocks."""
    yield message_text
    yield from _texts_in(blocks or [])


def _texts_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict) and value.get("type") == "plain_text":
        return  # shown as written: Slack reads no mention, link or entity in plain_text
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "text" and isinstance(inner, str):
                yield inner
            else:
                yield from _texts_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts_in(inner)


def slack_unsafe(text: str) -> list[str]:
    """The ``<…>`` constructs in ``text`` that Slack would act on and digestbot did not mean: any
    mention, channel or broadcast, and a link whose label names another site. Dates are digestbot's own."""
    unsafe = []
    for match in _SLACK_CONTROL.finditer(text):
        inner = match.group(1)
        if inner.startswith("!date^"):
            continue
        link = _SLACK_LINK.fullmatch(inner)
        if link and not misleading_label(link.group(2), link.group(1)):
            continue
        unsafe.append(match.group(0)[:80])
    return unsafe


# ---------------------------------------------------------------------------------------------- Discord

_MASKED_LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\((<?https?://[^)\s]+>?)\)")


def discord_spoofs(text: str) -> list[str]:
    """Masked links in ``text`` whose visible text names another site than where they lead."""
    return [
        m.group(0)[:80]
        for m in _MASKED_LINK.finditer(text)
        if misleading_label(m.group(1), m.group(2).strip("<>"))
    ]


def discord_texts(message: dict[str, Any]) -> Iterator[str]:
    yield str(message.get("content") or "")
    for embed in message.get("embeds") or []:
        for key in ("title", "description"):
            yield str(embed.get(key) or "")
        yield str((embed.get("footer") or {}).get("text") or "")
