"""Votes given or withdrawn while the bot was not listening, read back from the platform."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import VotesConfig
from bot.emoji import normalise_emoji
from bot.model import Channel, Vote
from bot.ports import ChatPlatform, Clock, LocatedMessage, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReconcileReport:
    messages_read: int = 0
    added: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)


async def reconcile(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy_of: Callable[[str], VotesConfig],
    platform: ChatPlatform,
    days: float = 14,
    channels: Sequence[Channel] | None = None,
) -> ReconcileReport:
    """Bring stored votes level with the reactions the platform shows now on recent item messages.

    Votes given or withdrawn while the bot was not listening are added or removed; votes already
    stored are left alone, so running it any number of times counts nothing twice.
    """
    report = ReconcileReport()
    since: datetime = clock.now() - timedelta(days=days)
    read_at = clock.now()
    wanted_channels = {c.id for c in channels} if channels is not None else None
    async with uow_factory() as uow:
        messages = await uow.deliveries.item_messages(platform.platform, since=since)
    by_item: dict[tuple[str, int, str], list[tuple[LocatedMessage, str]]] = defaultdict(list)
    for located, message_id in messages:
        if wanted_channels is not None and located.channel.id not in wanted_channels:
            continue
        assert located.step.item_key is not None
        by_item[(located.newsletter_id, located.issue_number, located.step.item_key)].append(
            (located, message_id)
        )

    for (newsletter, issue_number, key), posted in by_item.items():
        policy = policy_of(newsletter)
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
                if policy.weight(emoji) is None:
                    continue
                for user in reaction.user_ids:
                    present.setdefault((user, emoji), located.channel.id)
        async with uow_factory() as uow:
            stored = {
                (v.user_id, v.emoji)
                for v in await uow.votes.for_item(issue_number, key, platform.platform, newsletter=newsletter)
            }
            for user, emoji in present.keys() - stored:
                vote = Vote(
                    issue_number, key, platform.platform, user, emoji, present[(user, emoji)], newsletter
                )
                report.added += await uow.votes.add(vote, now=clock.now(), at=read_at)
            if readable:  # never withdraw votes on the strength of a partial read
                for user, emoji in stored - present.keys():
                    withdrawn = Vote(issue_number, key, platform.platform, user, emoji, "", newsletter)
                    report.removed += await uow.votes.remove(withdrawn, now=clock.now(), at=read_at)
            await uow.commit()
    log.info(
        "reconciled %s: %d messages read, %d votes added, %d removed",
        platform.platform.value,
        report.messages_read,
        report.added,
        report.removed,
    )
    return report
