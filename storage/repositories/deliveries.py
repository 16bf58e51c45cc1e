"""The delivery journal: which message of which issue went to which channel, step by step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, String, TextClause, literal, select, text, update
from sqlalchemy.orm import selectinload

from bot.model import (
    DEFAULT_NEWSLETTER,
    Channel,
    DeliveredMessage,
    Delivery,
    DeliveryState,
    DeliveryStep,
    MessageKind,
    Platform,
    PostedMessage,
)
from bot.ports import LocatedMessage
from storage.orm.base import UtcDateTime
from storage.orm.deliveries import DeliveredMessageRow, DeliveryRow
from storage.orm.issues import IssueRow
from storage.repositories.base import GLOBALLY_UNIQUE_MESSAGE_IDS, _insert, _Repository


def _step(row: DeliveredMessageRow) -> DeliveryStep:
    return DeliveryStep(MessageKind(row.kind), row.section_position, row.item_key)


def _channel(row: DeliveryRow) -> Channel:
    return Channel(row.channel_name, Platform(row.platform), row.channel_id, row.guild_id)


def _delivery_from_row(row: DeliveryRow, issue_number: int, newsletter_id: str) -> Delivery:
    return Delivery(
        issue_number=issue_number,
        newsletter_id=newsletter_id,
        channel=_channel(row),
        state=DeliveryState(row.state),
        messages={
            message.step_key: DeliveredMessage(
                step=_step(message),
                posted=PostedMessage(message.message_id, message.thread_id) if message.message_id else None,
                attempts=message.attempts,
                fingerprint=message.fingerprint,
                edit_pending=message.edit_pending,
            )
            for message in row.messages
        },
        started_at=row.started_at,
        completed_at=row.completed_at,
        error=row.error,
        edited_at=row.edited_at,
    )


# The journal is written twice for every message posted, so these two statements are written once as
# SQL (valid on SQLite and PostgreSQL alike), each finding its delivery row by itself.
_JOURNAL_INSERT = (
    "INSERT INTO delivered_messages (delivery_id, platform, channel_id, step_key, kind, section_position, "
    "item_key, attempts, message_id, thread_id, fingerprint) "
    "SELECT deliveries.id, deliveries.platform, deliveries.channel_id, :step_key, :kind, "
    "CAST(:section_position AS INTEGER), :item_key, 1, {posted} "
    "FROM deliveries JOIN issues ON issues.id = deliveries.issue_id "
    "WHERE issues.newsletter_id = :newsletter AND issues.number = :number "
    "AND deliveries.platform = :platform "
    "AND deliveries.channel_id = :channel_id "
    "ON CONFLICT (delivery_id, step_key) DO UPDATE SET {update} RETURNING delivered_messages.id"
)
_RECORD_ATTEMPT = text(
    _JOURNAL_INSERT.format(posted="NULL, NULL, NULL", update="attempts = delivered_messages.attempts + 1")
)
_RECORD_POSTED = text(
    _JOURNAL_INSERT.format(
        posted=":message_id, :thread_id, :fingerprint",
        update="message_id = excluded.message_id, thread_id = excluded.thread_id, "
        "fingerprint = excluded.fingerprint",
    )
)


class SqlDeliveryRepository(_Repository):
    """The delivery journal: one row per (issue, platform, channel id), one per step of it.

    The ``Delivery`` objects handed to ``record_attempt``, ``record_posted`` and ``finish`` are updated in
    place as well, so the caller's copy matches what the transaction wrote.
    """

    def _select(self) -> Select[DeliveryRow, int, str]:
        return (
            select(DeliveryRow, IssueRow.number, IssueRow.newsletter_id)
            .join(IssueRow, IssueRow.id == DeliveryRow.issue_id)
            .options(selectinload(DeliveryRow.messages))
            .execution_options(populate_existing=True)
        )

    async def get(
        self, issue_number: int, channel: Channel, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> Delivery | None:
        statement = self._select().where(
            IssueRow.newsletter_id == newsletter,
            IssueRow.number == issue_number,
            DeliveryRow.platform == channel.platform.value,
            DeliveryRow.channel_id == channel.id,
        )
        found = (await self._session.execute(statement)).one_or_none()
        return _delivery_from_row(*found) if found else None

    async def begin(
        self, issue_number: int, channel: Channel, *, now: datetime, newsletter: str = DEFAULT_NEWSLETTER
    ) -> Delivery:
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
        ).where(IssueRow.newsletter_id == newsletter, IssueRow.number == issue_number)
        statement = (
            _insert(self._dialect, DeliveryRow)
            .from_select(
                ["issue_id", "channel_name", "platform", "channel_id", "guild_id", "state", "started_at"],
                source,
            )
            .on_conflict_do_nothing(index_elements=["issue_id", "platform", "channel_id"])
        )
        await self._session.execute(statement)
        delivery = await self.get(issue_number, channel, newsletter=newsletter)
        if delivery is None:
            raise LookupError(f"issue {issue_number} is not stored")
        return delivery

    async def _delivery_id(self, delivery: Delivery) -> int:
        statement = (
            select(DeliveryRow.id)
            .join(IssueRow, IssueRow.id == DeliveryRow.issue_id)
            .where(
                IssueRow.newsletter_id == delivery.newsletter_id,
                IssueRow.number == delivery.issue_number,
                DeliveryRow.platform == delivery.channel.platform.value,
                DeliveryRow.channel_id == delivery.channel.id,
            )
        )
        delivery_id = await self._session.scalar(statement)
        if delivery_id is None:
            raise LookupError(f"no delivery of issue {delivery.issue_number} to {delivery.channel.name}")
        return delivery_id

    async def _journal(
        self, statement: TextClause, delivery: Delivery, step: DeliveryStep, **extra: object
    ) -> None:
        params = {
            "newsletter": delivery.newsletter_id,
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

    async def record_posted(
        self,
        delivery: Delivery,
        step: DeliveryStep,
        posted: PostedMessage,
        *,
        fingerprint: str | None = None,
    ) -> None:
        """Journal where ``step`` landed (and what it shows). A step never attempted is journalled with
        one attempt."""
        await self._journal(
            _RECORD_POSTED,
            delivery,
            step,
            message_id=posted.message_id,
            thread_id=posted.thread_id,
            fingerprint=fingerprint,
        )
        entry = delivery.messages.setdefault(step.key, DeliveredMessage(step, attempts=1))
        entry.posted = posted
        entry.fingerprint = fingerprint

    async def record_edit(
        self, delivery: Delivery, step: DeliveryStep, fingerprint: str, *, confirmed: bool
    ) -> None:
        """Journal an edit of a posted step: about to be sent (``confirmed=False``), or accepted."""
        delivery_id = await self._delivery_id(delivery)
        values = (
            {"fingerprint": fingerprint, "edit_pending": None} if confirmed else {"edit_pending": fingerprint}
        )
        await self._session.execute(
            update(DeliveredMessageRow)
            .where(DeliveredMessageRow.delivery_id == delivery_id, DeliveredMessageRow.step_key == step.key)
            .values(**values)
        )
        entry = delivery.messages[step.key]
        if confirmed:
            entry.fingerprint, entry.edit_pending = fingerprint, None
        else:
            entry.edit_pending = fingerprint

    async def mark_edited(self, delivery: Delivery, *, at: datetime) -> None:
        """The delivery now shows a corrected version of its issue, as of ``at``."""
        delivery_id = await self._delivery_id(delivery)
        await self._session.execute(
            update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(edited_at=at)
        )
        delivery.edited_at = at

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
            select(DeliveredMessageRow, DeliveryRow, IssueRow.number, IssueRow.newsletter_id)
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
        message, delivery, number, newsletter_id = found
        return LocatedMessage(number, _channel(delivery), _step(message), newsletter_id)

    async def item_messages(
        self, platform: Platform, *, since: datetime | None = None
    ) -> list[tuple[LocatedMessage, str]]:
        """Posted item messages on ``platform`` with their message ids, newest deliveries first.

        ``since`` keeps deliveries started at or after it; within a delivery messages come in journal order.
        """
        statement = (
            select(DeliveredMessageRow, DeliveryRow, IssueRow.number, IssueRow.newsletter_id)
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
        for message, delivery, number, newsletter_id in await self._session.execute(statement):
            assert message.message_id is not None
            located = LocatedMessage(number, _channel(delivery), _step(message), newsletter_id)
            result.append((located, message.message_id))
        return result

    async def all(self) -> list[Delivery]:
        """Every delivery, newest first."""
        statement = self._select().order_by(DeliveryRow.started_at.desc(), DeliveryRow.id.desc())
        return [_delivery_from_row(*found) for found in await self._session.execute(statement)]
