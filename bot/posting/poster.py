"""Posting an issue to a channel, section by section, exactly once, resumable after a crash.

Every message of a post is a :class:`~bot.model.DeliveryStep` journaled around its platform call: the
attempt is committed before the call and the platform's message id after it. A resumed post skips what is
journaled as posted, and for a step that was attempted but not confirmed (the process died, or the network
failed after the platform accepted it) asks the platform whether the message landed before sending again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

from bot.model import (
    DEFAULT_NEWSLETTER,
    Channel,
    Delivery,
    DeliveryState,
    DeliveryStep,
    Issue,
    PostedMessage,
    issue_label,
)
from bot.ports import ChatPlatform, Clock, PlatformError, UnitOfWorkFactory
from bot.posting.corrections import Correction, header_correction, plan_corrections, unsent
from bot.posting.filters import FilterResult, apply_filter
from bot.posting.messages import (
    fingerprint,
)
from bot.posting.plan import PlannedMessage, plan_post

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Channel, int, int], None]


class PostingError(Exception):
    """A post could not be completed; what was sent stays journaled and a later post resumes it."""


@dataclass(frozen=True, slots=True)
class PostPreview:
    """What posting an issue to a channel would do (``digestbot post --dry-run``)."""

    channel: Channel
    filtered: FilterResult
    messages: int  # header + sections + items after the filter; 0 when nothing is left
    already_posted: int  # of those, journaled as posted by an earlier run
    # A channel posted before: what a corrected version would edit (removed items included).
    edits: tuple[Correction, ...] = ()


def preview_post(issue: Issue, channel: Channel, delivery: Delivery | None) -> PostPreview:
    filtered = apply_filter(issue, channel.filter)
    if filtered.empty:
        return PostPreview(channel, filtered, 0, 0)
    plan = plan_post(filtered.issue, edited_at=delivery.edited_at if delivery else None)
    posted = sum(1 for p in plan if delivery is not None and delivery.posted(p.step) is not None)
    edits: list[Correction] = []
    if delivery is not None and delivery.state is DeliveryState.COMPLETE:
        edits = plan_corrections(delivery, plan)
        header = header_correction(delivery, filtered.issue, plan, edited_at=delivery.edited_at)
        if edits or header or posted < len(plan):
            header_posted = delivery.posted(plan[0].step) or PostedMessage("")
            edits.append(Correction(plan[0].step, header_posted, plan[0].message))
    return PostPreview(channel, filtered, len(plan), posted, tuple(edits))


def delivery_key(
    issue_number: int, channel: Channel, step: DeliveryStep, newsletter: str = DEFAULT_NEWSLETTER
) -> str:
    """The key a platform finds a sent message by. The default newsletter's keys are those of the time
    before there were several, so a post resumed across the upgrade recognises what it sent."""
    issue = str(issue_number) if newsletter == DEFAULT_NEWSLETTER else f"{newsletter}/{issue_number}"
    return f"digestbot:{issue}:{channel.platform.value}:{channel.id}:{step.key}"


@dataclass(slots=True)
class PostReport:
    channel: Channel
    issue_number: int
    total: int = 0
    sent: int = 0
    already_posted: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)
    permanent: bool = False  # the error will not go away by retrying (channel, token or permission)
    edited: int = 0  # posted messages edited to show a corrected issue (the header included)
    removed: int = 0  # of those, items no longer in the issue, edited to a "removed" line
    filtered: str = ""  # what the channel's filter left out, in words ("" when nothing)
    newsletter_id: str = DEFAULT_NEWSLETTER

    @property
    def complete(self) -> bool:
        return not self.errors and self.sent + self.already_posted + self.recovered == self.total


@dataclass(slots=True)
class RetryPolicy:
    attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 60.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)


class Poster:
    """Posts stored issues through one chat platform."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        platform: ChatPlatform,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._platform = platform
        self._clock = clock
        self._retry = retry or RetryPolicy()

    async def post(
        self,
        issue_number: int,
        channel: Channel,
        *,
        progress: ProgressCallback | None = None,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> PostReport:
        async with self._uow_factory() as uow:
            issue = await uow.issues.get(issue_number, newsletter=newsletter)
            if issue is None:
                raise PostingError(
                    f"issue {issue_label(newsletter, issue_number)} is not in the database (ingest it first)"
                )
            delivery = await uow.deliveries.begin(
                issue_number, channel, now=self._clock.now(), newsletter=newsletter
            )
            await uow.commit()

        filtered = apply_filter(issue, channel.filter)
        if filtered.empty:
            log.info(
                "#%s → %s: nothing to post, the channel's filter left out all %s",
                issue_number,
                channel.name,
                filtered.describe(),
            )
            await self._finish(delivery, DeliveryState.COMPLETE, None)
            return PostReport(
                channel=channel,
                issue_number=issue_number,
                newsletter_id=newsletter,
                filtered=filtered.describe(),
            )
        plan = plan_post(filtered.issue, edited_at=delivery.edited_at)
        corrections: list[Correction] = []
        if delivery.state is DeliveryState.COMPLETE:  # posted before: apply what changed since
            corrections = plan_corrections(delivery, plan)
            header = header_correction(delivery, filtered.issue, plan, edited_at=delivery.edited_at)
            if corrections or header or unsent(delivery, plan):
                await self._mark_edited(delivery)
                plan = plan_post(filtered.issue, edited_at=delivery.edited_at)
        report = PostReport(
            channel=channel, issue_number=issue_number, total=len(plan), filtered=filtered.describe()
        )
        landed: dict[str, PostedMessage] = {}
        try:
            for done, planned in enumerate(plan, start=1):
                await self._deliver(delivery, planned, landed, report)
                if progress is not None:
                    progress(channel, done, len(plan))
            header = header_correction(delivery, filtered.issue, plan, edited_at=delivery.edited_at)
            for correction in [*corrections, *([header] if header else [])]:
                await self._edit_with_retries(delivery, correction)
                report.edited += 1
                report.removed += correction.removed
        except PlatformError as error:
            report.errors.append(str(error))
            report.permanent = error.permanent
            await self._finish(delivery, DeliveryState.FAILED, str(error) if error.permanent else None)
            log.warning("posting #%s to %s stopped: %s", issue_number, channel.name, error)
            return report
        await self._finish(delivery, DeliveryState.COMPLETE, None)
        return report

    async def _deliver(
        self,
        delivery: Delivery,
        planned: PlannedMessage,
        landed: dict[str, PostedMessage],
        report: PostReport,
    ) -> None:
        step, channel = planned.step, delivery.channel
        journaled = delivery.messages.get(step.key)
        if journaled is not None and journaled.posted is not None:
            landed[step.key] = journaled.posted
            report.already_posted += 1
            return
        thread = landed[planned.parent.key] if planned.parent is not None else None
        key = delivery_key(delivery.issue_number, channel, step, delivery.newsletter_id)
        if journaled is not None and journaled.attempts > 0:
            found = await self._find_sent(channel, key, thread)
            if found is not None:
                await self._record_posted(delivery, step, found, fingerprint(planned.message))
                landed[step.key] = found
                report.recovered += 1
                return

        posted, recovered = await self._send_with_retries(delivery, planned, thread, key)
        await self._record_posted(delivery, step, posted, fingerprint(planned.message))
        landed[step.key] = posted
        if recovered:
            report.recovered += 1
        else:
            report.sent += 1

    async def _send_with_retries(
        self, delivery: Delivery, planned: PlannedMessage, thread: PostedMessage | None, key: str
    ) -> tuple[PostedMessage, bool]:
        """Send one message; after a transient failure, look for it before sending it again."""
        channel, delays = delivery.channel, self._retry.delays()
        while True:
            await self._record_attempt(delivery, planned.step)
            try:
                return await self._platform.send(
                    channel, planned.message, thread=thread, delivery_key=key
                ), False
            except PlatformError as error:
                delay = next(delays, None)
                if error.permanent or delay is None:
                    raise
                log.info("retrying %s in %s after %.1fs: %s", planned.step.key, channel.name, delay, error)
                await self._clock.sleep(delay)
                # The failed call may still have landed (an error after the platform accepted it).
                found = await self._find_sent(channel, key, thread)
                if found is not None:
                    return found, True

    async def _find_sent(
        self, channel: Channel, key: str, thread: PostedMessage | None
    ) -> PostedMessage | None:
        """Look for a message sent before; a transient failure of the look-up is retried like a send."""
        delays = self._retry.delays()
        while True:
            try:
                return await self._platform.find_sent(channel, key, thread=thread)
            except PlatformError as error:
                delay = next(delays, None)
                if error.permanent or delay is None:
                    raise
                log.info("retrying the look-up of %s in %s after %.1fs: %s", key, channel.name, delay, error)
                await self._clock.sleep(delay)

    async def _record_attempt(self, delivery: Delivery, step: DeliveryStep) -> None:
        async with self._uow_factory() as uow:
            await uow.deliveries.record_attempt(delivery, step)
            await uow.commit()

    async def _record_posted(
        self, delivery: Delivery, step: DeliveryStep, posted: PostedMessage, shows: str
    ) -> None:
        async with self._uow_factory() as uow:
            await uow.deliveries.record_posted(delivery, step, posted, fingerprint=shows)
            await uow.commit()

    async def _edit_with_retries(self, delivery: Delivery, correction: Correction) -> None:
        """Edit one posted message, journaled before and after the call; a transient failure is retried
        (an edit sent twice shows the same thing)."""
        shows, delays = fingerprint(correction.message), self._retry.delays()
        async with self._uow_factory() as uow:
            await uow.deliveries.record_edit(delivery, correction.step, shows, confirmed=False)
            await uow.commit()
        while True:
            try:
                await self._platform.edit(
                    delivery.channel,
                    correction.posted,
                    correction.message,
                    delivery_key=delivery_key(
                        delivery.issue_number, delivery.channel, correction.step, delivery.newsletter_id
                    ),
                )
                break
            except PlatformError as error:
                delay = next(delays, None)
                if error.permanent or delay is None:
                    raise
                log.info("retrying the edit of %s in %.1fs: %s", correction.step.key, delay, error)
                await self._clock.sleep(delay)
        async with self._uow_factory() as uow:
            await uow.deliveries.record_edit(delivery, correction.step, shows, confirmed=True)
            await uow.commit()

    async def _mark_edited(self, delivery: Delivery) -> None:
        async with self._uow_factory() as uow:
            await uow.deliveries.mark_edited(delivery, at=self._clock.now())
            await uow.commit()

    async def _finish(self, delivery: Delivery, state: DeliveryState, error: str | None) -> None:
        async with self._uow_factory() as uow:
            await uow.deliveries.finish(delivery, state, now=self._clock.now(), error=error)
            await uow.commit()


async def post_to_channels(
    posters: Callable[[Channel], Poster],
    issue_number: int,
    channels: Sequence[Channel],
    *,
    progress: ProgressCallback | None = None,
    newsletter: str = DEFAULT_NEWSLETTER,
) -> list[PostReport]:
    """Post one issue to several channels at once, each at its own platform's pace."""

    async def one(channel: Channel) -> PostReport:
        try:
            return await posters(channel).post(
                issue_number, channel, progress=progress, newsletter=newsletter
            )
        except PostingError as error:
            return PostReport(
                channel=channel, issue_number=issue_number, newsletter_id=newsletter, errors=[str(error)]
            )

    tasks: list[Awaitable[PostReport]] = [one(channel) for channel in channels]
    return list(await asyncio.gather(*tasks))
