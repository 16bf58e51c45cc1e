"""Reading newsletter issues from files: plain text, Markdown, HTML, RSS/Atom and digestbot's own YAML.

``parse_bytes`` / ``parse_file`` check the input (size, emptiness, binary data, encoding), pick the format
(the ``fmt`` argument, else the file extension, else the content) and return the issues it holds: a feed
gives one per entry, every other format one. Every issue returned has at least one item.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from bot.ingest.common import IngestError, number_from_name
from bot.ingest.detect import FORMATS, decode, format_for, sniff
from bot.ingest.report import ParseReport
from bot.model import Issue

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "IngestError",
    "ParseReport",
    "dump_yaml",
    "number_from_name",
    "parse_bytes",
    "parse_file",
    "read_bytes",
    "read_file",
]

MAX_BYTES = 10 * 1024 * 1024


def _too_big(size: int) -> IngestError:
    return IngestError(
        f"file is {size / (1024 * 1024):.1f} MB, larger than the {MAX_BYTES // (1024 * 1024)} MB limit"
    )


def dump_yaml(issue: Issue) -> str:
    """The issue in digestbot's own YAML format (see ``bot.ingest.yaml_format``)."""
    from bot.ingest.yaml_format import dump_yaml as dump

    return dump(issue)


def _layout_report(issues: list[Issue], fmt: str, text: str) -> ParseReport:
    """The report of a format read by its layout (plain text, digestbot YAML): counts only."""
    report = ParseReport(format=fmt)
    report.sections = sum(len(issue.sections) for issue in issues)
    report.items = sum(len(issue.items) for issue in issues)
    report.text_chars = len(" ".join(text.split()))
    report.item_chars = sum(len(i.title) + len(i.blurb) for issue in issues for i in issue.items)
    return report


def read_bytes(
    data: bytes, *, filename: str = "", fmt: str | None = None, require_items: bool = True
) -> tuple[list[Issue], ParseReport]:
    """The issues in a newsletter file's bytes, and the report of how they were read.

    ``filename`` (a path or URL) helps detection and becomes the issues' source; ``fmt`` ("text",
    "markdown", "html", "feed", "yaml") skips detection. Each format's reader (and its library) is imported
    only when that format is read. ``require_items=False`` returns an issue without items (and its report)
    instead of raising "no items found", for ``digestbot parse --explain``.
    """
    if len(data) > MAX_BYTES:
        raise _too_big(len(data))
    chosen = format_for(filename, fmt)
    if chosen == "feed" and data.strip() and b"\x00" not in data[:1024] and data.lstrip().startswith(b"<"):
        from bot.ingest.feed import read_feed

        issues, report = read_feed(data, filename=filename)  # feedparser honours the declared encoding
    else:
        text = decode(data)
        chosen = chosen or sniff(text)
        if chosen == "feed":
            from bot.ingest.feed import read_feed

            issues, report = read_feed(data, filename=filename)
        elif chosen == "yaml":
            from bot.ingest.yaml_format import parse_yaml

            issues = [parse_yaml(text, filename=filename)]
            report = _layout_report(issues, "yaml", text)
        elif chosen == "html":
            from bot.ingest.html import read_html

            issue, report = read_html(text, filename=filename)
            issues = [issue]
        elif chosen == "markdown":
            from bot.ingest.markdown import read_markdown

            issue, report = read_markdown(text, filename=filename)
            issues = [issue]
        else:
            from bot.ingest.plain_text import parse_text

            issues = [parse_text(text, filename=filename)]
            report = _layout_report(issues, "text", text)
    if require_items and (not issues or any(not issue.items for issue in issues)):
        raise IngestError("no items found")
    return issues, report


def parse_bytes(data: bytes, *, filename: str = "", fmt: str | None = None) -> list[Issue]:
    """The issues in a newsletter file's bytes (see ``read_bytes``); every issue has at least one item."""
    return read_bytes(data, filename=filename, fmt=fmt)[0]


def parse_file(path: Path, *, fmt: str | None = None) -> list[Issue]:
    """The issues in a newsletter file (at most ``MAX_BYTES`` of it is read)."""
    return read_file(path, fmt=fmt)[0]


def read_file(
    path: Path, *, fmt: str | None = None, require_items: bool = True
) -> tuple[list[Issue], ParseReport]:
    """The issues in a newsletter file and the report of how they were read (see ``read_bytes``)."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                raise _too_big(size)
            data = handle.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise IngestError("is a directory, not a file") from None
    except FileNotFoundError:
        raise IngestError("no such file") from None
    except PermissionError:
        raise IngestError("permission denied: cannot read the file") from None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise IngestError("no such file (a parent in the path is not a directory)") from None
        raise IngestError(f"cannot read the file: {exc.strerror or exc}") from None
    return read_bytes(data, filename=str(path), fmt=fmt, require_items=require_items)
