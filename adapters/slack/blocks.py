"""Block Kit for digestbot's messages, within Slack's limits.

Slack refuses a message with more than 50 blocks, a section text over 3000 characters or a header over
150; long abstracts are cut at a sentence with a link to the rest, or, for an item without a link, spread
over several section blocks so that nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.community.suggestions import TriageCard
from bot.posting.messages import HeaderMessage, ItemMessage, OutgoingMessage, SectionMessage
from bot.text import first_paragraph, truncate_at_sentence

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000  # Slack allows 40,000; notifications show far less
INTRO_LIMIT = 700

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{escape(label).replace('|', '¦')}>"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate_at_sentence(text, limit), "emoji": True}


def mrkdwn_section(text: str) -> Block:
    assert len(text) <= MAX_SECTION_TEXT
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


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
        blocks.append(
            mrkdwn_section(f"_{escape(truncate_at_sentence(message.subtitle, MAX_SECTION_TEXT - 2))}_")
        )
    intro = first_paragraph(message.intro, INTRO_LIMIT)
    if intro:
        blocks.append(mrkdwn_section(escape(intro)))
    sections = " · ".join(message.section_titles)
    summary = f"{message.item_count} items in {len(message.section_titles)} sections: {sections}"
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape(truncate_at_sentence(summary, MAX_CONTEXT_TEXT - 120))
                    + (edited_note(message.edited_at) if message.edited_at else ""),
                }
            ],
        }
    )
    blocks.append({"type": "divider"})
    text = message.title if not message.subtitle else f"{message.title} — {message.subtitle}"
    return truncate_at_sentence(text, MAX_FALLBACK_TEXT), blocks


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
    return f"{message.title} ({count})", blocks


def render_item(message: ItemMessage) -> tuple[str, list[Block]]:
    title = link(message.url, message.title) if message.url else escape(message.title)
    heading = f"*{message.number}. {title}*"
    blurb = " ".join(message.blurb.split("\n\n")) if message.url else message.blurb
    blocks: list[Block] = []
    if message.url:
        more = link(message.url, "Read more")
        budget = MAX_SECTION_TEXT - len(heading) - 1
        body = escape(blurb)
        if len(body) > budget:
            body = escape(
                truncate_at_sentence(blurb, budget - len(more) - 1 - _escape_growth(blurb), more="")
            )
            body = f"{body} {more}"
        blocks.append(mrkdwn_section(f"{heading}\n{body}" if body else heading))
    else:
        chunks = _split_for_sections(blurb, MAX_SECTION_TEXT - len(heading) - 1)
        first = chunks[0] if chunks else ""
        blocks.append(mrkdwn_section(f"{heading}\n{first}" if first else heading))
        blocks.extend(mrkdwn_section(chunk) for chunk in chunks[1 : MAX_BLOCKS - 1])
    if message.sponsored:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ":label: *Sponsored*"}]})
    sponsored = " (Sponsored)" if message.sponsored else ""
    fallback = f"{message.number}. {message.title}{sponsored}"
    if message.url:
        fallback += f" — {message.url}"
    return truncate_at_sentence(fallback, MAX_FALLBACK_TEXT), blocks[:MAX_BLOCKS]


def _escape_growth(text: str) -> int:
    return sum(text.count(c) for c in "&<>") * 4


def _split_for_sections(text: str, first_limit: int) -> list[str]:
    """Escaped chunks of ``text``, each fitting a section block, split between sentences."""
    chunks: list[str] = []
    remaining = text.strip()
    limit = first_limit
    while remaining:
        piece = truncate_at_sentence(remaining, limit - _escape_growth(remaining[:limit]))
        if piece.endswith("…"):
            piece = piece[:-1]
        piece = piece or remaining[:limit]
        chunks.append(escape(piece))
        remaining = remaining[len(piece) :].strip()
        limit = MAX_SECTION_TEXT
    return chunks


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
