"""What every parser shares: the error type, number and date detection, text clean-up, section building."""

from __future__ import annotations

import email.utils
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from bot.model import Issue, Item, Section


class IngestError(ValueError):
    """A newsletter could not be read. The message is one human line; the CLI prefixes the file name."""


# ------------------------------------------------------------------------------------------------ names


def is_url(name: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", name))


def path_part(name: str) -> str:
    """The path of a file name or URL (a URL's query and fragment do not name the file)."""
    return unquote(urlsplit(name).path) if is_url(name) else name


def extension(name: str) -> str:
    """The lower-case extension of a file name or URL, without the dot ("" if none)."""
    return PurePosixPath(path_part(name).replace("\\", "/")).suffix.lower().lstrip(".")


def stem(name: str) -> str:
    path = path_part(name).replace("\\", "/").rstrip("/")
    return PurePosixPath(path).stem if path else ""


def title_from_filename(name: str) -> str:
    """A last-resort title: "issue-538.markdown" gives "Issue 538"."""
    words = re.sub(r"[-_.]+", " ", stem(name)).strip()
    return words[:1].upper() + words[1:] if words else "Untitled issue"


# ----------------------------------------------------------------------------------------------- numbers

_ISSUE_NUMBER = re.compile(
    r"\bissue\s*(?:no\.?|number|num\.?)?\s*#?\s*(\d{1,7})\b|#\s?(\d{1,7})\b|\bno\.\s*(\d{1,7})\b",
    re.IGNORECASE,
)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|"
    "september|october|november|december"
)
_TRAILING_NUMBER = re.compile(r"(?<![\d.,/:-])(\d{1,7})\s*$")
_YEAR_AFTER_MONTH = re.compile(rf"\b(?:{_MONTHS})\.?(?:\s+\d{{1,2}})?,?\s+\d{{4}}\s*$", re.IGNORECASE)
_DATE_IN_NAME = re.compile(r"(?<!\d)\d{4}[-_.]\d{1,2}[-_.]\d{1,2}(?!\d)")
_NAMED_NUMBER_IN_NAME = re.compile(
    r"(?:issue|week|no|num|number|ep|episode|vol|n)[-_ .#]*0*(\d{1,7})(?!\d)", re.I
)


def number_from_title(title: str | None) -> int | None:
    """ "Issue #195", "#195", "Issue 195" or "Issue No. 7" anywhere in the title."""
    if not title:
        return None
    match = _ISSUE_NUMBER.search(title)
    if match:
        return int(next(g for g in match.groups() if g))
    return None


def number_from_title_end(title: str | None) -> int | None:
    """A title ending in a number: "This Week in Rust 665" (but not "March 2021")."""
    if not title or _YEAR_AFTER_MONTH.search(title):
        return None
    match = _TRAILING_NUMBER.search(title)
    return int(match.group(1)) if match else None


def number_from_name(name: str | None) -> int | None:
    """Digits in a file name ("issue-538.markdown", "week_073.html"), ignoring dates such as 2026-08-19."""
    if not name:
        return None
    base = _DATE_IN_NAME.sub(" ", stem(name))
    named = _NAMED_NUMBER_IN_NAME.findall(base)
    if named:
        return int(named[-1])
    digits = re.findall(r"\d{1,7}", base)
    return int(digits[-1]) if digits else None


def coerce_number(value: object) -> int | None:
    """A front-matter ``number:`` value: an int, or a string such as "195" or "#195"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*#?\s*(\d{1,7})\s*", value)
        if match:
            return int(match.group(1))
    return None


def detect_number(
    titles: Iterable[str | None], *, meta_number: object = None, filename: str | None = None
) -> int | None:
    """The issue number, by the documented order of preference.

    1. "Issue #195" / "#195" / "Issue 195" in a title; 2. front matter ``number:``; 3. a title ending in a
    number; 4. digits in the file name. None if nothing fits.
    """
    titles = [t for t in titles if t]
    for title in titles:
        found = number_from_title(title)
        if found is not None:
            return found
    found = coerce_number(meta_number)
    if found is not None:
        return found
    for title in titles:
        found = number_from_title_end(title)
        if found is not None:
            return found
    return number_from_name(filename)


# ------------------------------------------------------------------------------------------------- dates

_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d.%m.%Y")


def parse_date(value: object) -> date | None:
    """A date from front matter or a feed: a date, a datetime, an ISO string, or an RFC 2822 string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - only the date part is kept
        except ValueError:
            continue
    return None


# -------------------------------------------------------------------------------------------------- text


def squash(text: str) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) to one space and strip the ends."""
    return " ".join(text.replace("\u00a0", " ").split())


def join_paragraphs(parts: Iterable[str]) -> str:
    return "\n\n".join(p for p in (part.strip() for part in parts) if p)


def clean_heading(text: str) -> str:
    """A section title without decoration: "**Papers.**" gives "Papers", "Links:" gives "Links"."""
    text = squash(text)
    text = re.sub(r"^[\s#=*_~\-–—•·|]+|[\s#=*_~\-–—•·|]+$", "", text)
    return re.sub(r"(?<![.])[.:]$", "", text).strip()


def has_word(text: str) -> bool:
    """Whether the text has a letter or digit (a link made of an image or an emoji alone has none)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


# A sponsor marker inside a title or blurb; it marks the item sponsored and is removed from the text.
_SPONSOR_MARKER = re.compile(
    r"[ \t]*[(\[](?:sponsored(?:\s+(?:content|post|link|by\s+[^)\]]{1,60}))?|sponsor|partner(?:\s+content)?|"
    r"advertisement|promoted)[)\]][ \t]*",
    re.IGNORECASE,
)
_SPONSOR_PREFIX = re.compile(r"^\s*(?:sponsored|sponsor|advertisement|promoted)\s*[:|–—-]\s*", re.IGNORECASE)
_SPONSOR_SECTION = re.compile(
    r"\b(?:sponsors?|sponsored(?: content| links?)?|from our sponsors?|partners?)\b|赞助|贊助|スポンサー",
    re.I,
)


def strip_sponsor_marker(text: str) -> tuple[str, bool]:
    """Remove a "(Sponsored Content)"-like marker; report whether there was one."""
    marked = False
    if _SPONSOR_PREFIX.search(text):
        text, marked = _SPONSOR_PREFIX.sub("", text, count=1), True
    new = _SPONSOR_MARKER.sub(" ", text)
    if new != text:
        marked = True
        text = "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in new.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, marked


def is_sponsor_section(title: str | None) -> bool:
    return bool(title and _SPONSOR_SECTION.search(title))


# Links that are calls to action or site furniture, not stories: never items.
_BOILERPLATE_TITLE = re.compile(
    r"^(?:please\b|subscribe\b|submit (?:your|a|an)\b|订阅|訂閱|購読|unsubscribe\b|sign up\b|donate\b|"
    r"support us\b|follow us\b|click here\b|"
    r"view (?:this |it |the )?(?:email |issue |newsletter )?(?:in |on )?(?:your |a )?(?:browser|online|web)|"
    r"read (?:more|online|it online|the full|on the web)\b|full (?:report|story|article|issue|post) here\b|"
    r"discuss (?:on|this)\b|share (?:this|on)\b|manage (?:your )?(?:subscription|preferences)|"
    r"forward (?:this|to a friend)|update your preferences|tweet\b|here\.?$|link\.?$|source\.?$|"
    r"permalink\.?$|continue reading\b|more\.?$|back to top\b|"
    r"[『「\[(（]?(?:上一期|下一期|previous issue|next issue)[』」\])）]?$|"
    r".{0,20}请(?:您)?(?:提议|提交|投票|推荐)|欢迎(?:提交|投稿|推荐)|此处可查阅|点击(?:此处|这里))",
    re.IGNORECASE,
)


def is_boilerplate_link(title: str) -> bool:
    return bool(_BOILERPLATE_TITLE.match(re.sub(r"^[^\w\[『「(（]+", "", title.strip())))


def usable_href(href: object) -> str | None:
    """A link that can be an item's URL: not empty, not an in-page anchor, not javascript:."""
    if not isinstance(href, str):
        return None
    href = href.strip()
    if not href or href.startswith("#") or re.match(r"(?i)^(?:javascript|data|vbscript):", href):
        return None
    return href


def make_item(title: str, url: str | None, blurb: str, *, sponsored: bool = False) -> Item | None:
    """An Item from extracted text, with the sponsor marker handled; None if it has no real title."""
    title, title_marked = strip_sponsor_marker(squash(title))
    blurb, blurb_marked = strip_sponsor_marker(blurb.strip())
    if not has_word(title) or is_boilerplate_link(title):
        return None
    return Item(title=title, url=url, blurb=blurb, sponsored=sponsored or title_marked or blurb_marked)


# ------------------------------------------------------------------------------------------------ issues


@dataclass(slots=True)
class Heading:
    """A heading seen so far, with its level (1 for ``#``/``<h1>``): what a nested heading is named after."""

    level: int
    title: str


@dataclass(slots=True)
class IssueBuilder:
    """Collects sections and items in document order.

    Headings may nest: a heading under a shallower one opens its own section titled "Parent: Child" (only
    the nearest parent is named, so "Updates from Rust Community" / "Official" gives "Updates from Rust
    Community: Official"). Items before the first heading go to an untitled lead section.
    """

    sections: list[Section] = field(default_factory=lambda: [Section(title=None)])
    _stack: list[Heading] = field(default_factory=list)

    @property
    def current(self) -> Section:
        return self.sections[-1]

    @property
    def has_heading(self) -> bool:
        return bool(self._stack)

    def heading(self, level: int, title: str) -> None:
        title = clean_heading(title)
        if not title:
            return
        while self._stack and self._stack[-1].level >= level:
            self._stack.pop()
        full = title
        if self._stack:
            parent = self._stack[-1].title
            full = f"{parent} {title}" if parent[-1] in "?!:" else f"{parent}: {title}"
        self._stack.append(Heading(level, title))
        self.sections.append(Section(title=full))

    def item_count(self) -> int:
        return sum(len(section.items) for section in self.sections)

    def add(self, item: Item | None) -> Item | None:
        if item is None:
            return None
        if is_sponsor_section(self.current.title):
            item.sponsored = True
        self.current.items.append(item)
        return item


def finish(issue: Issue, *, filename: str) -> Issue:
    """Renumber and fill in the source; every parser ends with this."""
    if not issue.source and filename:
        issue.source = filename
    issue.renumber()
    return issue


@dataclass(slots=True)
class PendingItem:
    """An item whose title and link are known and whose blurb is still being collected."""

    title: str
    url: str | None
    parts: list[str] = field(default_factory=list)
    byline: str | None = None

    def item(self) -> Item | None:
        blurb = join_paragraphs(self.parts)
        if self.byline:
            blurb = f"{blurb}\n\n— {self.byline}" if blurb else f"by {self.byline}"
        return make_item(self.title, self.url, blurb)
