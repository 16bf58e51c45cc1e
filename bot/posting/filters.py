"""What a channel takes of an issue: sections and keywords to include or exclude, sponsored items or not.

A filtered issue is a copy: stored issues, item keys and section positions stay as they are, so a vote on
a filtered channel's message lands on the same item as everywhere else, and a delivery's steps keep their
keys when a filter changes. Items are numbered again within each section, as the channel shows them.
"""

from __future__ import annotations

import fnmatch
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

from bot.model import ChannelFilter, Issue, Item, Section
from bot.posting.messages import section_display_title


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _section_matches(title: str, patterns: tuple[str, ...]) -> bool:
    """A section pattern matches the whole title, case-insensitively; ``*`` and ``?`` are wildcards."""
    folded = _folded(title)
    return any(fnmatch.fnmatchcase(folded, _folded(pattern)) for pattern in patterns)


def _joins_words(char: str) -> bool:
    """A letter or digit of a script that separates words with spaces: CJK (wide) text runs words together."""
    return char.isalnum() and unicodedata.east_asian_width(char) not in ("W", "F")


def _contains_keyword(text: str, keyword: str) -> bool:
    """``keyword`` in ``text`` (both folded) as a whole word: "AI" is not in "said", but is in "AI芯片", and
    a CJK keyword is found anywhere inside CJK text."""
    start = text.find(keyword)
    while start != -1:
        end = start + len(keyword)
        before_ok = start == 0 or not (_joins_words(text[start - 1]) and _joins_words(keyword[0]))
        after_ok = end == len(text) or not (_joins_words(text[end]) and _joins_words(keyword[-1]))
        if before_ok and after_ok:
            return True
        start = text.find(keyword, start + 1)
    return False


def _mentions(item: Item, keywords: list[str]) -> bool:
    text = _folded(f"{item.title}\n{item.blurb}")
    return any(_contains_keyword(text, keyword) for keyword in keywords)


@dataclass(slots=True)
class FilterResult:
    issue: Issue
    left_out: Counter[str] = field(default_factory=Counter)  # reason -> items

    @property
    def empty(self) -> bool:
        return not self.issue.sections

    def describe(self) -> str:
        """What the filter left out: ``"3 items (2 by keyword, 1 sponsored)"``, or ``""`` when nothing."""
        total = sum(self.left_out.values())
        if not total:
            return ""
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(self.left_out.items()))
        return f"{total} item{'s' if total != 1 else ''} ({reasons})"


def apply_filter(issue: Issue, rules: ChannelFilter) -> FilterResult:
    """The part of ``issue`` a channel with ``rules`` gets; sections left without items are dropped."""
    if rules.takes_everything:
        return FilterResult(issue)
    include = [_folded(k) for k in rules.include_keywords if _folded(k)]
    exclude = [_folded(k) for k in rules.exclude_keywords if _folded(k)]
    left_out: Counter[str] = Counter()
    sections: list[Section] = []
    for section in issue.sections:
        title = section_display_title(section)
        if rules.include_sections and not _section_matches(title, rules.include_sections):
            left_out["by section"] += len(section.items)
            continue
        if _section_matches(title, rules.exclude_sections):
            left_out["by section"] += len(section.items)
            continue
        kept: list[Item] = []
        for item in section.items:
            if item.sponsored and not rules.sponsored:
                left_out["sponsored"] += 1
            elif (include and not _mentions(item, include)) or (exclude and _mentions(item, exclude)):
                left_out["by keyword"] += 1
            else:
                kept.append(replace(item, position=len(kept)))
        if kept:
            sections.append(replace(section, items=kept))
    return FilterResult(replace(issue, sections=sections), left_out)
