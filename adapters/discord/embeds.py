"""Discord messages and embeds for digestbot's posts, within Discord's limits.

Discord refuses a message whose content exceeds 2000 characters, an embed title over 256, a description
over 4096, or embeds adding up to more than 6000 characters in one message. Long abstracts of linked items
are cut at a sentence with a "Read more" link; an item without a link keeps as much text as one message can
hold, spread over further embeds rather than cut.

Every message carries a short reference derived from its delivery key (``ref k3m9q2x7ab4c``): in an embed's
footer, or for a section message in a small subtext line. Discord returns a message's nonce only in the
answer to the request that created it, so after a lost answer the reference is how digestbot recognises its
own message in a channel's history.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.utils import escape_markdown

from bot.posting.messages import HeaderMessage, ItemMessage, OutgoingMessage, SectionMessage
from bot.text import escape_then_cut, first_paragraph, truncate_at_sentence
from bot.urls import misleading_label

MAX_CONTENT = 2000
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_FOOTER = 2048
MAX_EMBEDS_TOTAL = 6000
MAX_EMBEDS = 10
MAX_THREAD_NAME = 100
INTRO_LIMIT = 700
SUBTITLE_LIMIT = 300
CONTENT_TITLE_LIMIT = 300

REF_LENGTH = 12
_REF_PATTERN = re.compile(rf"\bref ([a-z2-7]{{{REF_LENGTH}}})\b")
_HTTP_URL = re.compile(r"^https?://\S+$")
SPONSORED_COLOUR = discord.Colour(0xF0B232)
ITEM_COLOUR = discord.Colour(0x5865F2)


def delivery_ref(delivery_key: str) -> str:
    """A short, stable reference for a delivery key: the message nonce and its visible marker."""
    digest = hashlib.sha256(delivery_key.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:REF_LENGTH]


def refs_in(text: str | None) -> set[str]:
    return set(_REF_PATTERN.findall(text or ""))


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A Discord message: its content, embeds, and, for a section, the name of the thread it opens."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    thread_name: str | None = None

    def payload(self) -> dict[str, object]:
        return {"content": self.content, "embeds": [e.to_dict() for e in self.embeds]}


def render(message: OutgoingMessage, ref: str) -> RenderedMessage:
    if isinstance(message, HeaderMessage):
        return render_header(message, ref)
    if isinstance(message, SectionMessage):
        return render_section(message, ref)
    if message.removed:
        return RenderedMessage(content=f"*Removed from this issue.*\n-# #{message.issue_number} · ref {ref}")
    return render_item(message, ref)


_HELD = "\x00"  # never in stored text (bot.text.storable removes it)


def escape(text: str) -> str:
    """Text from outside (an issue, a note, a name) as Discord shows it and never formats: Markdown
    escaped, and every ``[`` too. discord.py escapes only the first masked link of a line, so
    ``[a](x) [b](y)`` kept its second link; and a lone ``[`` (``\\x1b[31m``) could open a link whose
    ``](`` is digestbot's own "Read more" after it. discord.py escapes backslashes, so ``\\[a](x)``
    cannot undo an escape. The real address stays visible, as Discord auto-links it."""
    held = text.replace(_HELD, "").replace("[", _HELD)
    return escape_markdown(held).replace(_HELD, "\\[")


def fit(text: str, limit: int, *, more: str = "") -> str:
    """``text`` cut at a sentence to at most ``limit`` characters."""
    return truncate_at_sentence(text, limit, more=more)[:limit]


def fit_escaped(text: str, limit: int, *, more: str = "") -> str:
    """``text`` escaped for Discord, cut to ``limit``, the cut visible (``bot.text.escape_then_cut``)."""
    return escape_then_cut(text, limit, escape, more=more)


def thread_name(title: str, suffix: str = "") -> str:
    """A thread name (1-100 characters) for a section: its title, with ``suffix`` kept whole."""
    room = MAX_THREAD_NAME - len(suffix)
    name = " ".join(title.split())
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return (name + suffix).strip() or "Items"


def render_header(message: HeaderMessage, ref: str) -> RenderedMessage:
    parts: list[str] = []
    if message.subtitle:
        parts.append(f"*{fit_escaped(message.subtitle, SUBTITLE_LIMIT)}*")
    intro = first_paragraph(message.intro, INTRO_LIMIT)
    if intro:
        parts.append(escape(intro))
    count = len(message.section_titles)
    sections = f"**{message.item_count} items in {count} section{'s' if count != 1 else ''}**"
    used = sum(len(p) + 2 for p in parts) + len(sections)
    lines = []
    for title in message.section_titles:
        line = f"\n• {fit_escaped(title, 200)}"
        if used + len(line) > MAX_EMBED_DESCRIPTION - 2:
            lines.append("\n• …")
            break
        lines.append(line)
        used += len(line)
    parts.append(sections + "".join(lines))
    embed = discord.Embed(
        title=fit(message.title, MAX_EMBED_TITLE),
        description="\n\n".join(parts)[:MAX_EMBED_DESCRIPTION],
        colour=ITEM_COLOUR,
    )
    if message.source and _HTTP_URL.match(message.source):
        embed.url = message.source
    embed.set_footer(
        text=f"#{message.issue_number} · react to an item in a section's thread to vote · ref {ref}"
    )
    if message.edited_at is not None:
        embed.timestamp = message.edited_at  # shown in each reader's time zone
        embed.set_footer(text=f"{embed.footer.text} · edited")
    content = f"📰 **{fit_escaped(message.title, CONTENT_TITLE_LIMIT)}**"
    return RenderedMessage(content=content, embeds=[embed])


def render_section(message: SectionMessage, ref: str) -> RenderedMessage:
    count = f"{message.item_count} item{'s' if message.item_count != 1 else ''}"
    content = (
        f"**{fit_escaped(message.title, CONTENT_TITLE_LIMIT)}** — {count}\n"
        f"-# #{message.issue_number} · the items are in the thread: react to one to vote for it · ref {ref}"
    )
    return RenderedMessage(content=content, thread_name=thread_name(message.title))


def render_item(message: ItemMessage, ref: str) -> RenderedMessage:
    label = " · Sponsored" if message.sponsored else ""
    content_title = fit_escaped(message.title, CONTENT_TITLE_LIMIT)
    content = f"**{message.number}. {content_title}**{label}"
    url = message.url if message.url and _HTTP_URL.match(message.url) and len(message.url) <= 2000 else None

    footer = f"{'Sponsored · ' if message.sponsored else ''}#{message.issue_number} · "
    footer += f"{fit(message.section_title, 200)} · ref {ref}"
    shown_title = url if url and misleading_label(message.title, url) else message.title
    title = fit_escaped(f"{message.number}. {shown_title}", MAX_EMBED_TITLE)
    colour = SPONSORED_COLOUR if message.sponsored else ITEM_COLOUR
    budget = MAX_EMBEDS_TOTAL - len(title) - len(footer)

    if url:
        more = f"[Read more]({url})"
        room = min(MAX_EMBED_DESCRIPTION, budget)
        description = fit_escaped(message.blurb.strip(), room, more=more if len(more) < room // 2 else "")
        chunks = [description] if description else []
    else:
        chunks = split_escaped(message.blurb.strip(), MAX_EMBED_DESCRIPTION, budget)

    first = discord.Embed(title=title, url=url, description=chunks[0] if chunks else None, colour=colour)
    embeds = [first]
    embeds.extend(discord.Embed(description=chunk, colour=colour) for chunk in chunks[1:MAX_EMBEDS])
    embeds[-1].set_footer(text=footer)
    return RenderedMessage(content=content, embeds=embeds)


def split_escaped(text: str, per_chunk: int, total: int) -> list[str]:
    """``text`` with Markdown escaped, in at most ``MAX_EMBEDS`` chunks of ``per_chunk`` characters and
    ``total`` in all, split (before escaping) between sentences; a text that does not fit all ends with a
    visible note of what was cut."""
    note = " *(cut: about {:,} characters did not fit in Discord)*"
    raw_chunk, raw_total = per_chunk, total - len(note) - 8
    while True:
        chunks = split_text(text, raw_chunk, raw_total)
        kept = chunks[:MAX_EMBEDS]
        escaped = [escape(chunk) for chunk in kept]
        left = len(text) - sum(len(chunk) for chunk in kept)
        if (len(text) > raw_total or len(chunks) > MAX_EMBEDS) and escaped:
            escaped[-1] += note.format(left)
        widest = max((len(chunk) for chunk in escaped), default=0)
        size = sum(len(chunk) for chunk in escaped)
        if widest > per_chunk and raw_chunk > 1:
            raw_chunk -= widest - per_chunk
        elif size > total and raw_total > 1:
            raw_total -= size - total
        else:
            return escaped


def split_text(text: str, per_chunk: int, total: int) -> list[str]:
    """``text`` in chunks of at most ``per_chunk`` characters split between sentences (else words),
    at most ``total`` characters in all; what does not fit in ``total`` is cut at a sentence."""
    if len(text) > total:
        text = fit(text, total)
    chunks: list[str] = []
    remaining = text
    while remaining:
        if len(remaining) <= per_chunk:
            chunks.append(remaining)
            break
        piece = truncate_at_sentence(remaining, per_chunk)
        if piece.endswith("…"):  # no sentence ends in reach: cut between words, lose nothing
            cut = remaining.rfind(" ", 0, per_chunk + 1)
            cut = cut if cut >= per_chunk // 3 else per_chunk
        else:
            cut = len(piece)
        chunks.append(remaining[:cut].rstrip())
        remaining = remaining[cut:].strip()
    return [c for c in chunks if c]


def embeds_size(embeds: list[discord.Embed]) -> int:
    """What Discord counts against the 6000-character limit of one message's embeds."""
    return sum(len(e) for e in embeds)


def section_title_of(message: dict[str, Any]) -> str:
    """The section title in a section message's first line (``**Title** — N items``), for its thread."""
    first = str(message.get("content") or "").split("\n", 1)[0]
    title = first.rsplit(" — ", 1)[0].strip().removeprefix("**").removesuffix("**")
    title = discord.utils.remove_markdown(title.replace("\\", "")) if title else ""
    return thread_name(title or "Items")
