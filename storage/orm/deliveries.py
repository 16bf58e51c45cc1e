"""Tables of the delivery journal: ``deliveries`` and one ``delivered_messages`` row per step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.orm.base import Base


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
    edited_at: Mapped[datetime | None]

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
    fingerprint: Mapped[str | None]
    edit_pending: Mapped[str | None]
