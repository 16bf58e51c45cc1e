"""Bad input: each case gives an IngestError with one clear line saying what is wrong."""

from pathlib import Path

import pytest

from bot.ingest import MAX_BYTES, IngestError, parse_bytes, parse_file

EXPECTED = "expected plain text, Markdown, HTML, RSS/Atom or digestbot YAML"


def error_of(data: bytes, filename: str = "", fmt: str | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        parse_bytes(data, filename=filename, fmt=fmt)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_ingest_error_is_a_value_error() -> None:
    assert issubclass(IngestError, ValueError)


@pytest.mark.parametrize("data", [b"", b"   \n\n\t  \n", b"\xef\xbb\xbf\n"])
def test_empty(data: bytes) -> None:
    assert error_of(data, "issue.txt") == "file is empty"


def test_binary_with_nuls() -> None:
    data = b"Weekly\n\n" + bytes(range(256)) * 4
    assert error_of(data) == "looks like binary data, not a newsletter"
    assert error_of(data, "issue.md") == "looks like binary data, not a newsletter"


def test_invalid_utf8_names_the_byte_and_offset() -> None:
    data = b"A title\n\n" + b"x" * 1225 + b"\x9f more text"
    assert error_of(data, "issue.txt") == "not valid UTF-8 (byte 0x9f at offset 1234)"


def test_latin1_text_is_invalid_utf8() -> None:
    assert error_of("Café Weekly\n\nItem\n\nBlurb.".encode("latin-1")).startswith(
        "not valid UTF-8 (byte 0xe9"
    )


def test_png_is_an_unknown_format() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    message = error_of(png, "newsletter.png")
    assert message.startswith("unknown format")
    assert EXPECTED in message
    assert error_of(png).startswith("unknown format")  # by content alone


def test_csv_is_an_unknown_format() -> None:
    csv_data = b"title,url,votes\nFirst,https://a.example/1,3\nSecond,https://a.example/2,5\n"
    assert error_of(csv_data).startswith("unknown format")
    assert error_of(csv_data, "export.csv").startswith("unknown format")


def test_json_and_plain_xml_are_unknown_formats() -> None:
    assert error_of(b'{"items": [1, 2]}').startswith("unknown format")
    assert error_of(b'<?xml version="1.0"?><catalog><book/></catalog>').startswith("unknown format")


def test_text_with_no_items() -> None:
    text = b"My Newsletter 4\n\nHello everyone,\n\nNothing to share this week, sorry.\n\nSee you next week!\n"
    assert error_of(text, "news.txt") == "no items found"
    assert error_of(b"# Title\n\nJust a paragraph with a [link](https://a.example) in it.\n", "a.md") == (
        "no items found"
    )
    assert error_of(b"<html><body><p>Nothing here.</p></body></html>", "a.html") == "no items found"


def test_over_the_size_limit_is_refused_before_decoding() -> None:
    big = b"\xff" * (20 * 1024 * 1024)  # not UTF-8 either: the size is reported first
    assert error_of(big) == "file is 20.0 MB, larger than the 10 MB limit"
    assert error_of(b"a" * (MAX_BYTES + 1)).endswith("larger than the 10 MB limit")


def test_exactly_the_limit_is_accepted() -> None:
    head = b"Big Weekly 1\n\nOne item\n\nIts blurb.\n\n"
    data = head + b" " * (MAX_BYTES - len(head))
    assert len(data) == MAX_BYTES
    (issue,) = parse_bytes(data, filename="big.txt")
    assert [i.title for i in issue.items] == ["One item"]


def test_big_file_on_disk_reports_its_real_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(25 * 1024 * 1024)  # sparse: nothing large is written
    with pytest.raises(IngestError, match=r"^file is 25\.0 MB, larger than the 10 MB limit$"):
        parse_file(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"^no such file$"):
        parse_file(tmp_path / "nope.md")
    with pytest.raises(IngestError, match="directory"):
        parse_file(tmp_path)


def test_unknown_fmt_argument() -> None:
    assert (
        error_of(b"hello", fmt="docx")
        == "unknown format 'docx': choose one of text, markdown, html, feed, yaml"
    )


def test_fmt_argument_overrides_the_extension() -> None:
    text = b"Plain 2\n\nAn item title\n\nIts blurb, written as prose.\n"
    (issue,) = parse_bytes(text, filename="looks-like.html", fmt="text")
    assert [i.title for i in issue.items] == ["An item title"]
    (issue,) = parse_bytes(b"## Links\n\n* [A](https://a.example)\n", filename="notes.txt", fmt="markdown")
    assert issue.items[0].url == "https://a.example"


def test_markdown_is_sniffed_without_an_extension() -> None:
    (issue,) = parse_bytes(b"## Links\n\n* [A](https://a.example)\n")
    assert [(s.title, i.url) for s in issue.sections for i in s.items] == [("Links", "https://a.example")]


def test_broken_front_matter_is_reported() -> None:
    message = error_of(b"---\ntitle: [oops\n---\n\n* [A](https://a.example)\n", "a.md")
    assert message.startswith("front matter (the --- block at the top) is not valid YAML")
