"""Fuzzing the readers with what people paste: Markdown, HTML and text, CJK and control characters.

Whatever the input, a reader answers with issues or an IngestError (never another exception), and every
item it returns has a title with a letter or digit in it.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest import IngestError, read_bytes
from bot.ingest.common import has_word

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=6)
WORDS = st.one_of(
    st.text(min_size=1, max_size=12), CJK, st.sampled_from(["标题", "タイトル", "Title", "①", "（1）"])
)
URLS = st.one_of(
    st.sampled_from(
        ["https://a.example/x", "http://b.example.org/", "#anchor", "javascript:alert(1)", "", "//x"]
    ),
    st.text(max_size=20),
)
MD_LINE = st.one_of(
    st.builds(lambda w, u: f"[{w}]({u})", WORDS, URLS),
    st.builds(lambda n, w, u: f"{n}、[{w}]({u})", st.integers(0, 20), WORDS, URLS),
    st.builds(lambda w: f"## {w}", WORDS),
    st.builds(lambda w: f"**{w}**", WORDS),
    st.builds(lambda w, u: f"- [{w}]({u}) by {w}", WORDS, URLS),
    st.builds(lambda w: f"> {w}", WORDS),
    st.builds(lambda w, u: f"| [{w}]({u}) | {w} |", WORDS, URLS),
    st.just("|---|---|"),
    st.just("---"),
    st.builds(lambda w: f"<h3><span>{w}</span></h3>", WORDS),
    st.builds(lambda w, u: f"<{u}>", WORDS, URLS),
    st.builds(lambda w: f"-- {w}", WORDS),
    WORDS,
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=3),
)
HTML_PART = st.one_of(
    st.builds(lambda w, u: f'<a href="{u}">{w}</a>', WORDS, URLS),
    st.builds(
        lambda t, w: f"<{t}>{w}</{t}>",
        st.sampled_from(["h1", "h2", "h3", "h5", "h6", "p", "li", "b", "td"]),
        WORDS,
    ),
    st.sampled_from(
        [
            "<ul>",
            "</ul>",
            "<ol>",
            "<li>",
            "<table><tr>",
            "</tr></table>",
            "<hr>",
            "<br>",
            "<blockquote>",
            "<div>",
        ]
    ),
    WORDS,
)


def check(data: bytes, filename: str) -> None:
    try:
        issues, report = read_bytes(data, filename=filename)
    except IngestError:
        return
    assert issues
    for issue in issues:
        for item in issue.items:
            assert item.title.strip()
            assert has_word(item.title)
    assert report.items == sum(len(issue.items) for issue in issues) or report.format in ("feed",)
    assert report.summary()


@FUZZ
@given(st.lists(MD_LINE, max_size=25), st.sampled_from(["\n", "\n\n", "  \n"]))
def test_markdown_never_fails_but_with_an_ingest_error(lines: list[str], sep: str) -> None:
    check(sep.join(lines).encode("utf-8", "surrogatepass"), "issue.md")


@FUZZ
@given(st.lists(HTML_PART, max_size=30))
def test_html_never_fails_but_with_an_ingest_error(parts: list[str]) -> None:
    check(("<html><body>" + "".join(parts)).encode("utf-8", "surrogatepass"), "issue.html")


@FUZZ
@given(st.text(max_size=400))
def test_any_text_never_fails_but_with_an_ingest_error(text: str) -> None:
    for name in ("issue.txt", "issue.md", "issue.html", ""):
        check(text.encode("utf-8", "surrogatepass"), name)


@FUZZ
@given(st.lists(HTML_PART, max_size=12))
def test_feed_bodies_never_fail_but_with_an_ingest_error(parts: list[str]) -> None:
    from html import escape

    body = escape("".join(parts))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>Issue 1</title><description>{body}</description></item></channel></rss>"
    )
    check(feed.encode("utf-8", "surrogatepass"), "feed.rss")
