"""Fitting text into a platform's limits without cutting a sentence in half."""

from __future__ import annotations

import re
from collections.abc import Callable

ELLIPSIS = "…"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: PostgreSQL text refuses them
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")


def storable(text: str) -> str:
    """``text`` without the characters a database cannot keep (PostgreSQL refuses NUL; neither takes a
    lone surrogate), so that the same text is stored alike on SQLite and PostgreSQL."""
    return _UNSTORABLE.sub("", text)


def terminal_safe(text: str) -> str:
    """``text`` as a terminal may print it: control characters (an ESC that starts a colour, a title
    change, a hyperlink or a screen clear) shown as ``\\x1b`` instead of acted on."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def truncate_at_sentence(text: str, limit: int, *, more: str = "") -> str:
    """``text`` if it fits in ``limit`` characters, else its longest run of whole sentences that fits
    together with ``more`` (a link to the rest, say), falling back to whole words and an ellipsis.
    """
    if len(text) <= limit:
        return text
    suffix = f" {more}" if more else ""
    budget = limit - len(suffix)
    if budget <= len(ELLIPSIS):
        return text[: max(limit, 0)]
    window = text[: budget + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= budget]
    if ends and ends[-1] >= budget // 3:
        return text[: ends[-1]].rstrip() + suffix
    cut = window[: budget - len(ELLIPSIS)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + ELLIPSIS + suffix


def escape_then_cut(text: str, limit: int, escape: Callable[[str], str], *, more: str = "") -> str:
    """``text`` escaped for a platform, in at most ``limit`` characters: cut before escaping (so no escape
    is split), at a sentence where one ends in reach, and never silently: a cut text ends with ``more``
    (a link to the rest, added only when the text is cut) or with an ellipsis."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    suffix = f" {more}" if more else ""
    room = limit - len(suffix)
    budget = room
    while budget > 1:
        cut = truncate_at_sentence(text, budget)
        if not more and not cut.endswith(ELLIPSIS):
            cut = cut[: budget - 1].rstrip() + ELLIPSIS if len(cut) >= budget else cut + ELLIPSIS
        piece = escape(cut)
        if len(piece) <= room:
            return piece + suffix
        budget -= max(1, len(piece) - room)
    return (ELLIPSIS + suffix)[-limit:] if limit > 0 else ""


def _is_salutation(paragraph: str) -> bool:
    """ "Hey folks," or "Until next week!": a greeting or sign-off line, not worth a preview."""
    return len(paragraph.split()) <= 4 and paragraph.rstrip().endswith((",", "!", ":"))


def first_paragraph(text: str | None, limit: int) -> str:
    """The opening paragraph of a text (past a greeting line), cut at a sentence to fit ``limit``."""
    if not text:
        return ""
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    if not paragraphs:  # only whitespace
        return ""
    content = [p for p in paragraphs if not _is_salutation(p)] or paragraphs
    return truncate_at_sentence(" ".join(content[0].split()), limit)
