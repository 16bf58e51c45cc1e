"""HTML issue pages (and the HTML bodies of feed entries), read with BeautifulSoup's "html.parser".

* Title: the first ``<h1>``, else ``<title>``; a ``<link rel="canonical">`` or ``og:url`` is the source.
* The DOM becomes blocks for the structural reader (``bot.ingest.shape``): headings, paragraphs (``<p>``,
  and the loose text and inline elements between blocks, as in ``<li>Label:<ul>…``), lists, quotes,
  tables, ``<pre>`` and ``<hr>``; ``<div>``, ``<section>``, ``<article>`` and the like are walked through.
  An ``h4``-``h6`` heading without a link is a byline or a lab name, not a section.
* ``script``, ``style``, ``nav``, ``footer``, ``noscript``, ``template``, ``form``, ``svg``, ``iframe``,
  buttons and comments are skipped.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, PageElement, Tag

from bot.ingest.blocks import BYLINE_HEADING, Block, Inline
from bot.ingest.common import detect_number, finish, is_url, parse_date, squash, title_from_filename
from bot.ingest.report import ParseReport
from bot.ingest.shape import shape
from bot.model import Issue

_SKIP = {
    "script",
    "style",
    "nav",
    "footer",
    "noscript",
    "template",
    "form",
    "svg",
    "iframe",
    "button",
    "select",
    "head",
    "title",
    "meta",
    "link",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_STRONG = {"b", "strong"}
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "header",
    "aside",
    "figure",
    "figcaption",
    "center",
    "body",
    "html",
    "dl",
    "dd",
    "dt",
    "details",
    "summary",
    "tbody",
    "thead",
    "tfoot",
    "address",
    "hgroup",
}
_BLOCKS = (
    _HEADINGS | _CONTAINERS | {"p", "ul", "ol", "li", "blockquote", "table", "pre", "hr", "tr", "td", "th"}
)


def _text_of(string: str) -> str:
    """A DOM string with its whitespace runs as single spaces (kept at the ends, where they separate)."""
    return (
        " ".join(string.split())
        if not string[:1].isspace() and not string[-1:].isspace()
        else (
            (" " if string[:1].isspace() else "")
            + " ".join(string.split())
            + (" " if string[-1:].isspace() else "")
        )
    )


def _inline_child(child: PageElement, out: Inline, link: int | None, strong: bool) -> None:
    if isinstance(child, Comment):
        return
    if isinstance(child, NavigableString):
        if str(child).strip() or out.spans:
            out.add_text(_text_of(str(child)), link=link, strong=strong)
        return
    if not isinstance(child, Tag) or child.name in _SKIP:
        return
    name = child.name
    if name == "br":
        out.add_break(link, hard=True)
    elif name == "img":
        out.images += 1
    elif name == "a":
        index = out.open_link(child.get("href")) if link is None else link
        _inline_into(child, out, index, strong)
    elif name in _STRONG:
        _inline_into(child, out, link, True)
    elif name in _BLOCKS:
        out.add_break()
        _inline_into(child, out, link, strong)
        out.add_break()
    else:
        _inline_into(child, out, link, strong)


def _inline_into(node: Tag, out: Inline, link: int | None = None, strong: bool = False) -> None:
    for child in node.children:
        _inline_child(child, out, link, strong)


def inline_of(node: Tag) -> Inline:
    out = Inline()
    _inline_into(node, out)
    return out


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.run: list[PageElement] = []

    def flush_run(self, into: list[Block]) -> None:
        if not self.run:
            return
        inline = Inline()
        for element in self.run:
            _inline_child(element, inline, None, False)
        self.run = []
        if inline.text() or inline.images:
            into.append(Block("paragraph", inline))

    def walk(self, node: Tag) -> list[Block]:
        out: list[Block] = []
        saved, self.run = self.run, []
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if str(child).strip() or self.run:
                    self.run.append(child)
                continue
            if not isinstance(child, Tag) or child.name in _SKIP:
                continue
            if child.name not in _BLOCKS:
                self.run.append(child)
                continue
            self.flush_run(out)
            out.extend(self.element(child))
        self.flush_run(out)
        self.run = saved
        return out

    def element(self, el: Tag) -> list[Block]:
        name = el.name
        if name in _HEADINGS:
            inline = inline_of(el)
            level = int(name[1])
            minor = level >= 4 and (not inline.links() or bool(BYLINE_HEADING.match(inline.text())))
            return [Block("heading", inline, level=level, minor=minor)]
        if name == "p":
            inner = [c for c in el.children if isinstance(c, Tag) and c.name in _BLOCKS]
            if inner:
                return self.walk(el)
            return [Block("paragraph", inline_of(el))]
        if name == "hr":
            return [Block("rule")]
        if name in ("ul", "ol"):
            items = [Block("item", children=self.walk(li)) for li in el.find_all("li", recursive=False)]
            return [Block("list", ordered=name == "ol", children=items)]
        if name == "li":
            return [Block("list", children=[Block("item", children=self.walk(el))])]
        if name == "blockquote":
            return [Block("quote", children=self.walk(el))]
        if name == "pre":
            return [Block("code", text=el.get_text())]
        if name == "table":
            return [_table(el)]
        return self.walk(el)


def _table(table: Tag) -> Block:
    rows: list[list[Inline]] = []
    header = False
    for index, row in enumerate(table.find_all("tr")):
        if row.find_parent("table") is not table:
            continue
        cells = row.find_all(["td", "th"], recursive=False)
        if index == 0 and (row.find_parent("thead") is not None or all(c.name == "th" for c in cells)):
            header = True
        rows.append([inline_of(cell) for cell in cells])
    return Block("table", rows=rows, header=header)


def _prepare(markup: str) -> BeautifulSoup:
    soup = BeautifulSoup(markup, "html.parser")
    skip = _SKIP - {"head", "title", "meta", "link"}
    # one walk for both (two find_all calls walked the tree twice); comments first, then skipped tags, each
    # unless an ancestor went already
    doomed = [
        n for n in soup.descendants if isinstance(n, Comment) or (isinstance(n, Tag) and n.name in skip)
    ]
    for node in doomed:
        if isinstance(node, Comment):
            node.extract()
    for node in doomed:
        if isinstance(node, Tag) and not node.decomposed:
            node.decompose()
    return soup


def fragment_blocks(markup: str) -> list[Block]:
    """The blocks of an HTML fragment (a raw HTML block inside Markdown)."""
    return _Builder().walk(_prepare(markup))


def _meta(metas: list[Tag], *names: str) -> str | None:
    for name in names:
        for key in ("property", "name"):
            tag = next((m for m in metas if m.get(key) == name), None)
            content = tag.get("content") if tag is not None else None
            if isinstance(content, str) and content.strip():
                return content.strip()
    return None


def read_html(markup: str, *, title: str | None = None, filename: str = "") -> tuple[Issue, ParseReport]:
    """The issue in an HTML page or fragment, and the report of how each block was read; ``title`` (from a
    feed entry) overrides the page's."""
    soup = _prepare(markup)
    report = ParseReport(format="html")
    page_title: str | None = title
    if title is None:
        first_h1 = soup.find("h1")
        if isinstance(first_h1, Tag):
            page_title = squash(inline_of(first_h1).text()) or None
            report.note(None, "heading", page_title or "", "title", "the first <h1>")
            first_h1.decompose()
    head_title = soup.title.get_text(" ", strip=True) if soup.title else None
    body = soup.body or soup
    shaped = shape(_Builder().walk(body), report)
    page_title = page_title or head_title or None
    found = [tag for tag in soup.find_all(["meta", "link", "time"]) if isinstance(tag, Tag)]  # one pass
    metas = [tag for tag in found if tag.name == "meta"]
    canonical = next((t for t in found if t.name == "link" and "canonical" in (t.get("rel") or [])), None)
    source = canonical.get("href") if canonical is not None else None
    source = source if isinstance(source, str) and is_url(source) else _meta(metas, "og:url")
    published = _meta(metas, "article:published_time", "date", "dc.date")
    time_tag = next((t for t in found if t.name == "time" and t.get("datetime")), None)
    if published is None and isinstance(time_tag, Tag):
        value = time_tag.get("datetime")
        published = value if isinstance(value, str) else None
    issue = Issue(
        title=squash(page_title) if page_title else title_from_filename(filename),
        number=detect_number([page_title, head_title], filename=filename),
        intro=shaped.intro,
        published_on=parse_date(published),
        source=source if source and is_url(source) else None,
        sections=shaped.sections,
    )
    return finish(issue, filename=filename), report


def html_issue(markup: str, *, title: str | None = None, filename: str = "") -> Issue:
    return read_html(markup, title=title, filename=filename)[0]


def parse_html(text: str, *, filename: str = "") -> Issue:
    return html_issue(text, filename=filename)
