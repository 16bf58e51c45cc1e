"""What a block starts with: its leading link (the title of an item), numbers, sentences, bylines, and
the names of sections that are not items. The shaper's rules are in ``bot.ingest.shape``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ingest.blocks import Inline, Span
from bot.ingest.common import (
    has_word,
    join_paragraphs,
    make_item,
)
from bot.model import Item

_TAG = re.compile(r"\[[^\]\n]{1,30}\]|【[^】\n]{1,20}】")
# What may follow a leading link in a paragraph for the link to be a title rather than the start of a
# sentence: punctuation, a dash, a bracket, "by …", full-width punctuation.
_SEPARATOR = re.compile(
    r"^\s*(?:[.:;,!?)\]]|[-–—|]\s|[(（【「『《]|[：，。；！？、）】]|by\s+\S+(?:\s+\S+){0,3}\s*(?:$|[.,;:!?(])|via\s)",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+([^.!?\n]{1,80}?)\s*$", re.IGNORECASE)
CREDITS_INTRO = re.compile(
    r"(?:(?:edited|curated|written|compiled|produced|brought to you) by|editors?):?\s*$", re.I
)
CREDIT_LINE = re.compile(r"^(?:thanks|thank you|many thanks|kudos)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])|(?<=[。！？])")
_NUMBERED = re.compile(
    r"^\s*(?:\d{1,3}\s*[、．.:：]|[(（]\d{1,3}[)）]|[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf])\s*"
)
ATTRIBUTION = re.compile(r"^\s*(?:--|——|[–—―])\s*")
# "[Bitcoin Core #35493][] fixes …": a reference link whose definition is not in the file
UNRESOLVED_REFERENCE = re.compile(r"^\[([^\[\]\n]{1,80})\]\[[^\[\]\n]{0,80}\]\s*")
# A section that presents one thing: "Crate of the Week", "Package of the week", "本周最佳 crate"
FEATURE = re.compile(r"\bof the (?:week|month)\b|周最佳|本周(?:推荐|精选)|今週の", re.IGNORECASE)
LABEL = re.compile(r"[:：]\s*$")
# "2026-03-14 | Online | [Title](…)": the fields of an event line before its link
_FIELDS_PREFIX = re.compile(r"^\s*(?:[^|\n]{1,40}\|\s*){1,4}$")
_LABEL_PREFIX = re.compile(r"^\s*[^\s:：]+(?:\s+[^\s:：]+){0,3}\s*[:：]\s*$")
# An empty section's placeholder: "*No calls for testing were issued this week.*"
PLACEHOLDER = re.compile(
    r"^(?:there (?:are|were|is) )?no\b.{0,80}\b(?:(?:this|last) week|currently|at the moment)\b|"
    r"^(?:nothing|none) (?:new )?this week|^本周(?:暂)?无",
    re.IGNORECASE,
)
SENTENCE_STOP = re.compile(r"[。.!！?？]$")
# A person's page: a bare profile on a social or code host, "/@name", or "/u/name"-style paths.
_PROFILE = re.compile(
    r"^https?://(?:www\.)?(?:twitter\.com|x\.com|github\.com|gitlab\.com|mastodon\.[a-z.]+|"
    r"[a-z0-9-]+\.social|linkedin\.com/in|weibo\.com|instagram\.com)/@?[\w.-]+/?$|"
    r"^https?://[^/]+/(?:@|(?:u|user|users|people|profile)/)[\w.-]+/?$",
    re.IGNORECASE,
)

_ASIDES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cover",
        re.compile(
            r"^(?:the\s+)?(?:cover(?:\s+(?:image|photo|picture|art))?|封面图?|封面圖|题图|表紙)$", re.I
        ),
    ),
    (
        "history",
        re.compile(
            r"this week in history|on this day|from the archives?|往年回顾|往期回顾|往期|历史上的今天|"
            r"历史上的本周|本周历史|バックナンバー|back ?issues|past issues|"
            r"^(?:one|two|three|\d+) years? ago",
            re.I,
        ),
    ),
    (
        "subscribe",
        re.compile(
            r"^(?:subscribe|subscription|how to subscribe|follow us|订阅|訂閱|購読|关注我们|"
            r"want to (?:see|contribute|help|get involved)|how to contribute|contribute\b|donations?\b|"
            r"support (?:us|the project)\b)",
            re.I,
        ),
    ),
    ("tips", re.compile(r"^(?:did you know|tips? (?:and|&) tricks)\b", re.I)),
    ("jobs", re.compile(r"\b(?:jobs?|hiring|careers?)\b|招聘|谁在招|内推|求人", re.I)),
)

# Links whose text is at most this many words are "source" links ("reddit", "gh", "video") when they
# form a list of their own after an item's prose.
SOURCE_WORDS = 3


@dataclass(slots=True)
class Lead:
    """The link a block starts with: its text is a title, the text after it the start of a blurb."""

    title: str
    url: str
    rest: str
    emphasised: bool
    attribution: bool


def lead_of(
    inline: Inline, spans: list[Span], *, strict: bool, label_ok: bool = False, fields_ok: bool = False
) -> Lead | None:
    """The link ``spans`` start with (after "[tags]", emoji, punctuation or a dash), if any.

    ``strict`` (paragraphs): the link must be followed by punctuation, a dash or nothing unless it is bold,
    so that "[Let us know](…) if you …" stays a sentence.
    """
    start = next((i for i, s in enumerate(spans) if s.link is not None and has_word(s.text)), None)
    if start is None:
        return None
    link = spans[start].link
    while start > 0 and spans[start - 1].link == link:
        start -= 1
    end = start
    while end < len(spans) and spans[end].link == link:
        end += 1
    prefix = inline.text(spans[:start])
    tags = _TAG.findall(prefix)
    if (label_ok and _LABEL_PREFIX.match(prefix)) or (fields_ok and _FIELDS_PREFIX.match(prefix)):
        prefix, tags = "", []  # "Org development: [title](…)": the label is the list's, not the title's
    if has_word(_TAG.sub("", prefix)):
        return None
    assert link is not None
    url = inline.hrefs[link]
    if url is None:
        return None
    rest = inline.text(spans[end:])
    if inline.text(spans[start:end]).startswith("@"):
        return None  # "[@someone](…): …" credits the person who wrote the blurb
    emphasised = all(s.strong for s in spans[start:end])
    if strict and rest and not emphasised and not _SEPARATOR.match(rest):
        return None
    title = " ".join([*tags, inline.text(spans[start:end])])
    return Lead(title, url, rest, emphasised, attribution=bool(re.search(r"[–—―]|--", prefix)))


def split_rest(rest: str) -> tuple[str, str | None]:
    """The blurb part of the text after an item's link, and a " by Author" byline if that is all it is."""
    rest = re.sub(r"^[\s.:;,|\-–—：，、]+", "", rest).strip()
    byline = _BYLINE.match(rest)
    if byline:
        return "", byline.group(1).strip()
    return rest, None


def strip_number(inline: Inline) -> Inline | None:
    """A copy of ``inline`` without its leading "1、" / "①" marker, or None if it has none."""
    spans = inline.spans
    if not spans or spans[0].link is not None:
        return None
    match = _NUMBERED.match(spans[0].text)
    if not match:
        return None
    first = Span(spans[0].text[match.end() :], None, spans[0].strong)
    return Inline([first, *spans[1:]] if first.text else list(spans[1:]), inline.hrefs, inline.images)


def first_sentence(text: str) -> tuple[str, str]:
    parts = _SENTENCE_END.split(text, maxsplit=1)
    first = parts[0].strip()
    rest = parts[1].strip() if len(parts) > 1 else ""
    if first.endswith(".") and not first.endswith(".."):
        first = first[:-1]
    return first, rest


def main_link(links: list[tuple[str, str]]) -> str | None:
    """The link a sentence is about: the first that is not a person's profile page."""
    for _, url in links:
        if not _PROFILE.match(url):
            return url
    return links[0][1] if links else None


def aside_kind(title: str) -> str | None:
    """What kind of non-item section a heading names ("Rust Jobs", "往年回顾"), if any; a long heading
    is an item's title, whatever words it has."""
    text = re.sub(r"[\s*_#:：.。!！]+$", "", re.sub(r"^[\s*_#]+", "", title)).strip()
    if len(text) > 40 or len(text.split()) > 6 or text.startswith(("[", "【")):
        return None
    for kind, pattern in _ASIDES:
        if pattern.search(text):
            return kind
    return None


def bold_label(inline: Inline) -> tuple[str, str] | None:
    """``**Title**: text`` (or ``**Title:** text``): the bold words before a colon, and the text after it."""
    spans = inline.spans
    end = 0
    while (
        end < len(spans) and spans[end].link is None and (spans[end].strong or not has_word(spans[end].text))
    ):
        end += 1
    label = re.sub(r"^[\s*_]+", "", inline.text(spans[:end]))  # "**<!-- -->****Title**" leaves "****"
    rest = inline.text(spans[end:])
    if not has_word(label) or len(label) > 120 or not any(s.strong for s in spans[:end]):
        return None
    if LABEL.search(label):
        return LABEL.sub("", label).strip(), rest
    if re.match(r"^\s*[:：]", rest):
        return label, re.sub(r"^\s*[:：]\s*", "", rest)
    return None


def sentence_item(inline: Inline, more: list[str], context: str | None) -> Item | None:
    """A list item without a leading link: "Title https://…" gives that title and URL; "**Title**: …" gives
    the bold title and the item's main link; "[Title][] …" whose reference is defined elsewhere (a site's
    include) gives that title without a URL; a sentence with a link in it gives its first sentence."""
    text = inline.text()
    unresolved = UNRESOLVED_REFERENCE.match(text)
    if unresolved:
        return make_item(
            unresolved.group(1), None, join_paragraphs([context or "", text[unresolved.end() :], *more])
        )
    labelled = bold_label(inline)
    if labelled is not None:
        url = main_link(inline.links())
        return make_item(labelled[0], url, join_paragraphs([context or "", labelled[1], *more]))
    for index, href in enumerate(inline.hrefs):
        if href is None:
            continue
        link_text = inline.link_text(index)
        if link_text.startswith(("http://", "https://")):
            position = next(i for i, s in enumerate(inline.spans) if s.link == index)
            before = re.sub(r"[\s:：\-–—|]+$", "", inline.text(inline.spans[:position]))
            after = inline.text([s for s in inline.spans[position:] if s.link != index])
            if has_word(before):
                return make_item(before, href, join_paragraphs([context or "", after, *more]))
        break
    url = main_link(inline.links())
    title, rest = first_sentence(text)
    return make_item(title, url, join_paragraphs([context or "", rest, *more]))
