"""Fixtures of the storage tests."""

import pytest

from tests.storage.samples import NOW, sample_issue


@pytest.fixture
async def issue(uow_factory):
    """The sample issue, stored."""
    issue = sample_issue()
    async with uow_factory() as uow:
        await uow.issues.save(issue, now=NOW)
        await uow.commit()
    return issue
