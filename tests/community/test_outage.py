"""Reactions through a database outage (bot/community/outage.py) with a real spool file (storage/spool.py):
kept, retried, spilled, replayed after a crash, counted once, logged once per outage."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from types import TracebackType

import pytest

from bot.community.outage import KeptReaction, OutageKeeper
from bot.community.votes import ReactionEvent, VoteOutcome, VoteService
from bot.config import VotesConfig
from bot.model import Platform
from bot.ports import StorageUnavailable, UnitOfWork
from storage.spool import FileSpool
from tests.community.test_votes import message_id, posted_fixture  # noqa: F401
from tests.fakes import FakeClock

WEIGHTS = VotesConfig(emoji={"+1": 1, "🔥": 2})


class Clock(FakeClock):
    """Sleeps yield to the event loop (the keeper's retries), taking no real time."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        await asyncio.sleep(0.001)


class Outage:
    """A unit-of-work factory whose database can be taken away: entering a unit of work then raises
    StorageUnavailable, as storage does when the connection is refused."""

    def __init__(self, factory) -> None:
        self.factory = factory
        self.down = False
        self.refused = 0

    def __call__(self) -> UnitOfWork:
        return _Flaky(self)


class _Flaky:
    def __init__(self, outage: Outage) -> None:
        self._outage = outage
        self._uow = outage.factory()

    async def __aenter__(self):
        if self._outage.down:
            self._outage.refused += 1
            raise StorageUnavailable("OperationalError: connection refused")
        return await self._uow.__aenter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._uow.__aexit__(exc_type, exc, tb)


def event(posted, title, user, emoji, *, added=True, event_id=None, second=0):
    return ReactionEvent(
        Platform.SLACK,
        "C1",
        message_id(posted, title),
        user,
        emoji,
        added,
        event_id=event_id,
        occurred_at=FakeClock().now() + timedelta(seconds=second),
    )


async def settled(service: VoteService, within: float = 10.0) -> None:
    for _ in range(int(within / 0.01)):
        if service.pending == 0 and not service.outage.active:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{service.pending} reactions still pending")


async def thumbs_up_while_down(
    service: VoteService, outage: Outage, posted, voters: int, *, pause: float
) -> None:
    """The database goes away and what is kept spills to the spool at once; then ``voters`` people 👍
    "Paper two", one every ``pause`` seconds."""
    service.outage._spill_after = 0.0
    outage.down = True
    for n in range(voters):
        await service.handle(event(posted, "Paper two", f"U{n}", "+1", second=n))
        await asyncio.sleep(pause)
    await asyncio.sleep(0.1)


async def votes_of(service: VoteService, title: str) -> dict[str, int]:
    scores = {s.title: s for s in await service.scores(7) or []}
    return dict(scores[title].reactions)


async def test_reactions_in_an_outage_are_kept_then_stored_in_order_and_logged_once(
    uow_factory,
    posted,
    caplog,
):
    outage = Outage(uow_factory)
    service = VoteService(outage, Clock(), WEIGHTS)
    outage.down = True
    with caplog.at_level(logging.WARNING):
        outcomes = [
            await service.handle(event(posted, "Paper one", "U1", "+1", second=1)),
            await service.handle(event(posted, "Paper one", "U1", "+1", added=False, second=2)),
            await service.handle(event(posted, "Paper one", "U2", "fire", second=3)),
        ]
        outcomes += await asyncio.gather(
            *(service.handle(event(posted, "Paper two", f"U{n}", "+1", second=4)) for n in range(50))
        )
        assert set(outcomes) == {VoteOutcome.KEPT}
        assert service.pending == 53
        assert service.outage.active
        assert service.outage.unreachable
        await asyncio.sleep(0.2)
        assert outage.refused > 3, "the keeper retries while the database is away"
        outage.down = False
        await settled(service)
    assert await votes_of(service, "Paper one") == {"fire": 1}  # U1's add and its removal, in order
    assert await votes_of(service, "Paper two") == {"thumbsup": 50}
    lines = [r.getMessage() for r in caplog.records]
    assert sum("database unreachable" in line for line in lines) == 1, lines
    assert sum("database back after" in line for line in lines) == 1, lines
    assert len(lines) == 2, lines
    await service.aclose()


async def test_a_long_outage_spills_to_the_spool_and_a_restart_replays_it_once(
    uow_factory,
    posted,
    tmp_path: Path,
):
    outage = Outage(uow_factory)
    spool = FileSpool(tmp_path / "spool", max_bytes=1 << 20)
    service = VoteService(outage, Clock(), WEIGHTS, spool=spool)
    service.outage._spill_after = 0.0  # spill at once
    stored_before = event(posted, "Paper one", "U9", "+1", event_id="Ev-before", second=1)
    assert await service.handle(stored_before) is VoteOutcome.COUNTED
    outage.down = True
    for n in range(30):
        kept = await service.handle(event(posted, "Paper two", f"U{n}", "fire", event_id=f"Ev{n}", second=2))
        assert kept is VoteOutcome.KEPT
    for _ in range(500):
        if spool.count == 30:
            break
        await asyncio.sleep(0.01)
    assert spool.count == 30
    assert spool.path.exists()
    # The process dies: nothing more is written, memory is gone; the spool file stays.
    assert service.outage._task is not None
    service.outage._task.cancel()
    # ...and it had also spooled an event it had stored just before (a crash between the commit and
    # the spool's removal): replaying it must not count it twice.
    await spool.append([KeptReaction(Platform.SLACK, "C1", stored_before.message_id, "U9", "thumbsup", True,
                                     FakeClock().now(), "Ev-before").encode()])  # fmt: skip

    restarted_spool = FileSpool(tmp_path / "spool", max_bytes=1 << 20)
    restarted = VoteService(uow_factory, Clock(), WEIGHTS, spool=restarted_spool)
    await restarted.resume()
    assert restarted.pending == 31
    await settled(restarted)
    assert await votes_of(restarted, "Paper two") == {"fire": 30}
    assert await votes_of(restarted, "Paper one") == {"thumbsup": 1}
    assert not restarted_spool.path.exists(), "an empty spool leaves no file behind"
    await restarted.aclose()


async def test_a_full_spool_is_logged_once_and_counted_and_memory_keeps_the_rest(
    uow_factory,
    posted,
    tmp_path: Path,
    caplog,
):
    outage = Outage(uow_factory)
    spool = FileSpool(tmp_path / "spool", max_bytes=400)  # room for about three reactions
    service = VoteService(outage, Clock(), WEIGHTS, spool=spool)
    with caplog.at_level(logging.WARNING):
        await thumbs_up_while_down(service, outage, posted, 40, pause=0.005)
        assert service.outage.spool_refusals >= 1
        assert service.pending == 40
        outage.down = False
        await settled(service)
    assert await votes_of(service, "Paper two") == {"thumbsup": 40}
    assert service.outage.dropped == 0
    lines = [r.getMessage() for r in caplog.records]
    assert sum("spool is full" in line for line in lines) == 1, lines
    await service.aclose()


async def test_stopping_in_an_outage_spools_what_memory_held(uow_factory, posted, tmp_path: Path):
    outage = Outage(uow_factory)
    spool = FileSpool(tmp_path / "spool", max_bytes=1 << 20)
    service = VoteService(outage, Clock(), WEIGHTS, spool=spool)  # spills only after 2 s
    outage.down = True
    for n in range(5):
        await service.handle(event(posted, "Paper one", f"U{n}", "+1"))
    assert service.outage.held == 5
    await service.aclose()
    assert await FileSpool(tmp_path / "spool", max_bytes=1 << 20).open() == 5


async def test_a_spool_that_cannot_be_written_is_logged_once_and_memory_keeps_the_votes(
    uow_factory,
    posted,
    tmp_path: Path,
    caplog,
):
    (tmp_path / "a-file").write_text("not a directory")
    outage = Outage(uow_factory)
    spool = FileSpool(tmp_path / "a-file" / "spool", max_bytes=1 << 20)
    service = VoteService(outage, Clock(), WEIGHTS, spool=spool)
    with caplog.at_level(logging.WARNING):
        await thumbs_up_while_down(service, outage, posted, 10, pause=0.01)
        outage.down = False
        await settled(service)
    assert await votes_of(service, "Paper two") == {"thumbsup": 10}
    lines = [r.getMessage() for r in caplog.records]
    assert sum("spool cannot be used" in line for line in lines) == 1, lines
    await service.aclose()


async def test_the_spool_keeps_order_across_instances_and_refuses_what_does_not_fit(tmp_path: Path):
    spool = FileSpool(tmp_path, max_bytes=100)
    assert await spool.open() == 0
    assert not spool.path.exists(), "no file until something is spooled"
    assert await spool.append(["a" * 30, "b" * 30])
    assert not await spool.append(["c" * 50])
    assert await spool.append(["d" * 30])
    again = FileSpool(tmp_path, max_bytes=100)
    assert await again.open() == 3
    rows = await again.peek(2)
    assert [r for _, r in rows] == ["a" * 30, "b" * 30]
    await again.remove_through(rows[-1][0])
    assert [r for _, r in await again.peek(10)] == ["d" * 30]
    assert again.size == 30


@pytest.mark.parametrize("record", ['["slack"]', "not json", '["nope","C","M","U","e",true,"x",null]'])
async def test_an_unreadable_spool_record_is_skipped_not_retried_forever(tmp_path: Path, record: str):
    spool = FileSpool(tmp_path, max_bytes=1 << 20)
    good = KeptReaction(Platform.SLACK, "C1", "1.0", "U1", "thumbsup", True, FakeClock().now(), "Ev1")
    await spool.append([record, good.encode()])
    stored: list[KeptReaction] = []

    async def store(batch):
        stored.extend(batch)

    keeper = OutageKeeper(store, Clock(), spool)
    await keeper.resume()
    for _ in range(200):
        if not keeper.active:
            break
        await asyncio.sleep(0.01)
    assert stored == [good]
    assert keeper.dropped == 1
