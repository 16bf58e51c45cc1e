"""Fitting text into a platform's limits without cutting a sentence in half."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")


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


def first_paragraph(text: str | None, limit: int) -> str:
    """The opening paragraph of a text, cut at a sentence to fit ``limit``."""
    if not text:
        return ""
    paragraph = text.strip().split("\n\n", 1)[0].strip()
    return truncate_at_sentence(paragraph, limit)
