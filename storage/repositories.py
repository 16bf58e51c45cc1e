"""The repositories of :class:`storage.unit_of_work.SqlUnitOfWork`: ORM rows in, :mod:`bot.model` out.

Each repository works inside its unit of work's session and transaction and never commits. No ORM object
is returned to the core. Statements that must be race-safe across processes are single
``INSERT ... ON CONFLICT`` statements in the dialect's own flavour (SQLite and PostgreSQL).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Executable,
    Select,
    String,
    TextClause,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.model import (
    Channel,
    DeliveredMessage,
    Delivery,
    DeliveryState,
    DeliveryStep,
    Issue,
    Item,
    MessageKind,
    Platform,
    PostedMessage,
    Section,
    Suggestion,
    SuggestionStatus,
    Supporter,
    Vote,
)
from bot.ports import IssueSummary, LocatedMessage, SavedIssue, VoteCount, VoteTotal
from bot.urls import canonical_url
from storage.orm import (
    Base,
    DeliveredMessageRow,
    DeliveryRow,
    IssueRow,
    ItemRow,
    ProcessedEventRow,
    SectionRow,
    SuggestionRow,
    SuggestionSupporterRow,
    UtcDateTime,
    VoteRow,
)
from storage.orm_community import ResultsPostRow, VoteCountRow

# Platforms whose message ids are unique across all channels (Discord ids are snowflakes). Elsewhere
# (Slack: a ``ts`` is only unique in its channel) a message is found by channel and id together.
GLOBALLY_UNIQUE_MESSAGE_IDS = frozenset({Platform.DISCORD})


def _insert(dialect: str, entity: type[Base]) -> sqlite.Insert | postgresql.Insert:
    if dialect == "postgresql":
        return postgresql.insert(entity)
    if dialect == "sqlite":
        return sqlite.insert(entity)
    raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}")


def _rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched. (Not for INSERT: psycopg reports -1 there; use RETURNING.)"""
    return int(result.rowcount)


def _canonical(url: str | None) -> str | None:
    return canonical_url(url) if url else None


def _now() -> datetime:
    return datetime.now(UTC)


class _Repository:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def _inserted(self, statement: Executable) -> bool:
        """Run an ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: whether it inserted a row."""
        return (await self._session.execute(statement)).first() is not None


# ---------------------------------------------------------------------------------------------- issues


def _issue_from_row(row: IssueRow) -> Issue:
    return Issue(
        title=row.title,
        number=row.number,
        subtitle=row.subtitle,
        intro=row.intro,
        published_on=row.published_on,
        source=row.source,
        sections=[
            Section(
                title=section.title,
                position=section.position,
                items=[
                    Item(
                        title=item.title,
                        url=item.url,
                        blurb=item.blurb,
                        sponsored=item.sponsored,
                        position=item.position,
                        key=item.key,
                    )
                    for item in section.items
                ],
            )
            for section in row.sections
        ],
    )


def _check_issue(issue: Issue) -> int:
    if issue.number is None:
        raise ValueError("an issue needs a number to be saved")
    positions = [section.position for section in issue.sections]
    if len(set(positions)) != len(positions):
        raise ValueError(f"issue {issue.number}: section positions repeat {positions}; call renumber() first")
    keys = [item.key for item in issue.items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"issue {issue.number}: item keys repeat; call renumber() first")
    return issue.number


class SqlIssueRepository(_Repository):
    async def _row(self, number: int) -> IssueRow | None:
        statement = (
            select(IssueRow)
            .where(IssueRow.number == number)
            .options(selectinload(IssueRow.sections).selectinload(SectionRow.items))
            .execution_options(populate_existing=True)
        )
        return (await self._session.scalars(statement)).one_or_none()

    async def get(self, number: int) -> Issue | None:
        row = await self._row(number)
        return _issue_from_row(row) if row else None

    async def save(self, issue: Issue, *, now: datetime) -> SavedIssue:
        """Insert the issue, or update it in place.

        Sections are matched by position (their title updated, new ones added, surplus ones deleted).
        Items are matched by key across the whole issue: a kept item keeps its row, and so its votes, while
        its title, link, blurb, position and section follow the new version; items whose key is gone are
        deleted with their votes. Section positions and item keys must be unique (``Issue.renumber``).
        """
        number = _check_issue(issue)
        session = self._session
        row = (await session.scalars(select(IssueRow).where(IssueRow.number == number))).one_or_none()
        created = row is None
        if row is None:
            row = IssueRow(number=number, ingested_at=now)
            session.add(row)
        row.title = issue.title
        row.subtitle = issue.subtitle
        row.intro = issue.intro
        row.published_on = issue.published_on
        row.source = issue.source
        row.updated_at = now
        await session.flush()

        old_sections = {
            section.position: section
            for section in await session.scalars(select(SectionRow).where(SectionRow.issue_id == row.id))
        }
        section_rows: list[SectionRow] = []
        for section in issue.sections:
            section_row = old_sections.pop(section.position, None)
            if section_row is None:
                section_row = SectionRow(issue_id=row.id, position=section.position)
                session.add(section_row)
            section_row.title = section.title
            section_rows.append(section_row)
        await session.flush()

        old_items = {
            item.key: item
            for item in await session.scalars(select(ItemRow).where(ItemRow.issue_id == row.id))
        }
        kept = added = 0
        for section, section_row in zip(issue.sections, section_rows, strict=True):
            for item in section.items:
                item_row = old_items.pop(item.key, None)
                if item_row is None:
                    item_row = ItemRow(issue_id=row.id, key=item.key)
                    session.add(item_row)
                    added += 1
                else:
                    kept += 1
                item_row.section_id = section_row.id
                item_row.position = item.position
                item_row.title = item.title
                item_row.url = item.url
                item_row.canonical_url = _canonical(item.url)
                item_row.blurb = item.blurb
                item_row.sponsored = item.sponsored
        await session.flush()

        removed = len(old_items)
        for item_row in old_items.values():  # votes go with them: ON DELETE CASCADE
            await session.delete(item_row)
        await session.flush()
        for section_row in old_sections.values():  # empty now: their items were moved or deleted
            await session.delete(section_row)
        await session.flush()
        return SavedIssue(number, created, items_kept=kept, items_added=added, items_removed=removed)

    async def summaries(self) -> list[IssueSummary]:
        section_count = (
            select(func.count(SectionRow.id)).where(SectionRow.issue_id == IssueRow.id).scalar_subquery()
        )
        item_count = select(func.count(ItemRow.id)).where(ItemRow.issue_id == IssueRow.id).scalar_subquery()
        statement = select(
            IssueRow.number,
            IssueRow.title,
            IssueRow.published_on,
            section_count.label("section_count"),
            item_count.label("item_count"),
            IssueRow.ingested_at,
        ).order_by(IssueRow.number.desc())
        return [
            IssueSummary(
                number=number,
                title=title,
                published_on=published_on,
                section_count=sections,
                item_count=items,
                ingested_at=ingested_at,
            )
            for number, title, published_on, sections, items, ingested_at in await self._session.execute(
                statement
            )
        ]

    async def latest_number(self) -> int | None:
        number: int | None = await self._session.scalar(select(func.max(IssueRow.number)))
        return number

    async def number_featuring(self, canonical_url: str) -> int | None:
        """The smallest issue number with an item whose link canonicalises to ``canonical_url``."""
        statement = (
            select(func.min(IssueRow.number))
            .join(ItemRow, ItemRow.issue_id == IssueRow.id)
            .where(ItemRow.canonical_url == _canonical(canonical_url))
        )
        number: int | None = await self._session.scalar(statement)
        return number


# ---------------------------------------------------------------------------------------------- deliveries


def _step(row: DeliveredMessageRow) -> DeliveryStep:
    return DeliveryStep(MessageKind(row.kind), row.section_position, row.item_key)


def _channel(row: DeliveryRow) -> Channel:
    return Channel(row.channel_name, Platform(row.platform), row.channel_id, row.guild_id)


def _delivery_from_row(row: DeliveryRow, issue_number: int) -> Delivery:
    return Delivery(
        issue_number=issue_number,
        channel=_channel(row),
        state=DeliveryState(row.state),
        messages={
            message.step_key: DeliveredMessage(
                step=_step(message),
                posted=PostedMessage(message.message_id, message.thread_id) if message.message_id else None,
                attempts=message.attempts,
            )
            for message in row.messages
        },
        started_at=row.started_at,
        completed_at=row.completed_at,
        error=row.error,
    )


# The journal is written twice for every message posted, so these two statements are written once as
# SQL (valid on SQLite and PostgreSQL alike), each finding its delivery row by itself.
_JOURNAL_INSERT = (
    "INSERT INTO delivered_messages (delivery_id, platform, channel_id, step_key, kind, section_position, "
    "item_key, attempts, message_id, thread_id) "
    "SELECT deliveries.id, deliveries.platform, deliveries.channel_id, :step_key, :kind, "
    "CAST(:section_position AS INTEGER), :item_key, 1, {posted} "
    "FROM deliveries JOIN issues ON issues.id = deliveries.issue_id "
    "WHERE issues.number = :number AND deliveries.platform = :platform "
    "AND deliveries.channel_id = :channel_id "
    "ON CONFLICT (delivery_id, step_key) DO UPDATE SET {update} RETURNING delivered_messages.id"
)
_RECORD_ATTEMPT = text(
    _JOURNAL_INSERT.format(posted="NULL, NULL", update="attempts = delivered_messages.attempts + 1")
)
_RECORD_POSTED = text(
    _JOURNAL_INSERT.format(
        posted=":message_id, :thread_id",
        update="message_id = excluded.message_id, thread_id = excluded.thread_id",
    )
)


class SqlDeliveryRepository(_Repository):
    """The delivery journal: one row per (issue, platform, channel id), one per step of it.

    The ``Delivery`` objects handed to ``record_attempt``, ``record_posted`` and ``finish`` are updated in
    place as well, so the caller's copy matches what the transaction wrote.
    """

    def _select(self) -> Select[DeliveryRow, int]:
        return (
            select(DeliveryRow, IssueRow.number)
            .join(IssueRow, IssueRow.id == DeliveryRow.issue_id)
            .options(selectinload(DeliveryRow.messages))
            .execution_options(populate_existing=True)
        )

    async def get(self, issue_number: int, channel: Channel) -> Delivery | None:
        statement = self._select().where(
            IssueRow.number == issue_number,
            DeliveryRow.platform == channel.platform.value,
            DeliveryRow.channel_id == channel.id,
        )
        found = (await self._session.execute(statement)).one_or_none()
        return _delivery_from_row(found[0], found[1]) if found else None

    async def begin(self, issue_number: int, channel: Channel, *, now: datetime) -> Delivery:
        """The delivery of this issue to this channel, created in progress if there is none yet.

        Race-safe: concurrent callers all get the one row (``INSERT ... ON CONFLICT DO NOTHING``, then read).
        An existing delivery is returned as stored, whatever its state. Raises ``LookupError`` when the
        issue is not stored.
        """
        source = select(
            IssueRow.id,
            literal(channel.name, String()),
            literal(channel.platform.value, String()),
            literal(channel.id, String()),
            literal(channel.guild_id, String()),
            literal(DeliveryState.IN_PROGRESS.value, String()),
            literal(now, UtcDateTime()),
        ).where(IssueRow.number == issue_number)
        statement = (
            _insert(self._dialect, DeliveryRow)
            .from_select(
                ["issue_id", "channel_name", "platform", "channel_id", "guild_id", "state", "started_at"],
                source,
            )
            .on_conflict_do_nothing(index_elements=["issue_id", "platform", "channel_id"])
        )
        await self._session.execute(statement)
        delivery = await self.get(issue_number, channel)
        if delivery is None:
            raise LookupError(f"issue {issue_number} is not stored")
        return delivery

    async def _delivery_id(self, delivery: Delivery) -> int:
        statement = (
            select(DeliveryRow.id)
            .join(IssueRow, IssueRow.id == DeliveryRow.issue_id)
            .where(
                IssueRow.number == delivery.issue_number,
                DeliveryRow.platform == delivery.channel.platform.value,
                DeliveryRow.channel_id == delivery.channel.id,
            )
        )
        delivery_id = await self._session.scalar(statement)
        if delivery_id is None:
            raise LookupError(f"no delivery of issue {delivery.issue_number} to {delivery.channel.name}")
        return delivery_id

    def _step_values(self, delivery_id: int, delivery: Delivery, step: DeliveryStep) -> dict[str, Any]:
        return {
            "delivery_id": delivery_id,
            "platform": delivery.channel.platform.value,
            "channel_id": delivery.channel.id,
            "step_key": step.key,
            "kind": step.kind.value,
            "section_position": step.section_position,
            "item_key": step.item_key,
        }

    async def _journal(
        self, statement: TextClause, delivery: Delivery, step: DeliveryStep, **extra: object
    ) -> None:
        params = {
            "number": delivery.issue_number,
            "platform": delivery.channel.platform.value,
            "channel_id": delivery.channel.id,
            "step_key": step.key,
            "kind": step.kind.value,
            "section_position": step.section_position,
            "item_key": step.item_key,
            **extra,
        }
        if (await self._session.execute(statement, params)).first() is None:
            raise LookupError(f"no delivery of issue {delivery.issue_number} to {delivery.channel.name}")

    async def record_attempt(self, delivery: Delivery, step: DeliveryStep) -> None:
        """Journal that ``step`` is about to be sent: its row is created, or its attempts counted up."""
        await self._journal(_RECORD_ATTEMPT, delivery, step)
        entry = delivery.messages.setdefault(step.key, DeliveredMessage(step))
        entry.attempts += 1

    async def record_posted(self, delivery: Delivery, step: DeliveryStep, posted: PostedMessage) -> None:
        """Journal where ``step`` landed. A step never attempted is journalled with one attempt."""
        await self._journal(
            _RECORD_POSTED, delivery, step, message_id=posted.message_id, thread_id=posted.thread_id
        )
        entry = delivery.messages.setdefault(step.key, DeliveredMessage(step, attempts=1))
        entry.posted = posted

    async def finish(
        self, delivery: Delivery, state: DeliveryState, *, now: datetime, error: str | None = None
    ) -> None:
        """Set the state; ``completed_at`` is ``now`` unless the state is back to in progress."""
        completed_at = None if state is DeliveryState.IN_PROGRESS else now
        delivery_id = await self._delivery_id(delivery)
        await self._session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id)
            .values(state=state.value, completed_at=completed_at, error=error)
        )
        delivery.state = state
        delivery.completed_at = completed_at
        delivery.error = error

    async def locate(self, platform: Platform, channel_id: str, message_id: str) -> LocatedMessage | None:
        """What a platform message id stands for, from a reaction event's channel and message id.

        Slack ``ts`` values are unique per channel only, and a thread reply lives in its parent's channel,
        so Slack matches (platform, channel id, message id) with the delivery's channel. Discord message ids
        are globally unique snowflakes, and an item message lives in the section's *thread*, a channel of
        its own whose id the reaction event reports, so Discord matches (platform, message id) and ignores
        the channel id. Should two journal rows claim one message (a resumed post that adopted a message),
        the most recently journalled one wins.
        """
        statement = (
            select(DeliveredMessageRow, DeliveryRow, IssueRow.number)
            .join(DeliveryRow, DeliveryRow.id == DeliveredMessageRow.delivery_id)
            .join(IssueRow, IssueRow.id == DeliveryRow.issue_id)
            .where(
                DeliveredMessageRow.platform == platform.value, DeliveredMessageRow.message_id == message_id
            )
            .order_by(DeliveredMessageRow.id.desc())
            .limit(1)
        )
        if platform not in GLOBALLY_UNIQUE_MESSAGE_IDS:
            statement = statement.where(DeliveredMessageRow.channel_id == channel_id)
        found = (await self._session.execute(statement)).one_or_none()
        if found is None:
            return None
        message, delivery, number = found
        return LocatedMessage(issue_number=number, channel=_channel(delivery), step=_step(message))

    async def item_messages(
        self, platform: Platform, *, since: datetime | None = None
    ) -> list[tuple[LocatedMessage, str]]:
        """Posted item messages on ``platform`` with their message ids, newest deliveries first.

        ``since`` keeps deliveries started at or after it; within a delivery messages come in journal order.
        """
        statement = (
            select(DeliveredMessageRow, DeliveryRow, IssueRow.number)
            .join(DeliveryRow, DeliveryRow.id == DeliveredMessageRow.delivery_id)
            .join(IssueRow, IssueRow.id == DeliveryRow.issue_id)
            .where(
                DeliveryRow.platform == platform.value,
                DeliveredMessageRow.kind == MessageKind.ITEM.value,
                DeliveredMessageRow.message_id.is_not(None),
            )
            .order_by(DeliveryRow.started_at.desc(), DeliveryRow.id.desc(), DeliveredMessageRow.id)
        )
        if since is not None:
            statement = statement.where(DeliveryRow.started_at >= since)
        result: list[tuple[LocatedMessage, str]] = []
        for message, delivery, number in await self._session.execute(statement):
            assert message.message_id is not None
            located = LocatedMessage(issue_number=number, channel=_channel(delivery), step=_step(message))
            result.append((located, message.message_id))
        return result

    async def all(self) -> list[Delivery]:
        """Every delivery, newest first."""
        statement = self._select().order_by(DeliveryRow.started_at.desc(), DeliveryRow.id.desc())
        return [_delivery_from_row(row, number) for row, number in await self._session.execute(statement)]


# ---------------------------------------------------------------------------------------------- votes


# The vote statements run for every reaction, so they are written once as SQL (valid on SQLite and
# PostgreSQL alike) instead of being rebuilt and re-keyed for the compiled-statement cache each time.
# A row's ``changed_at`` is the platform time of the last event applied: later events always win.
_ITEM_ID = (
    "SELECT items.id FROM items JOIN issues ON issues.id = items.issue_id "
    "WHERE issues.number = :number AND items.key = :key"
)
_SAME_VOTE = f"item_id = ({_ITEM_ID}) AND platform = :platform AND user_id = :user_id AND emoji = :emoji"
_UPSERT = (
    "INSERT INTO votes (item_id, platform, user_id, emoji, channel_id, created_at, active, changed_at) "
    "SELECT items.id, :platform, :user_id, :emoji, :channel_id, :now, :active, :at "
    "FROM items JOIN issues ON issues.id = items.issue_id "
    "WHERE issues.number = :number AND items.key = :key "
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
    """Votes point at item rows, found by (issue number, item key); they vanish with their item."""

    def _item_id(self, issue_number: int, item_key: str) -> Select[int]:
        return (
            select(ItemRow.id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .where(IssueRow.number == issue_number, ItemRow.key == item_key)
        )

    async def _execute(self, statement: TextClause, vote: Vote, **params: object) -> Any:
        return await self._session.execute(
            statement,
            {
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

    async def counts(self, issue_number: int) -> builtins.list[VoteCount]:
        """How many votes count now per item, platform and emoji: a read of ``vote_counts`` (indexed by
        item), however many votes the issue has."""
        statement = (
            select(ItemRow.key, VoteCountRow.platform, VoteCountRow.emoji, VoteCountRow.count)
            .join(ItemRow, ItemRow.id == VoteCountRow.item_id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .where(IssueRow.number == issue_number, VoteCountRow.count > 0)
        )
        return [
            VoteCount(issue_number, key, Platform(platform), emoji, count)
            for key, platform, emoji, count in await self._session.execute(statement)
        ]

    async def totals(self, *, since: date | None = None) -> builtins.list[VoteTotal]:
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
            )
            .join(ItemRow, ItemRow.id == VoteCountRow.item_id)
            .join(SectionRow, SectionRow.id == ItemRow.section_id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .where(VoteCountRow.count > 0)
        )
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

    def _votes(self) -> Select[VoteRow, int, str]:
        return (
            select(VoteRow, IssueRow.number, ItemRow.key)
            .join(ItemRow, ItemRow.id == VoteRow.item_id)
            .join(IssueRow, IssueRow.id == ItemRow.issue_id)
            .order_by(VoteRow.id)
        )

    async def _run(self, statement: Select[VoteRow, int, str]) -> builtins.list[Vote]:
        return [
            Vote(
                issue_number=number,
                item_key=key,
                platform=Platform(row.platform),
                user_id=row.user_id,
                emoji=row.emoji,
                channel_id=row.channel_id,
            )
            for row, number, key in await self._session.execute(statement)
        ]

    async def for_issue(self, issue_number: int) -> builtins.list[Vote]:
        return await self._run(self._votes().where(IssueRow.number == issue_number, VoteRow.active))

    async def for_item(self, issue_number: int, item_key: str, platform: Platform) -> builtins.list[Vote]:
        return await self._run(
            self._votes().where(
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


# ---------------------------------------------------------------------------------------------- suggestions


def _supporter_from_row(row: SuggestionSupporterRow) -> Supporter:
    return Supporter(Platform(row.platform), row.user_id, row.workspace_id, row.channel_id, row.at)


def _suggestion_from_row(row: SuggestionRow) -> Suggestion:
    return Suggestion(
        url=row.url,
        note=row.note,
        submitted_by=Supporter(
            Platform(row.submitter_platform),
            row.submitter_user_id,
            row.submitter_workspace_id,
            row.submitter_channel_id,
            row.created_at,
        ),
        status=SuggestionStatus(row.status),
        supporters=[_supporter_from_row(supporter) for supporter in row.supporters],
        title=row.title,
        section=row.section,
        featured_in=row.featured_in,
        created_at=row.created_at,
        id=row.id,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


class SqlSuggestionRepository(_Repository):
    """Suggested links, one per canonical URL, with the people who support them (the submitter first)."""

    def _select(self) -> Select[SuggestionRow]:
        return (
            select(SuggestionRow)
            .options(selectinload(SuggestionRow.supporters))
            .execution_options(populate_existing=True)
        )

    async def by_url(self, canonical_url: str) -> Suggestion | None:
        """The suggestion of that link (the argument is canonicalised again, so any spelling matches)."""
        statement = self._select().where(SuggestionRow.canonical_url == _canonical(canonical_url))
        row = (await self._session.scalars(statement)).one_or_none()
        return _suggestion_from_row(row) if row else None

    async def get(self, suggestion_id: int) -> Suggestion | None:
        row = (
            await self._session.scalars(self._select().where(SuggestionRow.id == suggestion_id))
        ).one_or_none()
        return _suggestion_from_row(row) if row else None

    async def add(self, suggestion: Suggestion) -> Suggestion:
        """Store a new suggestion with its submitter as first supporter (then any other ``supporters``).

        Timestamps left None become the current time. Race-safe: when the link was suggested in the
        meantime, the existing suggestion gains the submitter as a supporter and is returned instead (its
        ``submitted_by`` then differs from the argument's).
        """
        submitter = suggestion.submitted_by
        created_at = suggestion.created_at or submitter.at or _now()
        statement = (
            _insert(self._dialect, SuggestionRow)
            .values(
                url=suggestion.url,
                canonical_url=canonical_url(suggestion.url),
                note=suggestion.note,
                status=suggestion.status.value,
                title=suggestion.title,
                section=suggestion.section,
                featured_in=suggestion.featured_in,
                created_at=created_at,
                submitter_platform=submitter.platform.value,
                submitter_user_id=submitter.user_id,
                submitter_workspace_id=submitter.workspace_id,
                submitter_channel_id=submitter.channel_id,
            )
            .on_conflict_do_nothing(index_elements=["canonical_url"])
            .returning(SuggestionRow.id)
        )
        suggestion_id: int | None = await self._session.scalar(statement)
        if suggestion_id is None:
            existing = await self.by_url(suggestion.url)
            assert existing is not None
            assert existing.id is not None
            suggestion_id = existing.id
        await self._add_supporters(suggestion_id, [submitter, *suggestion.supporters], default_at=created_at)
        stored = await self.get(suggestion_id)
        assert stored is not None
        return stored

    async def _add_supporters(
        self, suggestion_id: int, supporters: Iterable[Supporter], *, default_at: datetime
    ) -> int:
        added = 0
        for supporter in supporters:
            statement = (
                _insert(self._dialect, SuggestionSupporterRow)
                .values(
                    suggestion_id=suggestion_id,
                    platform=supporter.platform.value,
                    user_id=supporter.user_id,
                    workspace_id=supporter.workspace_id,
                    channel_id=supporter.channel_id,
                    at=supporter.at or default_at,
                )
                .on_conflict_do_nothing(index_elements=["suggestion_id", "platform", "user_id"])
                .returning(SuggestionSupporterRow.id)
            )
            added += await self._inserted(statement)
        return added

    async def add_supporter(self, suggestion_id: int, supporter: Supporter) -> bool:
        """False when that user already supports it. ``supporter.at`` None means now."""
        return await self._add_supporters(suggestion_id, [supporter], default_at=_now()) > 0

    async def list(self, status: SuggestionStatus | None = None) -> builtins.list[Suggestion]:
        """Suggestions (of ``status``, or all), most supported first, then oldest first."""
        supporters = (
            select(func.count(SuggestionSupporterRow.id))
            .where(SuggestionSupporterRow.suggestion_id == SuggestionRow.id)
            .scalar_subquery()
        )
        statement = self._select().order_by(supporters.desc(), SuggestionRow.created_at, SuggestionRow.id)
        if status is not None:
            statement = statement.where(SuggestionRow.status == status.value)
        return [_suggestion_from_row(row) for row in await self._session.scalars(statement)]

    async def set_status(
        self, suggestion_id: int, status: SuggestionStatus, *, featured_in: int | None = None
    ) -> None:
        """Set the status. ``featured_in`` is stored when given, kept when featuring again without one, and
        cleared when the status is anything but featured. ``LookupError`` for an unknown id."""
        values: dict[str, Any] = {"status": status.value}
        if featured_in is not None:
            values["featured_in"] = featured_in
        elif status is not SuggestionStatus.FEATURED:
            values["featured_in"] = None
        result = await self._session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(**values)
        )
        if _rowcount(result) == 0:
            raise LookupError(f"no suggestion {suggestion_id}")

    async def decide(
        self,
        suggestion_id: int,
        status: SuggestionStatus,
        *,
        by: str,
        at: datetime,
        section: str | None = None,
    ) -> bool:
        """Approve or reject unless it was featured already; False for a featured or unknown suggestion."""
        values: dict[str, Any] = {"status": status.value, "decided_by": by, "decided_at": at}
        if section is not None:
            values["section"] = section or None
        result = await self._session.execute(
            update(SuggestionRow)
            .where(SuggestionRow.id == suggestion_id, SuggestionRow.status != SuggestionStatus.FEATURED.value)
            .values(**values)
        )
        return _rowcount(result) > 0

    async def set_title(self, suggestion_id: int, title: str) -> None:
        await self._session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(title=title)
        )

    async def set_section(self, suggestion_id: int, section: str | None) -> None:
        await self._session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(section=section or None)
        )

    async def supported_since(self, platform: Platform, user_id: str, since: datetime) -> int:
        statement = select(func.count(SuggestionSupporterRow.id)).where(
            SuggestionSupporterRow.platform == platform.value,
            SuggestionSupporterRow.user_id == user_id,
            SuggestionSupporterRow.at >= since,
        )
        return int(await self._session.scalar(statement) or 0)


# ---------------------------------------------------------------------------------------------- results


class SqlResultsRepository(_Repository):
    """One weekly-results message per channel and issue (see ``ResultsPostRow``)."""

    def _key(self, platform: Platform, channel_id: str, issue_number: int) -> Any:
        return and_(
            ResultsPostRow.platform == platform.value,
            ResultsPostRow.channel_id == channel_id,
            ResultsPostRow.issue_number == issue_number,
        )

    async def claim(
        self, platform: Platform, channel_id: str, issue_number: int, results_of: int, *, now: datetime
    ) -> bool:
        statement = (
            _insert(self._dialect, ResultsPostRow)
            .values(
                platform=platform.value,
                channel_id=channel_id,
                issue_number=issue_number,
                results_of=results_of,
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=["platform", "channel_id", "issue_number"])
            .returning(ResultsPostRow.issue_number)
        )
        return await self._inserted(statement)

    async def record(self, platform: Platform, channel_id: str, issue_number: int, message_id: str) -> None:
        await self._session.execute(
            update(ResultsPostRow)
            .where(self._key(platform, channel_id, issue_number))
            .values(message_id=message_id)
        )

    async def release(self, platform: Platform, channel_id: str, issue_number: int) -> None:
        await self._session.execute(
            delete(ResultsPostRow).where(self._key(platform, channel_id, issue_number))
        )
