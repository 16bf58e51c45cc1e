"""Block Kit for digestbot's messages, within Slack's limits.

Slack refuses a message with more than 50 blocks, a section text over 3000 characters or a header over
150; long abstracts are cut at a sentence with a link to the rest, or, for an item without a link, spread
over several section blocks so that nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.community.suggestions import TriageCard
from bot.posting.messages import HeaderMessage, ItemMessage, OutgoingMessage, SectionMessage
from bot.text import ELLIPSIS, escape_then_cut, first_paragraph, truncate_at_sentence
from bot.urls import misleading_label

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000  # Slack allows 40,000; notifications show far less
MAX_REPLY_TEXT = 3900  # replies, notices and results: Slack shows up to 4,000 before "Show more"
INTRO_LIMIT = 700
URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"

Block = dict[str, Any]


def escape(text: str) -> str:
    """Text from outside (an issue, a note, a name) as Slack shows it and never acts on it: ``&``, ``<``
    and ``>`` are what mrkdwn and the fallback ``text`` read mentions (``<!channel>``), links and dates
    from. Everything digestbot writes to Slack from outside text goes through here."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int, *, more: str = "") -> str:
    """``text`` escaped for Slack, cut to ``limit``, the cut visible (``bot.text.escape_then_cut``)."""
    return escape_then_cut(text, limit, escape, more=more)


def link(url: str, label: str, limit: int = MAX_SECTION_TEXT) -> str:
    """A link whose visible text is ``label``, or the address itself where the label names another
    site; at most ``limit`` characters, an address too long to link is shown as text."""
    target = quote(url, safe=URL_SAFE)  # no whitespace, "<", ">" or "|" can end the link early
    shown = url if not label.strip() or misleading_label(label, url) else label
    room = limit - len(target) - 3
    if room < 20:
        return fit(f"{shown} ({url})", limit)
    return f"<{target}|{fit(shown, room).replace('|', '¦')}>"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate_at_sentence(text, limit) or "…", "emoji": True}


def mrkdwn_section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit_raw(text, MAX_SECTION_TEXT)}}


def fit_raw(mrkdwn: str, limit: int) -> str:
    """Already escaped mrkdwn kept within ``limit``: renderers size their text, so this only guards the
    limit (a cut shows "…") instead of letting Slack refuse the message."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]  # never end inside an &amp;
    return cut + ELLIPSIS


def render(message: OutgoingMessage) -> tuple[str, list[Block]]:
    """The plain ``text`` fallback (notifications, screen readers) and the blocks of a message."""
    if isinstance(message, HeaderMessage):
        return render_header(message)
    if isinstance(message, SectionMessage):
        return render_section(message)
    if message.removed:
        return REMOVED_TEXT, [mrkdwn_section(f"_{REMOVED_TEXT}_")]
    return render_item(message)


REMOVED_TEXT = "Removed from this issue."


def edited_note(edited_at: datetime) -> str:
    """ "edited" with the time, shown in each reader's own time zone (Slack's date formatting)."""
    fallback = f"{edited_at:%Y-%m-%d %H:%M} UTC"
    return f" · edited <!date^{int(edited_at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def render_header(message: HeaderMessage) -> tuple[str, list[Block]]:
    blocks: list[Block] = [{"type": "header", "text": plain(message.title, MAX_HEADER_TEXT)}]
    if message.subtitle:
        blocks.append(mrkdwn_section(f"_{fit(message.subtitle, MAX_SECTION_TEXT - 2)}_"))
    intro = first_paragraph(message.intro, INTRO_LIMIT)
    if intro:
        blocks.append(mrkdwn_section(fit(intro, MAX_SECTION_TEXT)))
    sections = " · ".join(message.section_titles)
    summary = f"{message.item_count} items in {len(message.section_titles)} sections: {sections}"
    edited = edited_note(message.edited_at) if message.edited_at else ""
    context = fit(summary, MAX_CONTEXT_TEXT - len(edited)) + edited
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    blocks.append({"type": "divider"})
    text = message.title if not message.subtitle else f"{message.title} — {message.subtitle}"
    return fit(text, MAX_FALLBACK_TEXT), blocks


def render_section(message: SectionMessage) -> tuple[str, list[Block]]:
    count = f"{message.item_count} item{'s' if message.item_count != 1 else ''}"
    blocks: list[Block] = [
        {"type": "header", "text": plain(message.title, MAX_HEADER_TEXT)},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{count} in the thread · react to an item to vote for it"}
            ],
        },
    ]
    return f"{fit(message.title, MAX_FALLBACK_TEXT - 20)} ({count})", blocks


def render_item(message: ItemMessage) -> tuple[str, list[Block]]:
    number = f"{message.number}. "
    # The title takes at most half a block, so the blurb always has room to start.
    title_room = MAX_SECTION_TEXT // 2 - len(number) - 2
    title = link(message.url, message.title, title_room) if message.url else fit(message.title, title_room)
    heading = f"*{number}{title}*"
    blurb = " ".join(message.blurb.split("\n\n")) if message.url else message.blurb
    blocks: list[Block] = []
    if message.url:
        more = link(message.url, "Read more", 300)
        body = fit(blurb, MAX_SECTION_TEXT - len(heading) - 1, more=more)
        blocks.append(mrkdwn_section(f"{heading}\n{body}" if body else heading))
    else:
        room = MAX_BLOCKS - 1 - (1 if message.sponsored else 0)
        chunks = _split_for_sections(blurb, MAX_SECTION_TEXT - len(heading) - 1, room)
        first = chunks[0] if chunks else ""
        blocks.append(mrkdwn_section(f"{heading}\n{first}" if first else heading))
        blocks.extend(mrkdwn_section(chunk) for chunk in chunks[1:])
    if message.sponsored:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ":label: *Sponsored*"}]})
    sponsored = " (Sponsored)" if message.sponsored else ""
    fallback = fit(f"{message.number}. {message.title}{sponsored}", MAX_FALLBACK_TEXT // 2)
    if message.url:
        fallback += " — " + fit(message.url, MAX_FALLBACK_TEXT // 2 - 3)
    return fallback, blocks


def _split_for_sections(text: str, first_limit: int, max_chunks: int) -> list[str]:
    """Escaped chunks of ``text``, each fitting a section block, split between sentences (else words);
    at most ``max_chunks``, the last ending in a visible note of what did not fit."""
    chunks: list[str] = []
    remaining = text.strip()
    limit = first_limit
    while remaining and len(chunks) < max_chunks:
        if len(chunks) == max_chunks - 1 and len(escape(remaining)) > limit:
            left = len(remaining)
            chunks.append(fit(remaining, limit, more=f"_(cut: {left:,} characters did not fit in Slack)_"))
            break
        piece = _longest_escaped_prefix(remaining, limit)
        chunks.append(escape(piece))
        remaining = remaining[len(piece) :].strip()
        limit = MAX_SECTION_TEXT
    return chunks


def _longest_escaped_prefix(text: str, limit: int) -> str:
    """The longest start of ``text`` whose escaped form fits ``limit``, ending at a sentence or a word
    where one is in reach, never inside an escape."""
    if len(escape(text)) <= limit:
        return text
    window = text[:limit]
    while len(escape(window)) > limit:
        window = window[: len(window) - max(1, (len(escape(window)) - limit) // 5)]
    cut = truncate_at_sentence(text, len(window))
    if not cut.endswith(ELLIPSIS):
        return cut or window
    space = window.rfind(" ")
    return window[:space] if space >= len(window) // 3 else window


# ---------------------------------------------------------------------------------- suggestion triage

APPROVE_ACTION = "digestbot_approve"
REJECT_ACTION = "digestbot_reject"
SECTION_ACTION = "digestbot_section"
MAX_OPTIONS = 100
MAX_OPTION_VALUE = 150


def triage_blocks(intro: str, cards: Sequence[TriageCard]) -> list[Block]:
    """``/digest suggestions`` for admins: each pending suggestion with a section picker and Approve /
    Reject buttons (the suggestion id travels in the values; the block id names it too)."""
    blocks: list[Block] = [mrkdwn_section(escape(truncate_at_sentence(intro.split("\n", 1)[0], 300)))]
    for card in cards[: (MAX_BLOCKS - 1) // 2]:
        blocks.append(mrkdwn_section(escape(truncate_at_sentence(card.text, MAX_SECTION_TEXT - 100))))
        elements: list[Block] = []
        options = [
            {"text": plain(section, 75), "value": f"{card.suggestion_id}:{section}"[:MAX_OPTION_VALUE]}
            for section in card.sections[:MAX_OPTIONS]
        ]
        if options:
            elements.append(
                {
                    "type": "static_select",
                    "action_id": SECTION_ACTION,
                    "placeholder": plain("Section", 75),
                    "options": options,
                }
            )
        for action_id, label, style in (
            (APPROVE_ACTION, "Approve", "primary"),
            (REJECT_ACTION, "Reject", "danger"),
        ):
            elements.append(
                {
                    "type": "button",
                    "action_id": action_id,
                    "text": plain(label, 75),
                    "style": style,
                    "value": str(card.suggestion_id),
                }
            )
        blocks.append({"type": "actions", "block_id": f"triage:{card.suggestion_id}", "elements": elements})
    return blocks
