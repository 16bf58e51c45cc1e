"""Checking raw bytes for the usual ways a file is not a newsletter, and telling the formats apart."""

from __future__ import annotations

import csv
import json
import re

from bot.ingest.common import IngestError, extension

FORMATS = ("text", "markdown", "html", "feed", "yaml")

EXPECTED = "expected plain text, Markdown, HTML, RSS/Atom or digestbot YAML"

EXTENSIONS = {
    "txt": "text",
    "text": "text",
    "md": "markdown",
    "markdown": "markdown",
    "mdown": "markdown",
    "mkd": "markdown",
    "html": "html",
    "htm": "html",
    "xhtml": "html",
    "xml": "feed",
    "rss": "feed",
    "atom": "feed",
    "yaml": "yaml",
    "yml": "yaml",
}

# Files whose name already says they are something else.
_FOREIGN_EXTENSIONS = {
    "csv": "a CSV file",
    "tsv": "a TSV file",
    "json": "a JSON file",
    "pdf": "a PDF document",
    "png": "a PNG image",
    "jpg": "a JPEG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "zip": "a ZIP archive",
    "gz": "a gzip archive",
    "docx": "a Word document",
    "doc": "a Word document",
    "xlsx": "an Excel spreadsheet",
    "odt": "an OpenDocument file",
    "epub": "an EPUB book",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an executable program"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"RIFF", "a media file"),
    (b"OggS", "an audio file"),
    (b"ID3", "an MP3 file"),
)


def unknown_format(what: str | None = None) -> IngestError:
    if what:
        return IngestError(f"unknown format ({what}): {EXPECTED}")
    return IngestError(f"unknown format: {EXPECTED}")


def decode(data: bytes) -> str:
    """The text of a newsletter file, or an IngestError saying why the bytes are not one.

    Checks, in order: known binary signatures (an image, an archive...), NUL bytes, UTF-16, UTF-8 validity,
    control characters. A UTF-8 byte-order mark is dropped.
    """
    if not data.strip():
        raise IngestError("file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("file is UTF-16 text; save it as UTF-8")
    for magic, what in _MAGIC:
        # An ASCII signature ("MZ", "%PDF-") could start a text: believe it only if binary bytes follow.
        if data.startswith(magic) and (not magic.isascii() or _binary_soon(data)):
            raise unknown_format(f"this is {what}")
    if b"\x00" in data:
        raise IngestError("looks like binary data, not a newsletter")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    text = text.removeprefix("\ufeff")
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(sample) // 100):
        raise IngestError("looks like binary data, not a newsletter")
    if not text.strip():
        raise IngestError("file is empty")
    return text


def _binary_soon(data: bytes) -> bool:
    head = data[:1024]
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3  # not just a character cut in half at the end
    return False


def format_for(filename: str, fmt: str | None) -> str | None:
    """The format a caller or a file name asks for, if any (the content is sniffed when this is None)."""
    if fmt is not None:
        fmt = fmt.strip().lower()
        aliases = {
            "txt": "text",
            "md": "markdown",
            "htm": "html",
            "rss": "feed",
            "atom": "feed",
            "yml": "yaml",
        }
        fmt = aliases.get(fmt, fmt)
        if fmt not in FORMATS:
            raise IngestError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
        return fmt
    ext = extension(filename)
    if ext in _FOREIGN_EXTENSIONS:
        raise unknown_format(f"this is {_FOREIGN_EXTENSIONS[ext]}")
    return EXTENSIONS.get(ext)


_COMMENT = re.compile(r"^\s*<!--.*?-->\s*", re.DOTALL)
_DIGESTBOT_YAML = re.compile(r"^format:\s*['\"]?digestbot/", re.MULTILINE)
_FRONT_MATTER = re.compile(r"^---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.DOTALL)
_PELICAN = re.compile(r"^[Tt]itle:[ \t]*\S.*\n(?:[A-Za-z][\w -]*:.*\n)*\s*\n")
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_MD_LINK = re.compile(r"\[[^\]\n]+\]\((?:https?://|mailto:|/|\.)[^)\s]*\)|\[[^\]\n]+\]\[[^\]\n]*\]")
_MD_REFDEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+", re.MULTILINE)
_HTML_DOC = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_HTML_BLOCK = re.compile(
    r"<(?:p|div|h[1-6]|ul|ol|li|table|article|section|main|blockquote)[\s>]", re.IGNORECASE
)


def sniff(text: str) -> str:
    """Guess the format from the content alone; raise for content that is clearly something else."""
    head = text[:4096]
    if _DIGESTBOT_YAML.search(head):
        return "yaml"
    body = _COMMENT.sub("", text.lstrip(), count=1) if text.lstrip().startswith("<!--") else text.lstrip()
    start = body[:2048].lower()
    if body.startswith("<"):
        if re.search(r"<(?:rss|feed|rdf:rdf)[\s>]", start) and not re.search(r"<html[\s>]", start):
            return "feed"
        if _HTML_DOC.search(start) or _HTML_BLOCK.match(body):
            return "html"
        if body.startswith("<?xml"):
            raise unknown_format("an XML file that is not an RSS or Atom feed")
    if _FRONT_MATTER.match(text) or _PELICAN.match(text):
        return "markdown"
    if body[:1] in "{[" and _is_json(body):
        raise unknown_format("this is JSON data")
    if _looks_like_csv(text):
        raise unknown_format("this looks like CSV data")
    if _MD_HEADING.search(text) or _MD_REFDEF.search(text) or _MD_LINK.search(text):
        return "markdown"
    if _HTML_DOC.search(head) or len(_HTML_BLOCK.findall(head)) >= 3:
        return "html"
    if _looks_like_structured_yaml(text):
        return "yaml"  # not digestbot's: the YAML parser says what is missing
    return "text"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _looks_like_csv(text: str) -> bool:
    lines = text.strip().splitlines()[:20]
    if len(lines) < 2 or any(not line.strip() for line in lines):
        return False
    for delimiter in (",", ";", "\t", "|"):
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(widths) == 1 and widths.pop() >= 2:
            return True
    return False


def _looks_like_structured_yaml(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
    if not re.match(r"^[A-Za-z_][\w-]*:(\s|$)", first):
        return False
    import yaml  # only for text that starts like a YAML mapping

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and any(isinstance(v, list | dict) for v in loaded.values())
