"""Leases on deliveries and scheduled runs: who is posting what right now, renewed while the work runs.

Every post (scheduled or ``digestbot post``) claims its (issue, channel) first, so two processes never send
the same message at once; a process that dies stops renewing and its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.model import DEFAULT_NEWSLETTER, Channel, issue_label
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.posting.poster import Poster, PostReport, ProgressCallback
from bot.scheduling.ports import DeliveryClaim

log = logging.getLogger(__name__)

PostObserver = Callable[[PostReport], None]


class ClaimedElsewhere(Exception):
    """Another process holds the claim on this delivery (it is posting it right now)."""

    def __init__(
        self,
        channel: Channel,
        issue_number: int,
        owner: str,
        until: datetime,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> None:
        super().__init__(
            f"{issue_label(newsletter, issue_number)} → {channel.name} is being posted by {owner} "
            f"(claim held until {until:%H:%M:%S} UTC)"
        )
        self.owner = owner
        self.until = until


class LostClaim(Exception):
    """The lease ran out and another process took the work over; this one stopped."""


class Claims:
    """Leases on deliveries and runs, renewed in the background while the work runs."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        owner: str,
        lease_seconds: float,
        *,
        owner_dead: Callable[[str], bool] = lambda owner: False,
    ) -> None:
        self.owner_dead = owner_dead  # True when a claim's owner is known to be gone (same host, no pid)
        self.uow_factory = uow_factory
        self.clock = clock
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)
        # Claims held by this process: the database lease cannot tell two tasks of one owner apart.
        self._held: set[tuple[str, int, str, str]] = set()

    def lease_until(self) -> datetime:
        return self.clock.now() + self.lease

    async def _claim(
        self, uow: UnitOfWork, issue_number: int, channel: Channel, newsletter: str, now: datetime
    ) -> DeliveryClaim:
        return await uow.scheduling.claim_delivery(
            issue_number, channel, self.owner, now=now, lease_until=self.lease_until(), newsletter=newsletter
        )

    async def _renew_delivery(self, issue_number: int, channel: Channel, newsletter: str) -> bool:
        async with self.uow_factory() as uow:
            claim = await self._claim(uow, issue_number, channel, newsletter, self.clock.now())
            await uow.commit()
        return claim.owner == self.owner

    async def _renew_run(self, run_id: int) -> bool:
        async with self.uow_factory() as uow:
            renewed = await uow.scheduling.renew_run(run_id, self.owner, lease_until=self.lease_until())
            await uow.commit()
        return renewed

    async def hold(
        self, work: Awaitable[PostReport], renewals: Sequence[Callable[[], Awaitable[bool]]]
    ) -> PostReport:
        """Run ``work`` while renewing the leases every third of their length; stop it if one is lost."""
        task = asyncio.ensure_future(work)
        lost = False

        async def heartbeat() -> None:
            nonlocal lost
            while True:
                await asyncio.sleep(self.lease.total_seconds() / 3)
                for renew in renewals:
                    try:
                        held = await renew()
                    except Exception as error:  # a database hiccup: try again at the next beat
                        log.warning("could not renew a lease: %s", error)
                        continue
                    if not held:
                        lost = True
                        task.cancel()
                        return

        beat = asyncio.create_task(heartbeat())
        try:
            return await task
        except asyncio.CancelledError:
            if lost:
                raise LostClaim("the lease expired and another process took the post over") from None
            raise
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            if not task.done():
                task.cancel()

    async def post(
        self,
        poster: Poster,
        issue_number: int,
        channel: Channel,
        *,
        run_id: int | None = None,
        progress: ProgressCallback | None = None,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> PostReport:
        """Post under the delivery's claim; raises :class:`ClaimedElsewhere` when another holds it."""
        key = (newsletter, issue_number, channel.platform.value, channel.id)
        if key in self._held:
            raise ClaimedElsewhere(
                channel, issue_number, f"{self.owner} (this process)", self.lease_until(), newsletter
            )
        self._held.add(key)
        try:
            return await self._post(
                poster, issue_number, channel, run_id=run_id, progress=progress, newsletter=newsletter
            )
        finally:
            self._held.discard(key)

    async def _post(
        self,
        poster: Poster,
        issue_number: int,
        channel: Channel,
        *,
        run_id: int | None,
        progress: ProgressCallback | None,
        newsletter: str,
    ) -> PostReport:
        label = issue_label(newsletter, issue_number)
        async with self.uow_factory() as uow:
            claim = await self._claim(uow, issue_number, channel, newsletter, self.clock.now())
            if claim.owner != self.owner and self.owner_dead(claim.owner):
                log.info("taking over %s → %s from %s, which is gone", label, channel.name, claim.owner)
                claim = await self._claim(uow, issue_number, channel, newsletter, claim.lease_until)
            await uow.commit()
        if claim.owner != self.owner:
            raise ClaimedElsewhere(channel, issue_number, claim.owner, claim.lease_until, newsletter)
        renewals: list[Callable[[], Awaitable[bool]]] = [
            lambda: self._renew_delivery(issue_number, channel, newsletter)
        ]
        if run_id is not None:
            renewals.append(lambda: self._renew_run(run_id))
        work = poster.post(issue_number, channel, progress=progress, newsletter=newsletter)
        try:
            return await self.hold(work, renewals)
        finally:
            with contextlib.suppress(Exception):
                async with self.uow_factory() as uow:
                    await uow.scheduling.release_delivery(
                        issue_number, channel, self.owner, newsletter=newsletter
                    )
                    await uow.commit()
