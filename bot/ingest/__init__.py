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
from bot.ingest.feed import parse_feed
from bot.ingest.html import parse_html
from bot.ingest.markdown import parse_markdown
from bot.ingest.plain_text import parse_text
from bot.ingest.yaml_format import dump_yaml, parse_yaml
from bot.model import Issue

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "IngestError",
    "dump_yaml",
    "number_from_name",
    "parse_bytes",
    "parse_file",
]

MAX_BYTES = 10 * 1024 * 1024


def _too_big(size: int) -> IngestError:
    return IngestError(
        f"file is {size / (1024 * 1024):.1f} MB, larger than the {MAX_BYTES // (1024 * 1024)} MB limit"
    )


def parse_bytes(data: bytes, *, filename: str = "", fmt: str | None = None) -> list[Issue]:
    """The issues in a newsletter file's bytes. ``filename`` (a path or URL) helps detection and becomes the
    issues' source; ``fmt`` ("text", "markdown", "html", "feed", "yaml") skips detection."""
    if len(data) > MAX_BYTES:
        raise _too_big(len(data))
    chosen = format_for(filename, fmt)
    if chosen == "feed" and data.strip() and b"\x00" not in data[:1024] and data.lstrip().startswith(b"<"):
        issues = parse_feed(data, filename=filename)  # feedparser honours the feed's declared encoding
    else:
        text = decode(data)
        chosen = chosen or sniff(text)
        if chosen == "feed":
            issues = parse_feed(data, filename=filename)
        elif chosen == "yaml":
            issues = [parse_yaml(text, filename=filename)]
        elif chosen == "html":
            issues = [parse_html(text, filename=filename)]
        elif chosen == "markdown":
            issues = [parse_markdown(text, filename=filename)]
        else:
            issues = [parse_text(text, filename=filename)]
    if not issues or any(not issue.items for issue in issues):
        raise IngestError("no items found")
    return issues


def parse_file(path: Path, *, fmt: str | None = None) -> list[Issue]:
    """The issues in a newsletter file (at most ``MAX_BYTES`` of it is read)."""
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
    return parse_bytes(data, filename=str(path), fmt=fmt)
