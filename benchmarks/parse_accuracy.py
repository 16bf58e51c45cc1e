"""How well digestbot reads newsletters: items and sections matched against hand-checked expectations.

Usage::

    python -m benchmarks.parse_accuracy [--corpus DIR ...] [--details] [--no-default]

The corpus is every ``<issue file>.expected.yaml`` under ``tests/corpus/`` (issues written for digestbot in
the shapes of real newsletters) plus under each ``--corpus DIR`` and ``$DIGESTBOT_REAL_CORPUS`` (a folder of
real issues kept outside the repository, as their expected files say where each came from). An expected file names the issue beside it (or gives its path as ``issue:``), the
newsletter (``newsletter:``, else the folder's name) and, in order, the sections with each item's title
and URL (``url: null`` for an item without a link); ``note:`` records the judgement calls. A feed may list
``issues:``, each with its own ``sections:``; otherwise the sections of all its entries are read in order.

Matching, precisely:

* a **title** matches when both are equal after Unicode NFKC normalisation, case folding, collapsing
  whitespace and dropping quotes, brackets and punctuation at either end;
* a **URL** matches when both canonicalise (``bot.urls.canonical_url``: lower-case scheme and host, no
  default port, fragment, tracking parameters or trailing slash) to the same string, or both are absent;
* a **section** matches when its title, normalised as above and without a trailing "(…)" remark, equals
  the expected one, or its last part does ("Parent: Child" or "Parent? Child" nests a heading under its
  parent); an expected
  section without a title (``title: null``) matches the untitled lead section;
* an **item** is matched when an item with a matching title and URL is in a matching section (each parsed
  item is used once). The items figure is matched / expected; items digestbot found that are expected
  nowhere are listed as "extra".
* **sections matched** counts expected sections (with items) that digestbot found with items in them.
* an expected item with ``known_miss: <why>`` is one the reader is known not to get (a link the file does
  not hold, say): it counts as expected and, unless found, as missed, and is listed apart from new misses.

The parse time is the median of three parses of each issue (after one warm-up), from bytes to issues, in
CPU time of this process (``time.process_time``): on a machine other work keeps busy, wall-clock time
measures the queue for a core rather than the parser.
Targets: 97% of items overall, no newsletter under 90%, every issue under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.ingest import IngestError, parse_bytes
from bot.model import Issue
from bot.urls import canonical_url

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / "tests" / "corpus"
SUFFIX = ".expected.yaml"
TARGET_TOTAL = 0.97
TARGET_EACH = 0.90
TARGET_MS = 200.0

_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_REMARK = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def norm_title(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _EDGE_PUNCT.sub("", " ".join(text.split()))


def norm_section(text: str | None) -> str:
    return norm_title(_REMARK.sub("", unicodedata.normalize("NFKC", text or "")))


def norm_url(url: str | None) -> str:
    return canonical_url(url) if url else ""


def section_matches(expected: str | None, parsed: str | None) -> bool:
    if not expected:
        return not parsed
    if not parsed:
        return False
    want = norm_section(expected)
    if norm_section(parsed) == want:
        return True
    # a nested heading is "Parent: Child" (or "Parent? Child" after a question)
    parts = [p for p in re.split(r"(?<=[:?!])\s+", parsed) if p]
    return len(parts) > 1 and norm_section(parts[-1]) == want


@dataclass
class Expected:
    path: Path
    issue_path: Path
    newsletter: str
    sections: list[dict[str, Any]]
    corpus: str = "authored"

    @classmethod
    def load(cls, path: Path) -> Expected:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        issue = Path(data["issue"]) if data.get("issue") else path.with_name(path.name[: -len(SUFFIX)])
        if not issue.is_absolute():
            issue = (path.parent / issue).resolve()
        sections: list[dict[str, Any]] = []
        if data.get("issues"):
            for entry in data["issues"]:
                sections.extend(entry.get("sections") or [])
        else:
            sections = list(data.get("sections") or [])
        return cls(path, issue, str(data.get("newsletter") or path.parent.name), sections)


@dataclass
class Result:
    expected: Expected
    items_expected: int = 0
    items_matched: int = 0
    sections_expected: int = 0
    sections_matched: int = 0
    extra: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # expected misses (``known_miss:``) that were missed
    found_known: list[str] = field(default_factory=list)  # known misses the reader now gets
    ms: float = 0.0
    error: str | None = None


def compare(expected: Expected, issues: list[Issue]) -> Result:
    result = Result(expected)
    parsed = [(s.title, item) for issue in issues for s in issue.sections for item in s.items]
    used = [False] * len(parsed)
    found_sections = [s.title for issue in issues for s in issue.sections if s.items]
    for section in expected.sections:
        items = section.get("items") or []
        if not items:
            continue
        title = section.get("title")
        result.sections_expected += 1
        if any(section_matches(title, found) for found in found_sections):
            result.sections_matched += 1
        for item in items:
            result.items_expected += 1
            want_title, want_url = norm_title(item.get("title")), norm_url(item.get("url"))
            for index, (parsed_section, got) in enumerate(parsed):
                if used[index] or not section_matches(title, parsed_section):
                    continue
                if norm_title(got.title) == want_title and norm_url(got.url) == want_url:
                    used[index] = True
                    result.items_matched += 1
                    if item.get("known_miss"):
                        result.found_known.append(f"[{title}] {item.get('title')} <{item.get('url')}>")
                    break
            else:
                line = f"[{title}] {item.get('title')} <{item.get('url')}>"
                (result.known if item.get("known_miss") else result.missed).append(line)
    result.extra = [f"[{s}] {i.title} <{i.url}>" for (s, i), u in zip(parsed, used, strict=True) if not u]
    return result


def run_one(expected: Expected) -> Result:
    data = expected.issue_path.read_bytes()
    name = expected.issue_path.name
    try:
        issues = parse_bytes(data, filename=name)
    except IngestError as error:
        result = compare(expected, [])
        result.error = str(error)
        return result
    times = []
    for _ in range(3):
        start = time.process_time()
        parse_bytes(data, filename=name)
        times.append((time.process_time() - start) * 1000)
    result = compare(expected, issues)
    result.ms = statistics.median(times)
    return result


def find(corpora: list[Path]) -> list[Expected]:
    found: list[Expected] = []
    for corpus in corpora:
        for path in sorted(corpus.rglob(f"*{SUFFIX}")):
            expected = Expected.load(path)
            expected.corpus = "authored" if corpus == DEFAULT_CORPUS else "real"
            found.append(expected)
    return found


def real_corpora() -> list[Path]:
    """Folders of real issues named by ``$DIGESTBOT_REAL_CORPUS`` (``:``-separated), if any."""
    return [Path(p) for p in os.environ.get("DIGESTBOT_REAL_CORPUS", "").split(os.pathsep) if p]


def pct(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "   n/a"


def print_row(corpus: str, name: str, group: list[Result]) -> float:
    """One line of the table; returns the group's share of items matched."""
    ie, im = sum(r.items_expected for r in group), sum(r.items_matched for r in group)
    se, sm = sum(r.sections_expected for r in group), sum(r.sections_matched for r in group)
    extra = sum(len(r.extra) for r in group)
    slowest = max((r.ms for r in group), default=0.0)
    print(
        f"{corpus:<8} {name:<38} {len(group):>6} {im:>6}/{ie:<6} {pct(im, ie)} {sm:>4}/{se:<4} {pct(sm, se)} "
        f"{extra:>5} {slowest:>7.1f}"
    )
    return im / ie if ie else 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="Another corpus folder.")
    parser.add_argument("--no-default", action="store_true", help="Leave out tests/corpus/.")
    parser.add_argument("--details", action="store_true", help="List missed and extra items per issue.")
    args = parser.parse_args(argv)
    corpora = ([] if args.no_default else [DEFAULT_CORPUS]) + args.corpus + real_corpora()
    results = [run_one(e) for e in find(corpora)]
    if not results:
        print("no expected files found", file=sys.stderr)
        return 1
    by_letter: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        by_letter[(result.expected.corpus, result.expected.newsletter)].append(result)

    print(
        f"{'corpus':<8} {'newsletter':<38} {'issues':>6} {'items':>13} {'':>6} {'sections':>9} {'':>6} "
        f"{'extra':>5} {'max ms':>7}"
    )
    worst = 1.0
    for (corpus, letter), group in sorted(by_letter.items()):
        worst = min(worst, print_row(corpus, letter[:38], group))
    for corpus in sorted({c for c, _ in by_letter}):
        print_row(corpus, "total", [r for r in results if r.expected.corpus == corpus])
    im, ie = sum(r.items_matched for r in results), sum(r.items_expected for r in results)
    print_row("all", "TOTAL", results)
    times = [r.ms for r in results if r.error is None]
    slowest = max(results, key=lambda r: r.ms)
    print(
        f"parse time per issue: median {statistics.median(times):.1f} ms, max {slowest.ms:.1f} ms "
        f"({slowest.expected.issue_path.name})"
    )
    for result in results:
        if result.error:
            print(f"  {result.expected.issue_path}: error: {result.error}")
        if args.details and (result.missed or result.extra or result.known):
            print(f"\n{result.expected.issue_path}:")
            for line in result.missed:
                print(f"  missed {line}")
            for line in result.known:
                print(f"  known  {line}")
            for line in result.extra:
                print(f"  extra  {line}")
    ok = im / ie >= TARGET_TOTAL and worst >= TARGET_EACH and slowest.ms < TARGET_MS
    print(
        f"targets (≥{TARGET_TOTAL:.0%} overall, ≥{TARGET_EACH:.0%} each, <{TARGET_MS:.0f} ms): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
