"""The scheduler on a fake clock (no sleeping), over SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import WeeklySchedule
from bot.model import Channel, Platform
from bot.posting.poster import Poster, RetryPolicy
from bot.scheduling.claims import ClaimedElsewhere, Claims
from bot.scheduling.ports import RunState
from bot.scheduling.scheduler import ScheduledChannel, Scheduler
from bot.scheduling.sources import FeedSource, FetchResult, FolderSource
from tests.fakes import FakeClock, FakePlatform, small_issue, store

NEWS = Channel(name="news", platform=Platform.SLACK, id="C1")
OTHER = Channel(name="other", platform=Platform.SLACK, id="C2")
MONDAY_9 = WeeklySchedule(weekday="monday", time="09:00", timezone="UTC")
FEED = Path(__file__).resolve().parents[1] / "fixtures" / "newsletters" / "feed.rss"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deep-learning-weekly-195.txt"


async def runs(uow_factory):
    async with uow_factory() as uow:
        return await uow.scheduling.runs()


def make(uow_factory, clock, platform, *channels, owner="replica-a", **kwargs):
    kwargs.setdefault("lease_seconds", 60)
    return Scheduler(
        uow_factory,
        clock,
        [ScheduledChannel(c, MONDAY_9) for c in channels or (NEWS,)],
        lambda channel: Poster(uow_factory, platform, clock, retry=RetryPolicy(attempts=2, first_delay=1)),
        owner=owner,
        **kwargs,
    )


async def test_posts_the_newest_issue_when_due_and_only_once(uow_factory):
    await store(uow_factory, small_issue(6), small_issue(7))
    clock, platform = FakeClock(), FakePlatform()
    clock.current -= timedelta(minutes=1)  # Monday 08:59
    scheduler = make(uow_factory, clock, platform)
    await scheduler.tick()
    assert platform.sent == []
    assert [r.state for r in await runs(uow_factory)] == [RunState.SKIPPED]  # last week's slot, long past
    clock.current += timedelta(minutes=1)
    outcomes = await scheduler.tick()
    assert [(o.state, o.issue_number) for o in outcomes] == [(RunState.DONE, 7)]
    assert len(platform.sent) == 8
    assert all(":7:" in key for key in platform.keys())  # noqa: SIM118 (a method of the fake)
    for _ in range(3):
        clock.current += timedelta(hours=1)
        assert await scheduler.tick() == []
    assert len(platform.sent) == 8
    assert scheduler.next_runs()["news"] == FakeClock().now() + timedelta(days=7)


async def test_a_run_missed_within_the_grace_period_is_posted_on_start_and_later_ones_are_skipped(
    uow_factory,
):
    await store(uow_factory, small_issue())
    clock, platform = FakeClock(), FakePlatform()
    clock.current += timedelta(hours=11, minutes=59)
    assert [o.state for o in await make(uow_factory, clock, platform).tick()] == [RunState.DONE]
    assert len(platform.sent) == 8

    await store(uow_factory, small_issue(8))
    clock.current += timedelta(days=7, hours=1)  # next Monday 21:59: 12 h 59 min late
    assert await make(uow_factory, clock, platform).tick() == []
    latest = (await runs(uow_factory))[0]
    assert latest.state is RunState.SKIPPED
    assert "missed by 13.0 h" in (latest.error or "")
    assert len(platform.sent) == 8


async def test_nothing_to_post_and_a_permanent_failure_are_recorded_not_retried(uow_factory):
    clock, platform = FakeClock(), FakePlatform(permanent_failure_at=3)
    scheduler = make(uow_factory, clock, platform)
    assert [o.state for o in await scheduler.tick()] == [RunState.NOTHING]

    await store(uow_factory, small_issue())
    clock.current += timedelta(days=7)
    outcome = (await scheduler.tick())[0]
    assert outcome.state is RunState.FAILED
    assert "channel_not_found" in (outcome.error or "")
    clock.current += timedelta(hours=1)
    assert await scheduler.tick() == []
    assert platform.calls == 3


async def test_a_transient_failure_gives_the_run_back_and_the_retry_resumes_without_duplicates(uow_factory):
    await store(uow_factory, small_issue())
    clock = FakeClock()
    platform = FakePlatform(fail_before_accept={4, 5})  # two tries of the same message fail
    scheduler = make(uow_factory, clock, platform, retry_seconds=30)
    outcome = (await scheduler.tick())[0]
    assert outcome.state is None
    assert "temporary failure" in (outcome.error or "")
    assert await scheduler.tick() == []  # not before its retry time
    clock.current += timedelta(seconds=31)
    assert [o.state for o in await scheduler.tick()] == [RunState.DONE]
    assert len(platform.keys()) == len(set(platform.keys())) == 8


async def test_two_replicas_ticking_at_once_post_each_channel_once(uow_factory):
    await store(uow_factory, small_issue())
    clock, platform = FakeClock(), FakePlatform()
    a = make(uow_factory, clock, platform, NEWS, OTHER, owner="a")
    b = make(uow_factory, clock, platform, NEWS, OTHER, owner="b")
    outcomes = [o for batch in await asyncio.gather(a.tick(), b.tick(), a.tick()) for o in batch]
    assert sorted(o.run.channel_name for o in outcomes if o.state is RunState.DONE) == ["news", "other"]
    assert len(platform.keys()) == len(set(platform.keys())) == 16


async def test_a_delivery_claimed_by_another_process_waits_for_its_lease(uow_factory):
    await store(uow_factory, small_issue())
    clock, platform = FakeClock(), FakePlatform()
    other = Claims(uow_factory, clock, "manual-post", lease_seconds=60)
    async with uow_factory() as uow:
        await uow.scheduling.claim_delivery(
            7, NEWS, other.owner, now=clock.now(), lease_until=other.lease_until()
        )
        await uow.commit()
    scheduler = make(uow_factory, clock, platform)
    assert [o.state for o in await scheduler.tick()] == [None]
    assert platform.sent == []
    clock.current += timedelta(seconds=61)  # that process died: its lease ran out
    assert [o.state for o in await scheduler.tick()] == [RunState.DONE]
    assert len(platform.sent) == 8


async def test_a_dead_replicas_run_is_taken_over_after_its_lease(uow_factory):
    await store(uow_factory, small_issue())
    clock, platform = FakeClock(), FakePlatform()
    dead = make(uow_factory, clock, platform, owner="dead")
    await dead.plan(clock.now())
    assert len(await dead.claim(clock.now())) == 1  # claimed, then the replica died
    alive = make(uow_factory, clock, platform, owner="alive")
    assert await alive.tick() == []
    clock.current += timedelta(seconds=61)
    assert [o.state for o in await alive.tick()] == [RunState.DONE]
    run = (await runs(uow_factory))[0]
    assert run.attempts == 2
    assert run.claimed_by == "alive"


async def test_claims_refuse_a_second_holder_until_released(uow_factory):
    await store(uow_factory, small_issue())
    clock = FakeClock()
    a, b = Claims(uow_factory, clock, "a", 60), Claims(uow_factory, clock, "b", 60)
    report = await a.post(Poster(uow_factory, FakePlatform(), clock), 7, NEWS)
    assert report.complete
    # released after the post: b may take it at once (and finds nothing left to send)
    report = await b.post(Poster(uow_factory, FakePlatform(), clock), 7, NEWS)
    assert report.already_posted == 8
    async with uow_factory() as uow:
        await uow.scheduling.claim_delivery(7, NEWS, "a", now=clock.now(), lease_until=a.lease_until())
        await uow.commit()
    with pytest.raises(ClaimedElsewhere, match="being posted by a"):
        await b.post(Poster(uow_factory, FakePlatform(), clock), 7, NEWS)


async def test_a_folder_source_ingests_new_files_before_the_post(uow_factory, tmp_path):
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "dlw-195.txt").write_bytes(EXAMPLE.read_bytes())
    clock, platform = FakeClock(), FakePlatform()
    scheduler = make(uow_factory, clock, platform, sources=[FolderSource(folder)])
    assert [(o.state, o.issue_number) for o in await scheduler.tick()] == [(RunState.DONE, 195)]
    assert len(platform.sent) == 26
    assert await FolderSource(folder).refresh(uow_factory, clock) == []  # nothing new: nothing parsed


async def test_a_posted_issue_corrected_in_its_folder_is_edited_in_place_at_the_next_poll(
    uow_factory, tmp_path
):
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "dlw-195.txt").write_bytes(EXAMPLE.read_bytes())
    clock, platform = FakeClock(), FakePlatform()
    scheduler = make(uow_factory, clock, platform, sources=[FolderSource(folder)])
    await scheduler.tick()
    assert len(platform.sent) == 26
    text = EXAMPLE.read_text(encoding="utf-8").replace("Weight Banding", "Weight Banding, corrected")
    (folder / "dlw-195.txt").write_text(text, encoding="utf-8")

    await scheduler.refresh_sources(max_age=0)

    assert len(platform.sent) == 26
    edited = [message for _, message in platform.edits]
    assert [type(m).__name__ for m in edited] == ["ItemMessage", "HeaderMessage"]
    assert edited[0].title == "Weight Banding, corrected"
    await scheduler.refresh_sources(max_age=0)  # the folder did not change again: nothing to do
    assert len(platform.edits) == 2


class FakeFetcher:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[tuple[str | None, str | None]] = []

    async def fetch(self, url, *, etag, last_modified):
        self.requests.append((etag, last_modified))
        if etag == '"v1"':
            return FetchResult(None, etag, last_modified)
        return FetchResult(self.body, '"v1"', "Mon, 23 Nov 2026 08:00:00 GMT")


async def test_a_feed_is_fetched_conditionally_and_new_entries_ingested(uow_factory):
    feed = FEED.read_bytes()
    fetcher = FakeFetcher(feed)
    source = FeedSource("https://news.example/feed.rss", fetcher)
    clock = FakeClock()
    first = await source.refresh(uow_factory, clock)
    assert first
    assert await source.refresh(uow_factory, clock) == []
    assert fetcher.requests == [(None, None), ('"v1"', "Mon, 23 Nov 2026 08:00:00 GMT")]


async def test_the_message_before_a_post_goes_first_and_its_failure_does_not_stop_the_issue(uow_factory):
    await store(uow_factory, small_issue(7))
    clock, platform = FakeClock(), FakePlatform()
    calls: list[tuple[int, str, int]] = []

    async def before_post(number, channel, newsletter):
        calls.append((number, channel.name, len(platform.sent)))
        raise RuntimeError("the chart could not be drawn")

    scheduler = make(uow_factory, clock, platform, before_post=before_post)
    outcomes = await scheduler.tick()
    assert [(o.state, o.issue_number) for o in outcomes] == [(RunState.DONE, 7)]
    assert calls == [(7, "news", 0)]  # called once, before any message of the issue
    assert len(platform.sent) == 8


async def test_each_newsletter_of_a_channel_goes_out_on_its_own_schedule(uow_factory):
    rust = small_issue(7)
    rust.title, rust.newsletter_id = "Rust Weekly #7", "rust"
    await store(uow_factory, small_issue(7), small_issue(8), rust)  # both newsletters have a #7
    clock, platform = FakeClock(), FakePlatform()  # Monday 09:00
    tuesday_10 = WeeklySchedule(weekday="tuesday", time="10:00", timezone="UTC")
    scheduler = Scheduler(
        uow_factory,
        clock,
        [ScheduledChannel(NEWS, MONDAY_9), ScheduledChannel(NEWS, tuesday_10, "rust")],
        lambda channel: Poster(uow_factory, platform, clock),
        owner="replica-a",
    )
    assert set(scheduler.next_runs()) == {"news", "news/rust"}
    outcomes = await scheduler.tick()
    assert [(o.state, o.issue_number) for o in outcomes] == [(RunState.DONE, 8)]  # the default's newest
    assert platform.keys()[0] == "digestbot:8:slack:C1:header"
    clock.current += timedelta(days=1, hours=1)  # Tuesday 10:00
    outcomes = await scheduler.tick()
    assert [(o.state, o.issue_number, o.run.newsletter_id) for o in outcomes] == [(RunState.DONE, 7, "rust")]
    rust_keys = [key for key in platform.keys() if key.startswith("digestbot:rust/7:")]  # noqa: SIM118
    assert len(rust_keys) == 8
    assert platform.sent[8].message.title == "Rust Weekly #7"
    done = {r.newsletter_id for r in await runs(uow_factory) if r.state is RunState.DONE}
    assert done == {"default", "rust"}
