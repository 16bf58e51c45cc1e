"""Table tests: one function, a table of what it is given and what it must give back, each row a test."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest


def table_test(function: Callable[[Any], object], cases: Sequence[tuple[Any, Any]]) -> Callable[..., None]:
    """A test that ``function(given) == expected`` for each ``(given, expected)`` row of ``cases``; bind it
    to a ``test_…`` name in the test module, which pytest then collects with a test per row."""

    @pytest.mark.parametrize(("given", "expected"), cases)
    def test(given: Any, expected: Any) -> None:
        assert function(given) == expected

    return test
