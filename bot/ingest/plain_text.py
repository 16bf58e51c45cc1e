"""Plain-text newsletters: a title line, an optional subtitle and intro, then headings and items.

The text is cut into paragraphs at blank lines (any number of them, so the stray double blank lines some
exports have do not matter). Each paragraph is then either *title-like* (one short line, no sentence in it,
no terminal period) or *prose*. Reading in order:

* a title-like paragraph followed by prose is an item title, and the prose paragraphs up to the next
  title-like one are its blurb (joined with a blank line);
* a title-like paragraph followed by another title-like one is a section heading, when it is short enough
  to be one; otherwise it is an item without a blurb;
* the intro runs from a greeting paragraph ("Hey folks,") through a sign-off line ("Until next week!") and
  is neither an item nor a section; a text without a greeting has no intro;
* items before the first heading form an untitled lead section;
* "(Sponsored Content)" in a title or blurb marks the item sponsored and is removed.

A bare URL on the line after a title (or alone after it) becomes the item's link; otherwise items have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.ingest.common import IssueBuilder, detect_number, finish, make_item, squash, title_from_filename
from bot.model import Issue

_GREETING = re.compile(
    r"^(?:hey|hi|hello|dear|greetings|good (?:morning|afternoon|evening|day)|howdy|welcome|bonjour|hola)\b"
    r"[^.]{0,60}[,!:.]?$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:until (?:next (?:week|time|issue|month)|then)\b.*|see you (?:next|soon|then|in)\b.*|"
    r"cheers[!,.]?(?:\s.{0,40})?|happy (?:reading|hacking|learning)\b.*|enjoy(?: the issue| reading)?[!.]|"
    r"thanks(?: for reading| again)?[!,.]|thank you(?: for reading)?[!,.]|"
    r"(?:best|warm|kind)(?: regards| wishes)?,|"
    r"stay (?:tuned|safe|curious)[!,.]|talk (?:soon|to you (?:soon|next week))[!,.]?|take care[!,.]?|"
    r"all the best[!,.]?|regards,|have a (?:great|good|nice|lovely) (?:week|weekend|day)\b.*|"
    r"that'?s (?:all|it) for (?:this|today|now)\b.*)$",
    re.IGNORECASE,
)
_URL_LINE = re.compile(r"^<?(https?://\S+?)>?$")
_TRAILING_URL = re.compile(r"^(.*?\S)\s*(?:[-–—|:]\s*)?[(<]?(https?://[^\s)>]+)[)>]?$")
_SENTENCE_BREAK = re.compile(r"[.!?…][\"'”’)]?\s+[\"'“‘(]?[A-Z0-9]")
_RULE = re.compile(r"^[\s\-=_*~#•·.]{3,}$")
_UNDERLINE = re.compile(r"^\s*(?:=+|-+)\s*$")

MAX_TITLE_WORDS = 30
MAX_TITLE_CHARS = 200
MAX_HEADING_WORDS = 8
MAX_HEADING_CHARS = 60


@dataclass(slots=True)
class _Para:
    lines: list[str]
    forced_heading: bool = False

    @property
    def text(self) -> str:
        return squash(" ".join(self.lines))


def _paragraphs(text: str) -> list[_Para]:
    paras: list[_Para] = []
    current: list[str] = []
    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if line:
            current.append(line)
            continue
        if current:
            paras.extend(_split_block(current))
            current = []
    return paras


def _split_block(lines: list[str]) -> list[_Para]:
    """One blank-line-separated block: drop rules, recognise "Heading" + "=====" underlines."""
    if all(_RULE.match(line) for line in lines):
        return []
    if len(lines) == 2 and _UNDERLINE.match(lines[1]) and len(lines[0]) <= MAX_HEADING_CHARS * 2:
        return [_Para([lines[0]], forced_heading=True)]
    decorated = re.match(r"^(?:#{1,6}\s+|[=*~]{2,}\s*)(.+?)(?:\s*[=*~#]{2,})?$", lines[0])
    if len(lines) == 1 and decorated:
        return [_Para([decorated.group(1)], forced_heading=True)]
    return [_Para(lines)]


def _is_title_like(para: _Para) -> bool:
    if para.forced_heading:
        return True
    if len(para.lines) > 2 or (len(para.lines) == 2 and not _URL_LINE.match(para.lines[1])):
        return False
    text = para.lines[0]
    if len(text) > MAX_TITLE_CHARS or len(text.split()) > MAX_TITLE_WORDS or _URL_LINE.match(text):
        return False
    if text.endswith((".", ";", ",")) and not text.endswith("..."):
        return False
    return not _SENTENCE_BREAK.search(text)


def _is_heading_shaped(para: _Para) -> bool:
    if para.forced_heading:
        return True
    text = para.text
    return (
        len(para.lines) == 1
        and len(text) <= MAX_HEADING_CHARS
        and len(text.split()) <= MAX_HEADING_WORDS
        and not text.endswith(("?", "!"))
    )


def _is_sign_off(para: _Para) -> bool:
    text = para.text
    return len(text.split()) <= 10 and bool(_SIGN_OFF.match(text))


def _is_greeting(para: _Para) -> bool:
    text = para.text
    return len(para.lines) == 1 and len(text.split()) <= 8 and bool(_GREETING.match(text))


@dataclass(slots=True)
class _Pending:
    title: str
    url: str | None = None
    blurb: list[str] = field(default_factory=list)


def parse_text(text: str, *, filename: str = "") -> Issue:
    paras = _paragraphs(text)
    pos = 0
    title: str | None = None
    subtitle: str | None = None
    if paras and not _is_greeting(paras[0]) and _is_title_like(paras[0]) and not paras[0].forced_heading:
        title = paras[0].lines[0]
        pos = 1
        if len(paras) > pos + 1 and _is_subtitle(paras, pos):
            subtitle = paras[pos].text
            pos += 1
    intro: str | None = None
    if pos < len(paras) and _is_greeting(paras[pos]):
        end = _intro_end(paras, pos)
        intro = "\n\n".join(p.text for p in paras[pos : end + 1])
        pos = end + 1

    builder = IssueBuilder()
    pending: _Pending | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            builder.add(make_item(pending.title, pending.url, "\n\n".join(pending.blurb)))
            pending = None

    body = paras[pos:]
    for index, para in enumerate(body):
        nxt = body[index + 1] if index + 1 < len(body) else None
        closing = _is_sign_off(para) and (nxt is None or _is_title_like(nxt))
        if (pending is not None or builder.current.items) and closing:
            break  # the closing words of the issue
        url_line = _URL_LINE.match(para.text)
        if pending is not None and url_line and not pending.url and not pending.blurb:
            pending.url = url_line.group(1)
            continue
        if _is_title_like(para):
            followed_by_prose = nxt is not None and not _is_title_like(nxt) and not _URL_LINE.match(nxt.text)
            followed_by_url = nxt is not None and bool(_URL_LINE.match(nxt.text))
            if para.forced_heading or (
                not followed_by_prose and not followed_by_url and _is_heading_shaped(para) and nxt is not None
            ):
                flush()
                builder.heading(1, para.text)
                continue
            flush()
            pending = _title_with_url(para)
            continue
        if pending is not None:
            pending.blurb.append(para.text)
        # Prose with no item before it (a section's own introduction) is not an item.
    flush()

    issue = Issue(
        title=title or title_from_filename(filename),
        number=detect_number([title], filename=filename),
        subtitle=subtitle,
        intro=intro,
        sections=builder.sections,
    )
    return finish(issue, filename=filename)


def _is_subtitle(paras: list[_Para], pos: int) -> bool:
    """The paragraph after the title is a subtitle when a greeting follows it, or when it is one line
    that is neither a heading nor an item title (an item title is followed by prose)."""
    candidate, after = paras[pos], paras[pos + 1]
    if _is_greeting(candidate) or candidate.forced_heading or len(candidate.lines) > 1:
        return False
    if _is_greeting(after):
        return True
    return _is_title_like(after) and not _is_heading_shaped(candidate) and _is_title_like(candidate)


def _intro_end(paras: list[_Para], start: int) -> int:
    """The index of the intro's last paragraph: the sign-off line, or the paragraph before the first item."""
    for index in range(start + 1, len(paras)):
        if _is_sign_off(paras[index]):
            return index
        nxt = paras[index + 1] if index + 1 < len(paras) else None
        if _is_title_like(paras[index]) and nxt is not None and not _is_title_like(nxt):
            return index - 1
    return start


def _title_with_url(para: _Para) -> _Pending:
    if len(para.lines) == 2:
        url = _URL_LINE.match(para.lines[1])
        return _Pending(title=para.lines[0], url=url.group(1) if url else None)
    match = _TRAILING_URL.match(para.text)
    if match:
        return _Pending(title=match.group(1), url=match.group(2))
    return _Pending(title=para.text)
