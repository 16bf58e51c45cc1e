import asyncio

from sqlalchemy import select

from bot.model import DEFAULT_NEWSLETTER, Platform, Vote
from bot.ports import ResultsSlot
from storage.orm.votes import ResultsPostRow
from tests.storage.samples import NOW


async def test_a_vote_counts_once_and_can_be_removed(uow_factory, issue):
    key = issue.items[0].key
    vote = Vote(195, key, Platform.SLACK, "U1", "+1", "C0123")
    async with uow_factory() as uow:
        assert await uow.votes.add(vote, now=NOW)
        assert not await uow.votes.add(vote, now=NOW)
        assert not await uow.votes.add(Vote(195, key, Platform.SLACK, "U1", "+1", "C0999"), now=NOW)
        assert await uow.votes.add(Vote(195, key, Platform.SLACK, "U1", "fire", "C0123"), now=NOW)
        assert await uow.votes.add(Vote(195, key, Platform.DISCORD, "U1", "+1", "D1"), now=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.votes.for_item(195, key, Platform.SLACK) == [
            vote,
            Vote(195, key, Platform.SLACK, "U1", "fire", "C0123"),
        ]
        assert len(await uow.votes.for_issue(195)) == 3
        assert await uow.votes.remove(vote)
        assert not await uow.votes.remove(vote)
        await uow.commit()
    async with uow_factory() as uow:
        assert [v.emoji for v in await uow.votes.for_item(195, key, Platform.SLACK)] == ["fire"]


async def test_a_vote_for_an_unknown_item_is_not_stored(uow_factory, issue):
    async with uow_factory() as uow:
        assert not await uow.votes.add(Vote(195, "nope", Platform.SLACK, "U1", "+1"), now=NOW)
        assert not await uow.votes.add(Vote(999, issue.items[0].key, Platform.SLACK, "U1", "+1"), now=NOW)
        assert not await uow.votes.remove(Vote(195, "nope", Platform.SLACK, "U1", "+1"))
        assert await uow.votes.for_issue(195) == []


async def test_concurrent_duplicate_votes_store_one_row(uow_factory, issue):
    vote = Vote(195, issue.items[1].key, Platform.SLACK, "U1", "+1", "C0123")

    async def add():
        async with uow_factory() as uow:
            added = await uow.votes.add(vote, now=NOW)
            await asyncio.sleep(0.05)
            await uow.commit()
            return added

    results = await asyncio.wait_for(asyncio.gather(add(), add(), add()), timeout=30)
    assert sorted(results) == [False, False, True]
    async with uow_factory() as uow:
        assert await uow.votes.for_issue(195) == [vote]


async def test_a_results_slot_is_claimed_once_released_for_a_retry_and_recorded_alone(uow_factory):
    slot = ResultsSlot(Platform.SLACK, "C0123", 196)
    other_newsletter = ResultsSlot(Platform.SLACK, "C0123", 196, newsletter="dlw")
    async with uow_factory() as uow:
        assert await uow.results.claim(slot, 195, now=NOW)
        assert not await uow.results.claim(slot, 195, now=NOW)
        assert await uow.results.claim(other_newsletter, 195, now=NOW)
        await uow.results.release(slot)  # its message could not be sent
        assert await uow.results.claim(slot, 195, now=NOW)  # so a later post tries again
        await uow.results.record(slot, "1700000000.000100")
        await uow.commit()
    async with uow_factory() as uow:
        rows = await uow.session.execute(select(ResultsPostRow.newsletter_id, ResultsPostRow.message_id))
        assert dict(rows.all()) == {DEFAULT_NEWSLETTER: "1700000000.000100", "dlw": None}
