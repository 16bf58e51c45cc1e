import copy
from datetime import timedelta, timezone

import pytest

from bot.model import Item, Platform, Section, Vote
from tests.fakes import store
from tests.storage.samples import NOW, sample_issue


async def test_saved_issue_reads_back_equal(uow_factory):
    issue = sample_issue()
    saved = await store(uow_factory, copy.deepcopy(issue), now=NOW)
    assert saved.created
    assert (saved.items_added, saved.items_kept, saved.items_removed) == (5, 0, 0)
    async with uow_factory() as uow:
        assert await uow.issues.get(195) == issue
        assert await uow.issues.get(196) is None


async def test_an_issue_needs_a_number_and_unique_keys(uow_factory):
    issue = sample_issue()
    async with uow_factory() as uow:
        issue.number = None
        with pytest.raises(ValueError, match="number"):
            await uow.issues.save(issue, now=NOW)
        duplicate = sample_issue()
        duplicate.sections[1].items.append(Item("A new model", "https://Example.com/model/?utm_source=x"))
        with pytest.raises(ValueError, match="keys"):
            await uow.issues.save(duplicate, now=NOW)


async def vote(uow_factory, item_key, user="U1"):
    async with uow_factory() as uow:
        assert await uow.votes.add(Vote(195, item_key, Platform.SLACK, user, "+1", "C0123"), now=NOW)
        await uow.commit()


async def test_reingestion_updates_in_place_and_keeps_votes_of_kept_items(uow_factory):
    first = sample_issue()
    await store(uow_factory, first, now=NOW)
    kept, dropped = first.sections[0].items[0], first.sections[1].items[0]
    await vote(uow_factory, kept.key)
    await vote(uow_factory, dropped.key)

    second = sample_issue()
    second.title = "Deep Learning Weekly #195 (fixed)"
    model = second.sections[0].items[0]
    model.blurb = "It is big, and the typo is fixed."
    second.sections[1].items.pop(0)  # the paper is gone
    second.sections.insert(0, Section("Breaking", items=[Item("Brand new", "https://new.example/")]))
    second.sections[1].items.remove(model)
    second.sections[2].items.append(model)  # moved to another section
    second.renumber()

    saved = await store(uow_factory, copy.deepcopy(second), now=NOW + timedelta(hours=1))
    assert not saved.created
    assert (saved.items_kept, saved.items_added, saved.items_removed) == (4, 1, 1)

    async with uow_factory() as uow:
        assert await uow.issues.get(195) == second
        votes = await uow.votes.for_issue(195)
        summary = (await uow.issues.summaries())[0]
    assert [v.item_key for v in votes] == [kept.key]
    assert summary.title == second.title
    assert (summary.section_count, summary.item_count) == (4, 5)
    assert summary.ingested_at == NOW


async def test_a_corrected_link_or_title_keeps_the_item_and_its_votes(uow_factory):
    first = sample_issue()
    await store(uow_factory, first, now=NOW)
    paper, unlinked = first.sections[1].items
    await vote(uow_factory, paper.key)
    await vote(uow_factory, unlinked.key)

    second = sample_issue()
    # same title, new link; and at the same place a new title, still without a link
    second.sections[1].items[0] = Item("A paper", "https://arxiv.org/abs/1234.5678v2", "It is clever.")
    second.sections[1].items[1] = Item("No link here (fixed)", None, "Just words.")
    second.renumber()
    assert second.sections[1].items[0].key != paper.key
    saved = await store(uow_factory, second, now=NOW)
    assert (saved.items_kept, saved.items_added, saved.items_removed) == (5, 0, 0)
    assert [i.key for i in second.sections[1].items] == [paper.key, unlinked.key]
    async with uow_factory() as uow:
        stored = await uow.issues.get(195)
        votes = await uow.votes.for_issue(195)
    assert stored is not None
    assert stored.sections[1].items[0].url == "https://arxiv.org/abs/1234.5678v2"
    assert sorted(v.item_key for v in votes) == sorted([paper.key, unlinked.key])


async def test_an_ambiguous_correction_is_a_removal_and_an_addition(uow_factory):
    first = sample_issue()
    first.sections[1].items.append(Item("A paper", "https://arxiv.org/abs/9999"))  # two of that title
    first.renumber()
    await store(uow_factory, first, now=NOW)
    second = copy.deepcopy(first)
    second.sections[1].items[0] = Item("A paper", "https://arxiv.org/abs/1111")
    second.sections[1].items[2] = Item("A paper", "https://arxiv.org/abs/2222")
    second.renumber()
    saved = await store(uow_factory, second, now=NOW)
    assert (saved.items_added, saved.items_removed) == (2, 2)


async def test_reingesting_fewer_sections_deletes_the_surplus(uow_factory):
    await store(uow_factory, sample_issue(), now=NOW)
    smaller = sample_issue()
    smaller.sections = smaller.sections[:1]
    async with uow_factory() as uow:
        saved = await uow.issues.save(copy.deepcopy(smaller), now=NOW)
        assert await uow.issues.get(195) == smaller  # visible inside the same unit of work
        await uow.commit()
    assert (saved.items_kept, saved.items_removed) == (2, 3)
    async with uow_factory() as uow:
        assert await uow.issues.get(195) == smaller


async def test_uncommitted_changes_vanish(uow_factory):
    async with uow_factory() as uow:
        await uow.issues.save(sample_issue(), now=NOW)
        assert await uow.issues.latest_number() == 195
    async with uow_factory() as uow:
        assert await uow.issues.get(195) is None
        await uow.issues.save(sample_issue(), now=NOW)
        await uow.rollback()
        assert await uow.issues.latest_number() is None

    async def fail_midway():
        async with uow_factory() as uow:
            await uow.issues.save(sample_issue(), now=NOW)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_midway()
    async with uow_factory() as uow:
        assert await uow.issues.summaries() == []


async def test_summaries_latest_and_number_featuring(uow_factory):
    await store(uow_factory, *(sample_issue(number) for number in (194, 196, 195)), now=NOW)
    async with uow_factory() as uow:
        assert [s.number for s in await uow.issues.summaries()] == [196, 195, 194]
        assert await uow.issues.latest_number() == 196
        assert await uow.issues.number_featuring("https://example.com/model") == 194
        assert await uow.issues.number_featuring("https://EXAMPLE.com/model/?utm_medium=y") == 194
        assert await uow.issues.number_featuring("https://nowhere.example/") is None


async def test_timestamps_come_back_aware_utc(uow_factory):
    local = NOW.astimezone(timezone(timedelta(hours=-5)))
    await store(uow_factory, sample_issue(), now=local)
    async with uow_factory() as uow:
        (summary,) = await uow.issues.summaries()
    assert summary.ingested_at == NOW
    assert summary.ingested_at.utcoffset() == timedelta(0)
