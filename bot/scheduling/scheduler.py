"""The weekly auto-post: decides what is due, claims it in the database, and posts it exactly once.

Every tick (driven by a :class:`~bot.ports.Clock`, so tests use a fake one):

1. **Plan**: for each scheduled channel, the latest slot at or before now gets a run row (race-safe
   insert, so replicas agree on one row per slot). A slot missed by more than the grace period is stored
   as ``skipped`` and logged instead.
2. **Claim**: pending runs nobody holds are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL). The lease is renewed while the run works; a replica that dies stops renewing, its lease
   expires and another replica claims the run again.
3. **Execute** (claimed runs in parallel): refresh the issue sources, take the newest issue, claim the
   (issue, channel) delivery (a second lease, also taken by ``digestbot post``), and post it with the
   journaled :class:`~bot.posting.poster.Poster`, which resumes whatever an earlier attempt left half done.

Transient failures give the run back with a growing delay; a permanent one (channel gone, permission or
token refused) fails the run with a clear log line and stops that channel's delivery of the issue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.model import DEFAULT_NEWSLETTER, Channel, DeliveryState, issue_label
from bot.ports import Clock, UnitOfWorkFactory
from bot.posting.poster import Poster, PostingError, PostReport
from bot.scheduling.claims import ClaimedElsewhere, Claims, LostClaim
from bot.scheduling.ports import RunState, ScheduledRun
from bot.scheduling.schedule import AnySchedule, next_run, previous_run
from bot.scheduling.sources import IssueSource

log = logging.getLogger(__name__)

PostObserver = Callable[[PostReport], None]


@dataclass(frozen=True, slots=True)
class ScheduledChannel:
    channel: Channel
    schedule: AnySchedule
    newsletter: str = DEFAULT_NEWSLETTER

    @property
    def name(self) -> str:
        """The channel's name, and the newsletter's id when it is not the default one."""
        if self.newsletter == DEFAULT_NEWSLETTER:
            return self.channel.name
        return f"{self.channel.name}/{self.newsletter}"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run: ScheduledRun
    state: RunState | None  # None: given back to be retried (or lost to another replica)
    issue_number: int | None = None
    error: str | None = None


class Scheduler:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        channels: Sequence[ScheduledChannel],
        poster_for: Callable[[Channel], Poster],
        *,
        owner: str,
        grace_hours: float = 12.0,
        lease_seconds: float = 60.0,
        tick_seconds: float = 30.0,
        max_attempts: int = 8,
        retry_seconds: float = 30.0,
        sources: Sequence[IssueSource] = (),
        poll_seconds: float = 1800.0,
        on_post: PostObserver | None = None,
        before_post: Callable[[int, Channel, str], Awaitable[object]] | None = None,
        unavailable: Callable[[Channel], Awaitable[str | None]] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.channels = list(channels)
        self.poster_for = poster_for
        self.owner = owner
        self.grace = timedelta(hours=grace_hours)
        self.claims = Claims(uow_factory, clock, owner, lease_seconds)
        self.tick_seconds = tick_seconds
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.sources = list(sources)
        self.poll_seconds = poll_seconds
        self.on_post = on_post
        self.before_post = before_post  # e.g. last week's results, ahead of the new issue
        # Why a channel cannot be posted to at all now (its Slack workspace uninstalled the app), or None.
        self.unavailable = unavailable
        self._by_key = {(c.channel.platform, c.channel.id, c.newsletter): c for c in self.channels}
        self._channels = {(c.channel.platform, c.channel.id): c.channel for c in self.channels}
        self._refresh_lock = asyncio.Lock()
        self._refreshed_at: datetime | None = None
        self._running: dict[int, asyncio.Task[RunOutcome]] = {}

    # ------------------------------------------------------------------------------------------ planning

    def next_runs(self, now: datetime | None = None) -> dict[str, datetime]:
        now = now or self.clock.now()
        return {c.name: next_run(c.schedule, now) for c in self.channels}

    async def plan(self, now: datetime) -> None:
        """Create the run of each channel's latest due slot (skipped when past the grace period)."""
        async with self.uow_factory() as uow:
            created: list[tuple[ScheduledChannel, datetime, RunState]] = []
            for scheduled in self.channels:
                due = previous_run(scheduled.schedule, now)
                late = now - due
                state = RunState.PENDING if late <= self.grace else RunState.SKIPPED
                error = None if state is RunState.PENDING else self._missed(late)
                if await uow.scheduling.ensure_run(
                    scheduled.channel, due, state=state, now=now, error=error, newsletter=scheduled.newsletter
                ):
                    created.append((scheduled, due, state))
            await uow.commit()
        for scheduled, due, state in created:
            if state is RunState.SKIPPED:
                log.warning(
                    "%s: the post due %s was missed by more than the %s grace period: skipped",
                    scheduled.name,
                    f"{due:%Y-%m-%d %H:%M} UTC",
                    self.grace,
                )
            else:
                log.info("%s: post due %s", scheduled.name, f"{due:%Y-%m-%d %H:%M} UTC")

    def _missed(self, late: timedelta) -> str:
        hours = late.total_seconds() / 3600
        return f"missed by {hours:.1f} h, more than the {self.grace.total_seconds() / 3600:g} h grace period"

    async def claim(self, now: datetime) -> list[ScheduledRun]:
        async with self.uow_factory() as uow:
            runs = await uow.scheduling.claim_runs(self.owner, now=now, lease_until=self.claims.lease_until())
            await uow.commit()
        return runs

    # ------------------------------------------------------------------------------------------ running

    async def refresh_sources(self, *, max_age: float = 5.0) -> None:
        if not self.sources:
            return
        async with self._refresh_lock:
            now = self.clock.now()
            if self._refreshed_at is not None and (now - self._refreshed_at).total_seconds() < max_age:
                return
            refreshed: list[tuple[str, int]] = []
            for source in self.sources:
                try:
                    numbers = await source.refresh(self.uow_factory, self.clock)
                    refreshed += [(source.newsletter, number) for number in numbers]
                except Exception as error:  # the post goes on with what is stored
                    log.warning("%s: could not check for new issues: %s", source.key, error)
            self._refreshed_at = self.clock.now()
        if refreshed:
            await self.correct_posted(refreshed)

    async def correct_posted(self, issues: Sequence[tuple[str, int]]) -> None:
        """Issues a source updated after they were posted: their channels' messages are edited in place
        (each under its delivery claim; a channel busy elsewhere gets the correction from that poster)."""
        async with self.uow_factory() as uow:
            deliveries = await uow.deliveries.all()
        for delivery in deliveries:
            channel = self._channels.get((delivery.channel.platform, delivery.channel.id))
            if (delivery.newsletter_id, delivery.issue_number) not in issues or channel is None:
                continue
            if delivery.state is not DeliveryState.COMPLETE:
                continue
            label = issue_label(delivery.newsletter_id, delivery.issue_number)
            try:
                report = await self.claims.post(
                    self.poster_for(channel),
                    delivery.issue_number,
                    channel,
                    newsletter=delivery.newsletter_id,
                )
            except ClaimedElsewhere:
                continue
            except PostingError as error:
                log.warning("%s: correcting %s failed: %s", channel.name, label, error)
                continue
            if report.edited or report.sent:
                log.info(
                    "%s: %s corrected in place: %s edited, %s added",
                    channel.name,
                    label,
                    report.edited,
                    report.sent,
                )

    async def tick(self) -> list[RunOutcome]:
        """Plan, claim and execute what is due now; returns when the claimed runs are done."""
        now = self.clock.now()
        await self.plan(now)
        runs = await self.claim(now)
        return list(await asyncio.gather(*(self.execute(run) for run in runs)))

    async def _finish(
        self, run: ScheduledRun, state: RunState, number: int | None, error: str | None
    ) -> RunOutcome:
        async with self.uow_factory() as uow:
            await uow.scheduling.finish_run(
                run.id, self.owner, state, now=self.clock.now(), issue_number=number, error=error
            )
            await uow.commit()
        return RunOutcome(run, state, number, error)

    async def _release(self, run: ScheduledRun, retry_at: datetime, error: str | None) -> RunOutcome:
        async with self.uow_factory() as uow:
            await uow.scheduling.release_run(run.id, self.owner, retry_at=retry_at, error=error)
            await uow.commit()
        return RunOutcome(run, None, None, error)

    async def execute(self, run: ScheduledRun) -> RunOutcome:
        now = self.clock.now()
        scheduled = self._by_key.get((run.platform, run.channel_id, run.newsletter_id))
        if scheduled is None:  # a channel no longer in the config (or not scheduled here)
            return await self._finish(run, RunState.SKIPPED, None, "the channel is no longer scheduled")
        channel = scheduled.channel
        if run.attempts <= 1 and now - run.due_at > self.grace:
            log.warning("%s: the post due %s is past the grace period: skipped", channel.name, run.due_at)
            return await self._finish(run, RunState.SKIPPED, None, self._missed(now - run.due_at))
        reason = await self.unavailable(channel) if self.unavailable is not None else None
        if reason is not None:  # skipped, not retried: nothing will change until it is installed again
            log.warning("%s: the post due %s is skipped: %s", channel.name, run.due_at, reason)
            return await self._finish(run, RunState.SKIPPED, None, reason)
        await self.refresh_sources()
        newsletter = scheduled.newsletter
        async with self.uow_factory() as uow:
            number = await uow.issues.latest_number(newsletter=newsletter)
        if number is None:
            log.warning("%s: a post is due but there is no issue to post", scheduled.name)
            return await self._finish(run, RunState.NOTHING, None, "no issue stored")
        label = issue_label(newsletter, number)
        if self.before_post is not None:
            try:
                await self.before_post(number, channel, newsletter)
            except Exception:  # the issue goes out either way
                log.exception("%s: the message before %s failed", channel.name, label)
        try:
            report = await self.claims.post(
                self.poster_for(channel), number, channel, run_id=run.id, newsletter=newsletter
            )
        except ClaimedElsewhere as busy:
            log.info("%s", busy)
            return await self._release(run, busy.until, None)
        except LostClaim as lost:
            log.warning("%s: %s: %s", channel.name, label, lost)
            return RunOutcome(run, None, number, str(lost))
        except Exception as failure:  # storage or code failure: give the run back for a later try
            log.exception("%s: posting %s failed", channel.name, label)
            return await self._retry(run, f"{failure.__class__.__name__}: {failure}")
        if self.on_post is not None:
            self.on_post(report)
        if report.complete:
            if report.sent or report.recovered:
                log.info("%s: posted %s (%d messages)", channel.name, label, report.sent + report.recovered)
            return await self._finish(run, RunState.DONE, number, None)
        error = report.errors[0] if report.errors else "incomplete post"
        if report.permanent:
            log.error(
                "%s: delivery of %s stopped: %s (fix the channel, token or permissions, then "
                "`digestbot post %s --channel %s%s`)",
                channel.name, label, error, number, channel.name,
                "" if newsletter == DEFAULT_NEWSLETTER else f" --newsletter {newsletter}",
            )  # fmt: skip
            return await self._finish(run, RunState.FAILED, number, error)
        return await self._retry(run, error, number)

    async def _retry(self, run: ScheduledRun, error: str, number: int | None = None) -> RunOutcome:
        if run.attempts >= self.max_attempts:
            log.error("%s: giving up after %d attempts: %s", run.channel_name, run.attempts, error)
            return await self._finish(run, RunState.FAILED, number, error)
        delay = min(self.retry_seconds * 2 ** (run.attempts - 1), 3600.0)
        log.warning("%s: will retry in %.0fs: %s", run.channel_name, delay, error)
        return await self._release(run, self.clock.now() + timedelta(seconds=delay), error)

    def _forget(self, task: asyncio.Task[RunOutcome]) -> None:
        for run_id, running in list(self._running.items()):
            if running is task:
                del self._running[run_id]

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; claimed runs execute in the background, in parallel."""
        try:
            await self._loop(stop)
        finally:
            for task in list(self._running.values()):
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _loop(self, stop: asyncio.Event) -> None:
        next_poll = self.clock.now()
        while not stop.is_set():
            now = self.clock.now()
            try:
                if self.sources and now >= next_poll:
                    await self.refresh_sources(max_age=0)
                    next_poll = now + timedelta(seconds=self.poll_seconds)
                await self.plan(now)
                for run in await self.claim(now):
                    if run.id not in self._running:
                        task = asyncio.create_task(self.execute(run), name=f"run-{run.id}")
                        self._running[run.id] = task
                        task.add_done_callback(self._forget)
            except Exception as error:  # the database may be briefly away: try again next tick
                log.warning("scheduler tick failed: %s", error)
            upcoming = min(self.next_runs(self.clock.now()).values(), default=None)
            wait = self.tick_seconds
            if upcoming is not None:
                wait = max(0.05, min(wait, (upcoming - self.clock.now()).total_seconds() + 0.01))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
