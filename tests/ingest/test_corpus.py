"""The parser's corpus: every authored issue in tests/corpus/ reads exactly as its expected structure says.

Each file is in the shape of a real newsletter (tests/corpus/SOURCES.md), so a change that breaks one shape
fails here by name. The matching rules are the accuracy benchmark's (benchmarks/parse_accuracy.py).
"""

from pathlib import Path

import pytest

from benchmarks.parse_accuracy import DEFAULT_CORPUS, SUFFIX, Expected, run_one

EXPECTED = sorted(DEFAULT_CORPUS.rglob(f"*{SUFFIX}"))


def test_the_corpus_covers_the_shapes_the_issue_asks_for() -> None:
    assert len(EXPECTED) >= 20
    assert len({path.parent.name for path in EXPECTED}) >= 12


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: str(p.relative_to(DEFAULT_CORPUS)))
def test_corpus_issue_reads_as_expected(path: Path) -> None:
    result = run_one(Expected.load(path))
    assert result.error is None
    assert result.missed == []
    assert result.extra == []
    assert result.sections_matched == result.sections_expected
    assert result.items_expected > 0
