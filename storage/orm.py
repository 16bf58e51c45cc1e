"""The database schema as SQLAlchemy 2 typed declarative models.

These rows never leave ``storage``: the repositories map them to and from :mod:`bot.model` dataclasses.
Enumerations are stored as their string values (no database enum types, so adding a member needs no
migration). Timestamps are timezone-aware and always come back in UTC, also from SQLite, which stores them
without a zone.

Any change here needs a migration in ``storage/migrations/versions``; ``tests/storage/test_migrations.py``
fails while the migrated schema and this metadata differ.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Constraint names are part of the schema: with a convention every constraint gets a name, the same one on
# every database, so later migrations (SQLite batch mode in particular) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and always returns aware UTC datetimes.

    SQLite keeps no zone, so values are converted to UTC before they are written and marked as UTC when
    read back. A naive datetime given to the database is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        str: String(),
        bool: Boolean(),
        int: Integer(),
    }


# ---------------------------------------------------------------------------------------------- issues


class IssueRow(Base):
    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str]
    subtitle: Mapped[str | None]
    intro: Mapped[str | None] = mapped_column(Text)
    published_on: Mapped[date | None]
    source: Mapped[str | None]
    ingested_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Read side only: ``issues.save`` writes sections and items through their foreign key columns.
    sections: Mapped[list[SectionRow]] = relationship(
        viewonly=True, order_by=lambda: [SectionRow.position], lazy="raise"
    )


class SectionRow(Base):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("issue_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str | None]

    items: Mapped[list[ItemRow]] = relationship(
        viewonly=True, order_by=lambda: [ItemRow.position, ItemRow.id], lazy="raise"
    )


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("issue_id", "key"),
        Index("ix_items_section_id", "section_id"),
        Index("ix_items_canonical_url", "canonical_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str]
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    blurb: Mapped[str] = mapped_column(Text)
    sponsored: Mapped[bool]


# ---------------------------------------------------------------------------------------------- deliveries


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("issue_id", "platform", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    channel_name: Mapped[str]
    platform: Mapped[str]
    channel_id: Mapped[str]
    guild_id: Mapped[str | None]
    state: Mapped[str]
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    messages: Mapped[list[DeliveredMessageRow]] = relationship(
        viewonly=True, order_by=lambda: [DeliveredMessageRow.id], lazy="raise"
    )


class DeliveredMessageRow(Base):
    """One step of a delivery. ``platform`` and ``channel_id`` repeat the delivery's so that the reaction
    handler's message-id lookup is one indexed read (see ``DeliveryRepository.locate``)."""

    __tablename__ = "delivered_messages"
    __table_args__ = (
        UniqueConstraint("delivery_id", "step_key"),
        Index("ix_delivered_messages_platform_message_id", "platform", "message_id", "channel_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    platform: Mapped[str]
    channel_id: Mapped[str]
    step_key: Mapped[str]
    kind: Mapped[str]
    section_position: Mapped[int | None]
    item_key: Mapped[str | None]
    message_id: Mapped[str | None]
    thread_id: Mapped[str | None]
    attempts: Mapped[int]


# ---------------------------------------------------------------------------------------------- votes


class VoteRow(Base):
    """A reaction on an item message. Deleting the item (it vanished on re-ingestion) deletes its votes.

    A withdrawn vote stays as a row with ``active`` false: ``changed_at`` is the platform time of the last
    reaction event applied, so an add and a remove processed out of order still end in the later state.
    The unique constraint's index leads with ``item_id``, so it also serves the per-item lookups.
    """

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("item_id", "platform", "user_id", "emoji"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    platform: Mapped[str]
    user_id: Mapped[str]
    emoji: Mapped[str]
    channel_id: Mapped[str]
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    changed_at: Mapped[datetime]


class ProcessedEventRow(Base):
    __tablename__ = "processed_events"

    source: Mapped[str] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(primary_key=True)
    seen_at: Mapped[datetime]


# ---------------------------------------------------------------------------------------------- suggestions


class SuggestionRow(Base):
    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str]
    title: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None]
    featured_in: Mapped[int | None]
    created_at: Mapped[datetime]
    submitter_platform: Mapped[str]
    submitter_user_id: Mapped[str]
    submitter_workspace_id: Mapped[str | None]
    submitter_channel_id: Mapped[str | None]
    decided_by: Mapped[str | None]  # the admin who approved or rejected it (community loop, 0003)
    decided_at: Mapped[datetime | None]

    supporters: Mapped[list[SuggestionSupporterRow]] = relationship(
        viewonly=True, order_by=lambda: [SuggestionSupporterRow.at, SuggestionSupporterRow.id], lazy="raise"
    )


class SuggestionSupporterRow(Base):
    __tablename__ = "suggestion_supporters"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "platform", "user_id"),
        Index("ix_suggestion_supporters_platform_user_id_at", "platform", "user_id", "at"),  # quotas
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    platform: Mapped[str]
    user_id: Mapped[str]
    workspace_id: Mapped[str | None]
    channel_id: Mapped[str | None]
    at: Mapped[datetime]


# Tables of later features live in modules of their own; importing them registers them on Base.metadata.
from storage import orm_community, orm_scheduling  # noqa: E402, F401
