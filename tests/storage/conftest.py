"""Fixtures of the storage tests."""

import pytest

from tests.fakes import store
from tests.storage.samples import NOW, sample_issue


@pytest.fixture
async def issue(uow_factory):
    """The sample issue, stored."""
    issue = sample_issue()
    await store(uow_factory, issue, now=NOW)
    return issue
