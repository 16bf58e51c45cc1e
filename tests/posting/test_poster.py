from dataclasses import replace

import pytest

from bot.model import Channel, DeliveryState, Platform
from bot.posting.messages import HeaderMessage, ItemMessage, SectionMessage
from bot.posting.poster import Poster, PostingError, RetryPolicy, post_to_channels
from tests.fakes import CHANNEL, FakeClock, FakePlatform, ProcessKilled, small_issue, store

OTHER = Channel(name="other", platform=Platform.SLACK, id="C2")


async def test_posts_header_then_each_section_thread_with_its_items(uow_factory):
    await store(uow_factory, small_issue())
    platform = FakePlatform()
    report = await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)

    assert report.complete
    assert report.sent == 8
    kinds = [type(s.message) for s in platform.sent]
    assert (
        kinds == [HeaderMessage, SectionMessage, ItemMessage, ItemMessage, SectionMessage] + [ItemMessage] * 3
    )
    top_level = [s for s in platform.sent if s.thread is None]
    assert len(top_level) == 3
    lead, papers = platform.sent[1], platform.sent[4]
    assert [s.thread for s in platform.sent[2:4]] == [lead.posted] * 2
    assert [s.thread for s in platform.sent[5:]] == [papers.posted] * 3
    assert [s.message.title for s in platform.sent[5:]] == ["Paper one", "Paper two", "Paper three"]
    assert platform.sent[1].message.title == "Top stories"


async def test_posting_again_sends_nothing(uow_factory):
    await store(uow_factory, small_issue())
    platform = FakePlatform()
    poster = Poster(uow_factory, platform, FakeClock())
    await poster.post(7, CHANNEL)
    again = await poster.post(7, CHANNEL)
    assert again.sent == 0
    assert again.already_posted == 8
    assert len(platform.sent) == 8


@pytest.mark.parametrize("killed_at", range(1, 9))
async def test_a_post_killed_at_any_message_resumes_without_duplicates(uow_factory, killed_at):
    await store(uow_factory, small_issue())
    platform = FakePlatform(crash_at=killed_at)
    with pytest.raises(ProcessKilled):
        await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)
    assert len(platform.sent) == killed_at - 1

    platform.crash_at = None
    report = await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)
    assert report.complete
    keys = platform.keys()
    assert len(keys) == len(set(keys)) == 8


@pytest.mark.parametrize("lost_at", [1, 2, 5, 8])
async def test_a_lost_acknowledgement_is_not_sent_twice(uow_factory, lost_at):
    """The platform accepted the message but the response never arrived: the retry finds it instead."""
    await store(uow_factory, small_issue())
    platform = FakePlatform(fail_after_accept={lost_at})
    clock = FakeClock()
    report = await Poster(uow_factory, platform, clock).post(7, CHANNEL)
    assert report.complete
    assert report.recovered == 1
    assert report.sent == 7
    assert len(platform.keys()) == len(set(platform.keys())) == 8
    assert clock.slept == [1.0]


async def test_a_crash_after_accept_and_before_the_journal_is_found_on_resume(uow_factory):
    await store(uow_factory, small_issue())
    platform = FakePlatform(fail_after_accept={3}, crash_at=None)
    poster = Poster(uow_factory, platform, FakeClock(), retry=RetryPolicy(attempts=1))
    report = await poster.post(7, CHANNEL)
    assert not report.complete
    assert len(platform.sent) == 3

    resumed = await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)
    assert resumed.complete
    assert resumed.recovered == 1
    assert resumed.already_posted == 2
    assert len(platform.keys()) == len(set(platform.keys())) == 8


async def test_transient_failures_are_retried_with_backoff(uow_factory):
    await store(uow_factory, small_issue())
    platform = FakePlatform(fail_before_accept={2, 3, 4})
    clock = FakeClock()
    report = await Poster(uow_factory, platform, clock).post(7, CHANNEL)
    assert report.complete
    assert len(platform.sent) == 8
    assert clock.slept == [1.0, 2.0, 4.0]


async def test_a_permanent_failure_stops_that_channel_and_is_recorded(uow_factory):
    await store(uow_factory, small_issue())
    platform = FakePlatform(permanent_failure_at=1)
    clock = FakeClock()
    report = await Poster(uow_factory, platform, clock).post(7, CHANNEL)
    assert report.errors == ["channel_not_found"]
    assert clock.slept == []
    async with uow_factory() as uow:
        delivery = await uow.deliveries.get(7, CHANNEL)
    assert delivery is not None
    assert delivery.state is DeliveryState.FAILED
    assert delivery.error == "channel_not_found"


async def test_unknown_issue_is_a_clear_error(uow_factory):
    with pytest.raises(PostingError, match="issue #99 is not in the database"):
        await Poster(uow_factory, FakePlatform(), FakeClock()).post(99, CHANNEL)


async def test_several_channels_are_posted_independently(uow_factory):
    await store(uow_factory, small_issue())
    platform = FakePlatform()
    poster = Poster(uow_factory, platform, FakeClock())
    reports = await post_to_channels(lambda channel: poster, 7, [CHANNEL, OTHER])
    assert all(r.complete for r in reports)
    by_channel = {c.id: sum(1 for s in platform.sent if s.channel.id == c.id) for c in (CHANNEL, OTHER)}
    assert by_channel == {"C1": 8, "C2": 8}


async def test_reingested_issue_posts_only_new_items(uow_factory):
    issue = small_issue()
    await store(uow_factory, issue)
    platform = FakePlatform()
    await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)
    bigger = small_issue()
    bigger.sections[1].items.append(
        replace(bigger.sections[1].items[0], title="Paper four", url="https://p4", key="")
    )
    bigger.sections[1].items[-1].__post_init__()
    bigger.renumber()
    await store(uow_factory, bigger)
    report = await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)
    assert report.sent == 1
    assert platform.sent[-1].message.title == "Paper four"
