import pytest

from bot.community.votes import ReactionEvent, VoteOutcome, VoteService, ranked
from bot.config import VotesConfig
from bot.model import Platform
from bot.ports import Reaction
from tests.fakes import FakeClock, posted

WEIGHTS = VotesConfig(emoji={"+1": 1, "🔥": 2})


@pytest.fixture(name="posted")
async def posted_fixture(uow_factory):
    """Issue 7 posted to CHANNEL; returns the platform with its sent messages."""
    return await posted(uow_factory)


def message_id(platform, title):
    return next(s.posted.message_id for s in platform.sent if getattr(s.message, "title", None) == title)


def reaction(platform, title, user, emoji, *, added=True, event_id=None, by_bot=False):
    return ReactionEvent(
        platform=Platform.SLACK,
        channel_id="C1",
        message_id=message_id(platform, title),
        user_id=user,
        emoji=emoji,
        added=added,
        event_id=event_id,
        by_bot=by_bot,
    )


async def test_votes_are_counted_once_per_user_emoji_and_item(uow_factory, posted):
    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    assert await service.handle(reaction(posted, "Paper one", "U1", "+1")) is VoteOutcome.COUNTED
    assert await service.handle(reaction(posted, "Paper one", "U1", "+1")) is VoteOutcome.UNCHANGED
    assert await service.handle(reaction(posted, "Paper one", "U1", "fire")) is VoteOutcome.COUNTED
    assert await service.handle(reaction(posted, "Paper one", "U2", "thumbsup")) is VoteOutcome.COUNTED
    scores = {s.title: s for s in await service.scores(7)}
    assert scores["Paper one"].score == 1 + 2 + 1
    assert dict(scores["Paper one"].reactions) == {"thumbsup": 2, "fire": 1}


async def test_removing_a_reaction_withdraws_the_vote(uow_factory, posted):
    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    await service.handle(reaction(posted, "Paper two", "U1", "+1"))
    assert (
        await service.handle(reaction(posted, "Paper two", "U1", "+1", added=False)) is VoteOutcome.WITHDRAWN
    )
    assert (
        await service.handle(reaction(posted, "Paper two", "U1", "+1", added=False)) is VoteOutcome.UNCHANGED
    )
    scores = {s.title: s.score for s in await service.scores(7)}
    assert scores["Paper two"] == 0


async def test_a_redelivered_event_counts_once_even_after_a_removal(uow_factory, posted):
    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    add = reaction(posted, "Paper one", "U1", "+1", event_id="Ev1")
    remove = reaction(posted, "Paper one", "U1", "+1", added=False, event_id="Ev2")
    assert await service.handle(add) is VoteOutcome.COUNTED
    assert await service.handle(remove) is VoteOutcome.WITHDRAWN
    assert await service.handle(add) is VoteOutcome.REDELIVERY
    scores = {s.title: s.score for s in await service.scores(7)}
    assert scores["Paper one"] == 0


async def test_reactions_that_do_not_count(uow_factory, posted):
    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    header_id = posted.sent[0].posted.message_id
    section = ReactionEvent(Platform.SLACK, "C1", posted.sent[1].posted.message_id, "U1", "+1", added=True)
    header = ReactionEvent(Platform.SLACK, "C1", header_id, "U1", "+1", added=True)
    unknown = ReactionEvent(Platform.SLACK, "C1", "nope", "U1", "+1", added=True)
    elsewhere = ReactionEvent(Platform.SLACK, "C9", posted.sent[2].posted.message_id, "U1", "+1", added=True)
    assert await service.handle(header) is VoteOutcome.NOT_AN_ITEM
    assert await service.handle(section) is VoteOutcome.NOT_AN_ITEM
    assert await service.handle(unknown) is VoteOutcome.NOT_AN_ITEM
    assert await service.handle(elsewhere) is VoteOutcome.NOT_AN_ITEM
    assert await service.handle(reaction(posted, "Paper one", "U1", "eyes")) is VoteOutcome.EMOJI_IGNORED
    assert await service.handle(reaction(posted, "Paper one", "B1", "+1", by_bot=True)) is VoteOutcome.BOT
    assert all(s.score == 0 for s in await service.scores(7))


async def test_sponsored_items_are_left_out_of_rankings(uow_factory, posted):
    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    await service.handle(reaction(posted, "Sponsor", "U1", "fire"))
    await service.handle(reaction(posted, "Paper three", "U1", "+1"))
    scores = await service.scores(7)
    assert next(s.title for s in ranked(scores)) == "Paper three"
    assert "Sponsor" not in [s.title for s in ranked(scores)]
    assert next(s.title for s in ranked(scores, include_sponsored=True)) == "Sponsor"


async def test_reconcile_recovers_votes_given_while_down_without_double_counting(uow_factory, posted):
    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    await service.handle(reaction(posted, "Paper one", "U1", "+1"))  # seen live
    await service.handle(reaction(posted, "Paper two", "U3", "+1"))  # withdrawn while down
    posted.reactions[message_id(posted, "Paper one")] = [
        Reaction("+1", ("U1", "U2")),
        Reaction("eyes", ("U4",)),
    ]
    posted.reactions[message_id(posted, "Lead story")] = [Reaction("fire", ("U5",))]

    report = await service.reconcile(posted)
    assert (report.added, report.removed) == (2, 1)
    again = await service.reconcile(posted)
    assert (again.added, again.removed) == (0, 0)
    scores = {s.title: s.score for s in await service.scores(7)}
    assert scores["Paper one"] == 2
    assert scores["Lead story"] == 2
    assert scores["Paper two"] == 0


async def test_events_processed_out_of_order_end_in_the_later_state(uow_factory, posted):
    """Slack does not promise order: a removal handled before its add must still win."""
    from dataclasses import replace
    from datetime import timedelta

    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    t0 = FakeClock().now()
    add = replace(reaction(posted, "Paper one", "U1", "+1"), occurred_at=t0)
    remove = replace(
        reaction(posted, "Paper one", "U1", "+1", added=False), occurred_at=t0 + timedelta(seconds=1)
    )
    assert await service.handle(remove) is VoteOutcome.UNCHANGED
    assert await service.handle(add) is VoteOutcome.UNCHANGED
    assert {s.title: s.score for s in await service.scores(7)}["Paper one"] == 0

    readd = replace(add, occurred_at=t0 + timedelta(seconds=2))
    assert await service.handle(readd) is VoteOutcome.COUNTED
    assert {s.title: s.score for s in await service.scores(7)}["Paper one"] == 1


async def test_many_concurrent_reactions_on_one_item_all_count(uow_factory, posted):
    import asyncio

    service = VoteService(uow_factory, FakeClock(), WEIGHTS)
    events = [reaction(posted, "Paper two", f"U{n}", "+1") for n in range(40)]
    outcomes = await asyncio.gather(*(service.handle(e) for e in events))
    assert set(outcomes) == {VoteOutcome.COUNTED}
    assert {s.title: s.score for s in await service.scores(7)}["Paper two"] == 40
