"""Emoji reactions on item messages as votes, counted once whatever the platform redelivers."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.community.outage import KeptReaction, OutageKeeper, Spool
from bot.community.reconcile import ReconcileReport, reconcile
from bot.config import VotesConfig
from bot.emoji import normalise_emoji
from bot.model import (
    DEFAULT_NEWSLETTER,
    Channel,
    Issue,
    Item,
    MessageKind,
    Platform,
    ReactionChange,
    Section,
    Vote,
)
from bot.ports import (
    ChatPlatform,
    Clock,
    LocatedMessage,
    StorageError,
    UnitOfWork,
    UnitOfWorkFactory,
    VoteCount,
)
from bot.posting.messages import section_display_title

log = logging.getLogger(__name__)

BATCH_SIZE = 20  # reactions stored per transaction when they arrive faster than they are stored
LOCATE_CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class ReactionEvent(ReactionChange):
    """A reaction added to or removed from a message, as an adapter received it."""

    event_id: str | None = None
    by_bot: bool = False
    occurred_at: datetime | None = None  # the platform's time of the reaction, where it says (Slack)


class VoteOutcome(enum.StrEnum):
    COUNTED = "counted"
    WITHDRAWN = "withdrawn"
    UNCHANGED = "unchanged"  # the same vote again, or withdrawing one that was never counted
    REDELIVERY = "redelivery"
    KEPT = "kept"  # the database is unreachable: stored once it is back (bot/community/outage.py)
    NOT_AN_ITEM = "not_an_item"
    EMOJI_IGNORED = "emoji_ignored"
    BOT = "bot"


@dataclass(slots=True)
class ItemScore:
    issue_number: int
    section: str
    section_position: int
    position: int
    key: str
    title: str
    url: str | None
    sponsored: bool
    score: float = 0.0
    reactions: Counter[str] = field(default_factory=Counter)
    by_platform: Counter[str] = field(default_factory=Counter)
    newsletter_id: str = DEFAULT_NEWSLETTER

    @classmethod
    def of(
        cls, issue_number: int, section: Section, item: Item, newsletter: str = DEFAULT_NEWSLETTER
    ) -> ItemScore:
        """An item's score, nothing counted yet."""
        return cls(
            newsletter_id=newsletter,
            issue_number=issue_number,
            section=section_display_title(section),
            section_position=section.position,
            position=item.position,
            key=item.key,
            title=item.title,
            url=item.url,
            sponsored=item.sponsored,
        )

    def count(self, emoji: str, platform: Platform, weight: float, votes: int = 1) -> None:
        """``votes`` reactions of ``emoji`` on ``platform``, each worth ``weight``."""
        self.score += weight * votes
        self.reactions[emoji] += votes
        self.by_platform[platform.value] += votes

    def as_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "url": self.url,
            "section": self.section,
            "score": int(self.score) if float(self.score).is_integer() else self.score,
            "reactions": dict(self.reactions),
            "platforms": dict(self.by_platform),
            "sponsored": self.sponsored,
        }


@dataclass(frozen=True, slots=True)
class _Pending:
    reaction: KeptReaction
    outcome: asyncio.Future[VoteOutcome]


def tally(issue: Issue, votes: Iterable[Vote], policy: VotesConfig) -> list[ItemScore]:
    """Every item of the issue with its weighted score, in the issue's order."""
    assert issue.number is not None
    scores: dict[str, ItemScore] = {}
    for section in issue.sections:
        for item in section.items:
            scores[item.key] = ItemScore.of(issue.number, section, item, issue.newsletter_id)
    for vote in votes:
        weight = policy.weight(vote.emoji)
        score = scores.get(vote.item_key)
        if score is None or weight is None:
            continue
        score.count(vote.emoji, vote.platform, weight)
    return list(scores.values())


def tally_counts(issue: Issue, counts: Iterable[VoteCount], policy: VotesConfig) -> list[ItemScore]:
    """:func:`tally` from counts already grouped by the database (item, platform, emoji)."""
    scores = {score.key: score for score in tally(issue, (), policy)}
    for counted in counts:
        weight = policy.weight(counted.emoji)
        score = scores.get(counted.item_key)
        if score is None or weight is None or counted.count <= 0:
            continue
        score.count(counted.emoji, counted.platform, weight, counted.count)
    return list(scores.values())


def ranked(scores: Sequence[ItemScore], *, include_sponsored: bool = False) -> list[ItemScore]:
    """Highest score first; ties keep the issue's order. Sponsored items only when asked for."""
    eligible = [s for s in scores if include_sponsored or not s.sponsored]
    return sorted(eligible, key=lambda s: (-s.score, s.section_position, s.position))


class VoteService:
    """Turns reactions into votes.

    Reactions are applied by a few worker lanes: every reaction of one user with one emoji on one message
    goes through the same lane, in the order it arrived, so a quick add-then-remove never ends as a vote;
    and at most ``lanes`` units of work write votes at once, which keeps a burst of reactions from
    queueing ahead of everything else the database does (on SQLite, one lane).
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        policy: VotesConfig,
        *,
        lanes: int = 1,
        spool: Spool | None = None,
        newsletter_policies: Mapping[str, VotesConfig] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._policy = policy
        self._newsletter_policies = dict(newsletter_policies or {})
        self._lanes: list[asyncio.Queue[_Pending]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._lane_count = max(1, lanes)
        self._pending = 0
        self._located: dict[tuple[Platform, str, str], LocatedMessage] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.outage = OutageKeeper(self._apply, clock, spool, lanes=self._lane_count)

    @property
    def policy(self) -> VotesConfig:
        """Which emoji count and what they weigh (``votes`` in the config)."""
        return self._policy

    def policy_of(self, newsletter: str) -> VotesConfig:
        """A newsletter's vote settings: its own, else the bot's ``votes``."""
        return self._newsletter_policies.get(newsletter, self._policy)

    def _may_count(self, emoji: str) -> bool:
        """Whether the emoji counts for any newsletter (which one is known once the message is found)."""
        policies = (self._policy, *self._newsletter_policies.values())
        return any(policy.weight(emoji) is not None for policy in policies)

    @property
    def pending(self) -> int:
        """Reactions received and not yet stored (kept through an outage included)."""
        return self._pending + self.outage.pending

    async def resume(self) -> None:
        """Store the reactions a previous run spooled during an outage (call once on start)."""
        await self.outage.resume()

    async def drain(self, within: float = 30.0) -> bool:
        """Wait until every reaction already received is stored (before shutting down); False on timeout.

        Adapters acknowledge a reaction before handling it, so a handler may have been scheduled without
        having started: the short first pause lets those begin before waiting for all to finish.
        """
        await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers, self._lanes = [], []
        await self.outage.aclose()

    async def handle(self, event: ReactionEvent) -> VoteOutcome:
        """Count or withdraw one reaction, after the reactions that arrived before it."""
        if event.by_bot:
            return VoteOutcome.BOT
        emoji = normalise_emoji(event.emoji)
        if not self._may_count(emoji):
            return VoteOutcome.EMOJI_IGNORED
        at = event.occurred_at or self._clock.now()  # arrival order where the platform gives no time
        # One lane per message: its reactions keep their order, and lanes never update the same item's
        # running totals at once (on PostgreSQL, batches taking those rows in different orders deadlock).
        message = (event.platform, event.channel_id, event.message_id)
        reaction = KeptReaction(
            event.platform,
            event.channel_id,
            event.message_id,
            event.user_id,
            emoji,
            event.added,
            at,
            event.event_id,
        )
        pending = _Pending(reaction, asyncio.get_running_loop().create_future())
        self._start_workers()
        self._pending += 1
        self._idle.clear()
        self._lanes[hash(message) % len(self._lanes)].put_nowait(pending)
        return await pending.outcome

    def _start_workers(self) -> None:
        if self._workers and not any(w.done() for w in self._workers):
            return
        if self._workers:  # a previous event loop ended; its queues went with it
            self._workers, self._lanes = [], []
        self._lanes = [asyncio.Queue() for _ in range(self._lane_count)]
        self._workers = [
            asyncio.create_task(self._work(lane), name=f"votes-lane-{n}")
            for n, lane in enumerate(self._lanes)
        ]

    async def _work(self, lane: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await lane.get()]
            while not lane.empty() and len(batch) < BATCH_SIZE:
                batch.append(lane.get_nowait())
            results = await self._store(batch)
            for pending, result in zip(batch, results, strict=True):
                if not pending.outcome.done():
                    if isinstance(result, Exception):
                        pending.outcome.set_exception(result)
                    else:
                        pending.outcome.set_result(result)
            self._pending -= len(batch)
            if self._pending == 0:
                self._idle.set()

    async def _store(self, batch: list[_Pending]) -> list[VoteOutcome | Exception]:
        """Store a batch, or hand it to the outage keeper when the database cannot take it now."""
        reactions = [pending.reaction for pending in batch]
        if self.outage.active:  # behind the reactions kept already, in order
            self.outage.keep(reactions)
            return [VoteOutcome.KEPT] * len(batch)
        try:
            return list(await self._apply(reactions))
        except StorageError as error:
            self.outage.keep(reactions, error)
            return [VoteOutcome.KEPT] * len(batch)
        except Exception:  # one bad event must not take the others with it: retry them one by one
            results: list[VoteOutcome | Exception] = []
            for n, reaction in enumerate(reactions):
                try:
                    results.extend(await self._apply([reaction]))
                except StorageError as error:
                    self.outage.keep(reactions[n:], error)
                    return results + [VoteOutcome.KEPT] * (len(batch) - n)
                except Exception as error:
                    log.error("could not store a %s reaction: %s", reaction.platform.value, error)
                    results.append(error)
            return results

    async def _apply(self, batch: Sequence[KeptReaction]) -> list[VoteOutcome]:
        """Store a run of reactions in one transaction, message by message (each message's reactions
        in the order they arrived), so that concurrent transactions take rows in the same order."""
        order = sorted(range(len(batch)), key=lambda n: (batch[n].channel_id, batch[n].message_id))
        outcomes: list[VoteOutcome | None] = [None] * len(batch)
        async with self._uow_factory() as uow:
            for n in order:
                outcomes[n] = await self._apply_one(uow, batch[n])
            await uow.commit()
        return [outcome for outcome in outcomes if outcome is not None]

    async def _locate(self, uow: UnitOfWork, event: KeptReaction) -> LocatedMessage | None:
        key = (event.platform, event.channel_id, event.message_id)
        located = self._located.get(key)
        if located is None:
            located = await uow.deliveries.locate(*key)
            if located is not None:  # only hits: a message may be journaled just after its first reaction
                if len(self._located) >= LOCATE_CACHE_SIZE:
                    self._located.clear()
                self._located[key] = located
        return located

    async def _apply_one(self, uow: UnitOfWork, event: KeptReaction) -> VoteOutcome:
        emoji, at = event.emoji, event.at
        located = await self._locate(uow, event)
        if located is None or located.step.kind is not MessageKind.ITEM or located.step.item_key is None:
            return VoteOutcome.NOT_AN_ITEM
        if self.policy_of(located.newsletter_id).weight(emoji) is None:
            return VoteOutcome.EMOJI_IGNORED
        if event.event_id is not None and not await uow.events.first_time(
            event.platform.value, event.event_id, now=self._clock.now()
        ):
            return VoteOutcome.REDELIVERY
        vote = Vote(
            issue_number=located.issue_number,
            item_key=located.step.item_key,
            platform=event.platform,
            user_id=event.user_id,
            emoji=emoji,
            channel_id=located.channel.id,
            newsletter_id=located.newsletter_id,
        )
        if event.added:
            changed = await uow.votes.add(vote, now=self._clock.now(), at=at)
            return VoteOutcome.COUNTED if changed else VoteOutcome.UNCHANGED
        changed = await uow.votes.remove(vote, now=self._clock.now(), at=at)
        return VoteOutcome.WITHDRAWN if changed else VoteOutcome.UNCHANGED

    async def scores(self, issue_number: int, newsletter: str = DEFAULT_NEWSLETTER) -> list[ItemScore] | None:
        async with self._uow_factory() as uow:
            issue = await uow.issues.get(issue_number, newsletter=newsletter)
            if issue is None:
                return None
            counts = await uow.votes.counts(issue_number, newsletter=newsletter)
        return tally_counts(issue, counts, self.policy_of(newsletter))

    async def reconcile(
        self, platform: ChatPlatform, *, days: float = 14, channels: Sequence[Channel] | None = None
    ) -> ReconcileReport:
        """Bring stored votes level with the reactions the platform shows now (``community.reconcile``)."""
        return await reconcile(self._uow_factory, self._clock, self.policy_of, platform, days, channels)
