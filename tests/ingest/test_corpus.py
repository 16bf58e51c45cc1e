"""The parser's corpus: every issue reads exactly as its expected structure says, one test per file.

tests/corpus/ holds issues written for digestbot in the shapes of real newsletters (tests/corpus/SOURCES.md),
so a change that breaks one shape fails here by name. Real issues stay outside the repository (see
tests/corpus/REAL.md): with ``DIGESTBOT_REAL_CORPUS`` pointing at their folder, each of them is a test too,
with its known misses and known extras written in its expected file. The matching rules are the accuracy
benchmark's (benchmarks/parse_accuracy.py).
"""

from pathlib import Path

import pytest
import yaml

from benchmarks.parse_accuracy import DEFAULT_CORPUS, SUFFIX, TARGET_MS, Expected, real_corpora, run_one

EXPECTED = sorted(DEFAULT_CORPUS.rglob(f"*{SUFFIX}"))
REAL = sorted(path for corpus in real_corpora() for path in corpus.rglob(f"*{SUFFIX}"))


def test_the_corpus_covers_the_shapes_the_issue_asks_for() -> None:
    assert len(EXPECTED) >= 25
    assert len({path.parent.name for path in EXPECTED}) >= 20


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: str(p.relative_to(DEFAULT_CORPUS)))
def test_corpus_issue_reads_as_expected(path: Path) -> None:
    result = run_one(Expected.load(path))
    assert result.error is None
    assert result.missed == []
    assert result.known == []
    assert result.extra == []
    assert result.sections_matched == result.sections_expected
    assert result.items_expected > 0
    assert result.ms < TARGET_MS


# defined only when there are real issues to read, so that their absence is no skipped test
if REAL:

    @pytest.mark.parametrize("path", REAL, ids=lambda p: f"real/{p.parent.name}/{p.name[: -len(SUFFIX)]}")
    def test_real_issue_reads_as_expected(path: Path) -> None:
        """A real issue: new misses or extras fail, and so does a known miss the reader now gets (update the
        expected file then)."""
        result = run_one(Expected.load(path))
        known_extras = yaml.safe_load(path.read_text(encoding="utf-8")).get("known_extras") or []
        assert result.error is None
        assert result.missed == []
        assert result.found_known == []
        assert [line.split(" <")[0] for line in result.extra] == known_extras
        assert result.items_expected > 0
        assert result.ms < TARGET_MS
