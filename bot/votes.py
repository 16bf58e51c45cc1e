"""Emoji reactions on item messages as votes, counted once whatever the platform redelivers."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import VotesConfig
from bot.emoji import normalise_emoji
from bot.messages import section_display_title
from bot.model import Channel, Issue, MessageKind, Platform, Vote
from bot.ports import ChatPlatform, Clock, LocatedMessage, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReactionEvent:
    """A reaction added to or removed from a message, as an adapter received it."""

    platform: Platform
    channel_id: str
    message_id: str
    user_id: str
    emoji: str
    added: bool
    event_id: str | None = None
    by_bot: bool = False


class VoteOutcome(enum.StrEnum):
    COUNTED = "counted"
    WITHDRAWN = "withdrawn"
    UNCHANGED = "unchanged"  # the same vote again, or withdrawing one that was never counted
    REDELIVERY = "redelivery"
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


@dataclass(slots=True)
class ReconcileReport:
    messages_read: int = 0
    added: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)


def tally(issue: Issue, votes: Iterable[Vote], policy: VotesConfig) -> list[ItemScore]:
    """Every item of the issue with its weighted score, in the issue's order."""
    assert issue.number is not None
    scores: dict[str, ItemScore] = {}
    for section in issue.sections:
        for item in section.items:
            scores[item.key] = ItemScore(
                issue_number=issue.number,
                section=section_display_title(section),
                section_position=section.position,
                position=item.position,
                key=item.key,
                title=item.title,
                url=item.url,
                sponsored=item.sponsored,
            )
    for vote in votes:
        weight = policy.weight(vote.emoji)
        score = scores.get(vote.item_key)
        if score is None or weight is None:
            continue
        score.score += weight
        score.reactions[vote.emoji] += 1
        score.by_platform[vote.platform.value] += 1
    return list(scores.values())


def ranked(scores: Sequence[ItemScore], *, include_sponsored: bool = False) -> list[ItemScore]:
    """Highest score first; ties keep the issue's order. Sponsored items only when asked for."""
    eligible = [s for s in scores if include_sponsored or not s.sponsored]
    return sorted(eligible, key=lambda s: (-s.score, s.section_position, s.position))


class KeyedLocks:
    """One FIFO lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class VoteService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, policy: VotesConfig) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._policy = policy
        self._locks = KeyedLocks()

    async def handle(self, event: ReactionEvent) -> VoteOutcome:
        """Count or withdraw one reaction. Events about the same reaction are applied in the order they
        arrived (a quick add-then-remove must not end as a vote), so the lock is taken before any await.
        """
        if event.by_bot:
            return VoteOutcome.BOT
        emoji = normalise_emoji(event.emoji)
        if self._policy.weight(emoji) is None:
            return VoteOutcome.EMOJI_IGNORED
        key = (event.platform, event.channel_id, event.message_id, event.user_id, emoji)
        async with self._locks.hold(key):
            return await self._apply(event, emoji)

    async def _apply(self, event: ReactionEvent, emoji: str) -> VoteOutcome:
        async with self._uow_factory() as uow:
            located = await uow.deliveries.locate(event.platform, event.channel_id, event.message_id)
            if located is None or located.step.kind is not MessageKind.ITEM or located.step.item_key is None:
                return VoteOutcome.NOT_AN_ITEM
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
            )
            if event.added:
                changed = await uow.votes.add(vote, now=self._clock.now())
                outcome = VoteOutcome.COUNTED if changed else VoteOutcome.UNCHANGED
            else:
                changed = await uow.votes.remove(vote)
                outcome = VoteOutcome.WITHDRAWN if changed else VoteOutcome.UNCHANGED
            await uow.commit()
        return outcome

    async def scores(self, issue_number: int) -> list[ItemScore] | None:
        async with self._uow_factory() as uow:
            issue = await uow.issues.get(issue_number)
            if issue is None:
                return None
            votes = await uow.votes.for_issue(issue_number)
        return tally(issue, votes, self._policy)

    async def reconcile(
        self, platform: ChatPlatform, *, days: float = 14, channels: Sequence[Channel] | None = None
    ) -> ReconcileReport:
        """Bring stored votes level with the reactions the platform shows now on recent item messages.

        Votes given or withdrawn while the bot was not listening are added or removed; votes already
        stored are left alone, so running it any number of times counts nothing twice.
        """
        report = ReconcileReport()
        since: datetime = self._clock.now() - timedelta(days=days)
        wanted_channels = {c.id for c in channels} if channels is not None else None
        async with self._uow_factory() as uow:
            messages = await uow.deliveries.item_messages(platform.platform, since=since)
        by_item: dict[tuple[int, str], list[tuple[LocatedMessage, str]]] = defaultdict(list)
        for located, message_id in messages:
            if wanted_channels is not None and located.channel.id not in wanted_channels:
                continue
            assert located.step.item_key is not None
            by_item[(located.issue_number, located.step.item_key)].append((located, message_id))

        for (issue_number, key), posted in by_item.items():
            present: dict[tuple[str, str], str] = {}
            readable = True
            for located, message_id in posted:
                try:
                    reactions = await platform.read_reactions(located.channel, message_id)
                except Exception as error:  # one unreadable message must not stop the others
                    report.errors.append(f"{located.channel.name} {message_id}: {error}")
                    readable = False
                    continue
                report.messages_read += 1
                for reaction in reactions:
                    emoji = normalise_emoji(reaction.emoji)
                    if self._policy.weight(emoji) is None:
                        continue
                    for user in reaction.user_ids:
                        present.setdefault((user, emoji), located.channel.id)
            async with self._uow_factory() as uow:
                stored = {
                    (v.user_id, v.emoji)
                    for v in await uow.votes.for_item(issue_number, key, platform.platform)
                }
                for user, emoji in present.keys() - stored:
                    vote = Vote(issue_number, key, platform.platform, user, emoji, present[(user, emoji)])
                    report.added += await uow.votes.add(vote, now=self._clock.now())
                if readable:  # never withdraw votes on the strength of a partial read
                    for user, emoji in stored - present.keys():
                        report.removed += await uow.votes.remove(
                            Vote(issue_number, key, platform.platform, user, emoji)
                        )
                await uow.commit()
        log.info(
            "reconciled %s: %d messages read, %d votes added, %d removed",
            platform.platform.value,
            report.messages_read,
            report.added,
            report.removed,
        )
        return report
