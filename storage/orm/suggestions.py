"""Tables of suggested links: ``suggestions`` and their ``suggestion_supporters``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.model import DEFAULT_NEWSLETTER
from storage.orm.base import Base, CleanString, CleanText


class SuggestionRow(Base):
    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("newsletter_id", "canonical_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which newsletter: a link may be suggested for each. Rows stored before there were several
    # (and old replicas during an upgrade) get the default one.
    newsletter_id: Mapped[str] = mapped_column(server_default=DEFAULT_NEWSLETTER)
    url: Mapped[str] = mapped_column(CleanText)
    canonical_url: Mapped[str] = mapped_column(CleanText)
    note: Mapped[str | None] = mapped_column(CleanText)
    status: Mapped[str]
    title: Mapped[str | None] = mapped_column(CleanText)
    section: Mapped[str | None] = mapped_column(CleanString)
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
