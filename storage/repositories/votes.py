"""Votes on item messages, their running counts, the redelivered-event log and the weekly results posts."""

from __future__ import annotations

import builtins
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Select, TextClause, and_, bindparam, delete, or_, select, text, update

from bot.model import DEFAULT_NEWSLETTER, Platform, Vote
from bot.ports import ResultsSlot, VoteCount, VoteTotal
from storage.orm.base import UtcDateTime
from storage.orm.issues import IssueRow, ItemRow, SectionRow
from storage.orm.votes import ProcessedEventRow, ResultsPostRow, VoteCountRow, VoteRow
from storage.repositories.base import _now, _Repository, _rowcount

# The vote statements run for every reaction, so they are written once as SQL (valid on SQLite and
# PostgreSQL alike) instead of being rebuilt and re-keyed for the compiled-statement cache each time.
# A row's ``changed_at`` is the platform time of the last event applied: later events always win.
_ITEM_ID = (
    "SELECT items.id FROM items JOIN issues ON issues.id = items.issue_id "
    "WHERE issues.newsletter_id = :newsletter AND issues.number = :number AND items.key = :key"
)
_SAME_VOTE = f"item_id = ({_ITEM_ID}) AND platform = :platform AND user_id = :user_id AND emoji = :emoji"
_UPSERT = (
    "INSERT INTO votes (item_id, platform, user_id, emoji, channel_id, created_at, active, changed_at) "
    "SELECT items.id, :platform, :user_id, :emoji, :channel_id, :now, :active, :at "
    "FROM items JOIN issues ON issues.id = items.issue_id "
    "WHERE issues.newsletter_id = :newsletter AND issues.number = :number AND items.key = :key "
    "ON CONFLICT (item_id, platform, user_id, emoji) DO UPDATE "
    "SET active = excluded.active, changed_at = excluded.changed_at "
    "WHERE votes.changed_at <= excluded.changed_at"
)
_TIMES = (bindparam("now", type_=UtcDateTime()), bindparam("at", type_=UtcDateTime()))
_ACTIVE = bindparam("active", type_=Boolean())
# Inserted, or a withdrawn vote counted again: a row comes back only when the vote starts to count.
_COUNT_VOTE = text(_UPSERT + " AND NOT votes.active RETURNING votes.item_id").bindparams(*_TIMES, _ACTIVE)
_RECORD_WITHDRAWAL = text(_UPSERT).bindparams(*_TIMES, _ACTIVE)
_TOUCH_VOTE = text(
    f"UPDATE votes SET changed_at = :at WHERE {_SAME_VOTE} AND active AND changed_at < :at"
).bindparams(bindparam("at", type_=UtcDateTime()))
_WITHDRAW_VOTE = text(
    f"UPDATE votes SET active = false, changed_at = :at WHERE {_SAME_VOTE} AND active AND changed_at <= :at "
    "RETURNING item_id"
).bindparams(bindparam("at", type_=UtcDateTime()))
# vote_counts follows every vote that starts or stops counting, in the same transaction.
_COUNT_UP = text(
    "INSERT INTO vote_counts (item_id, platform, emoji, count) VALUES (:item_id, :platform, :emoji, 1) "
    "ON CONFLICT (item_id, platform, emoji) DO UPDATE SET count = vote_counts.count + 1"
)
_COUNT_DOWN = text(
    "UPDATE vote_counts SET count = count - 1 "
    "WHERE item_id = :item_id AND platform = :platform AND emoji = :emoji"
)


class SqlVoteRepository(_Repository):
    """Votes point at item rows, found by (newsletter, issue number, item key); they go with their item."""

    async def _execute(self, statement: TextClause, vote: Vote, **params: object) -> Any:
        return await self._session.execute(
            statement,
            {
                "newsletter": vote.newsletter_id,
                "number": vote.issue_number,
                "key": vote.item_key,
                "platform": vote.platform.value,
                "user_id": vote.user_id,
                "emoji": vote.emoji,
                **params,
            },
        )

    async def add(self, vote: Vote, *, now: datetime, at: datetime | None = None) -> bool:
        """Count the vote as of ``at`` (default ``now``); True only when this call made it count.

        Race-safe: of concurrent identical adds exactly one returns True. An add older than a removal
        already applied changes nothing; a vote for an item that no longer exists is not stored.
        """
        at = at or now
        written = (
            await self._execute(_COUNT_VOTE, vote, channel_id=vote.channel_id, now=now, active=True, at=at)
        ).first()
        if written is not None:
            await self._count(_COUNT_UP, written[0], vote)
            return True
        # Already counting: remember this later event so that an older removal cannot undo it.
        await self._execute(_TOUCH_VOTE, vote, at=at)
        return False

    async def remove(self, vote: Vote, *, now: datetime | None = None, at: datetime | None = None) -> bool:
        """Withdraw the vote as of ``at``; True only when this call withdrew a counted vote.

        A removal handled before its (earlier) add leaves a withdrawn row, so that add does not count.
        """
        now = now or _now()
        at = at or now
        withdrawn = (await self._execute(_WITHDRAW_VOTE, vote, at=at)).first()
        if withdrawn is not None:
            await self._count(_COUNT_DOWN, withdrawn[0], vote)
            return True
        await self._execute(
            _RECORD_WITHDRAWAL, vote, channel_id=vote.channel_id, now=now, active=False, at=at
        )
        return False

    async def _count(self, statement: TextClause, item_id: int, vote: Vote) -> None:
        await self._session.execute(
            statement, {"item_id": item_id, "platform": vote.platform.value, "emoji": vote.emoji}
        )

    async def counts(
        self, issue_number: int, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> builtins.list[VoteCount]:
        """How many votes count now per item, platform and emoji: a read of ``vote_counts`` (indexed by
        item), however many votes the issue has."""
        statement = (
            select(ItemRow.key, VoteCountRow.platform, VoteCountRow.emoji, VoteCountRow.count)
            .join(ItemRow, ItemRow.id == VoteCountRow.item_id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .where(
                IssueRow.newsletter_id == newsletter, IssueRow.number == issue_number, VoteCountRow.count > 0
            )
        )
        return [
            VoteCount(issue_number, key, Platform(platform), emoji, count, newsletter)
            for key, platform, emoji, count in await self._session.execute(statement)
        ]

    async def totals(
        self, *, since: date | None = None, newsletter: str | None = None
    ) -> builtins.list[VoteTotal]:
        """Vote counts of every item that has votes, with what a leaderboard shows of the item; only
        issues published (or, without a date, ingested) on or after ``since`` when given."""
        statement = (
            select(
                IssueRow.number,
                ItemRow.key,
                ItemRow.title,
                ItemRow.url,
                ItemRow.sponsored,
                SectionRow.title,
                SectionRow.position,
                ItemRow.position,
                VoteCountRow.platform,
                VoteCountRow.emoji,
                VoteCountRow.count,
                IssueRow.newsletter_id,
            )
            .join(ItemRow, ItemRow.id == VoteCountRow.item_id)
            .join(SectionRow, SectionRow.id == ItemRow.section_id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .where(VoteCountRow.count > 0)
        )
        if newsletter is not None:
            statement = statement.where(IssueRow.newsletter_id == newsletter)
        if since is not None:
            start = datetime(since.year, since.month, since.day, tzinfo=UTC)
            statement = statement.where(
                or_(
                    IssueRow.published_on >= since,
                    and_(IssueRow.published_on.is_(None), IssueRow.ingested_at >= start),
                )
            )
        return [
            VoteTotal(
                issue_number=row[0],
                item_key=row[1],
                title=row[2],
                url=row[3],
                sponsored=row[4],
                section=row[5],
                section_position=row[6],
                position=row[7],
                platform=Platform(row[8]),
                emoji=row[9],
                count=row[10],
                newsletter_id=row[11],
            )
            for row in await self._session.execute(statement)
        ]

    async def rebuild_counts(self) -> int:
        """Recompute ``vote_counts`` from ``votes`` (after a bulk load that bypassed ``add``)."""
        await self._session.execute(delete(VoteCountRow))
        result = await self._session.execute(
            text(
                "INSERT INTO vote_counts (item_id, platform, emoji, count) "
                "SELECT item_id, platform, emoji, COUNT(*) FROM votes WHERE active "
                "GROUP BY item_id, platform, emoji"
            )
        )
        return _rowcount(result)

    def _votes(self) -> Select[VoteRow, int, str, str]:
        return (
            select(VoteRow, IssueRow.number, ItemRow.key, IssueRow.newsletter_id)
            .join(ItemRow, ItemRow.id == VoteRow.item_id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .order_by(VoteRow.id)
        )

    async def _run(self, statement: Select[VoteRow, int, str, str]) -> builtins.list[Vote]:
        return [
            Vote(
                issue_number=number,
                item_key=key,
                platform=Platform(row.platform),
                user_id=row.user_id,
                emoji=row.emoji,
                channel_id=row.channel_id,
                newsletter_id=newsletter,
            )
            for row, number, key, newsletter in await self._session.execute(statement)
        ]

    async def for_issue(
        self, issue_number: int, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> builtins.list[Vote]:
        return await self._run(
            self._votes().where(
                IssueRow.newsletter_id == newsletter, IssueRow.number == issue_number, VoteRow.active
            )
        )

    async def for_item(
        self, issue_number: int, item_key: str, platform: Platform, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> builtins.list[Vote]:
        return await self._run(
            self._votes().where(
                IssueRow.newsletter_id == newsletter,
                IssueRow.number == issue_number,
                ItemRow.key == item_key,
                VoteRow.platform == platform.value,
                VoteRow.active,
            )
        )


# ---------------------------------------------------------------------------------------------- events


_FIRST_TIME = text(
    "INSERT INTO processed_events (source, event_id, seen_at) VALUES (:source, :event_id, :seen_at) "
    "ON CONFLICT (source, event_id) DO NOTHING RETURNING event_id"
).bindparams(bindparam("seen_at", type_=UtcDateTime()))


class SqlEventLog(_Repository):
    async def first_time(self, source: str, event_id: str, *, now: datetime) -> bool:
        """Record a platform event id; False when it was seen before (a redelivery). Race-safe."""
        result = await self._session.execute(
            _FIRST_TIME, {"source": source, "event_id": event_id, "seen_at": now}
        )
        return result.first() is not None

    async def prune(self, *, before: datetime) -> int:
        """Forget events seen before ``before`` (platforms redeliver within minutes); how many went."""
        statement = delete(ProcessedEventRow).where(ProcessedEventRow.seen_at < before)
        return _rowcount(await self._session.execute(statement))


# ---------------------------------------------------------------------------------------------- results


def _slot_columns(slot: ResultsSlot) -> dict[str, Any]:
    """The columns of ``results_posts`` that identify a slot (its unique key), with their values."""
    return {
        "platform": slot.platform.value,
        "channel_id": slot.channel_id,
        "newsletter_id": slot.newsletter,
        "issue_number": slot.issue_number,
    }


class SqlResultsRepository(_Repository):
    """One weekly-results message per channel and issue (see ``ResultsPostRow``)."""

    def _key(self, slot: ResultsSlot) -> Any:
        return and_(*(getattr(ResultsPostRow, name) == value for name, value in _slot_columns(slot).items()))

    async def claim(self, slot: ResultsSlot, results_of: int, *, now: datetime) -> bool:
        columns = _slot_columns(slot)
        return await self._insert_new(
            ResultsPostRow, list(columns), **columns, results_of=results_of, claimed_at=now
        )

    async def record(self, slot: ResultsSlot, message_id: str) -> None:
        await self._session.execute(
            update(ResultsPostRow).where(self._key(slot)).values(message_id=message_id)
        )

    async def release(self, slot: ResultsSlot) -> None:
        await self._session.execute(delete(ResultsPostRow).where(self._key(slot)))
