"""Tables of votes: ``votes`` (one row per reaction), ``processed_events`` (redelivered platform events),
``vote_counts`` and ``results_posts``.

``vote_counts`` keeps, per item, platform and emoji, how many votes count now. The vote repository
updates it in the same statement sequence (and transaction) that changes a vote, so an issue's
leaderboard reads a few hundred rows instead of grouping a million votes. ``SqlVoteRepository.
rebuild_counts`` recomputes it from ``votes`` (after a bulk load, or to check it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.model import DEFAULT_NEWSLETTER
from storage.orm.base import Base


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


class VoteCountRow(Base):
    __tablename__ = "vote_counts"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    platform: Mapped[str] = mapped_column(primary_key=True)
    emoji: Mapped[str] = mapped_column(primary_key=True)
    count: Mapped[int]


class ResultsPostRow(Base):
    """The "last week's top 5" message sent to a channel before an issue: claimed before it is sent (so it
    goes out at most once per channel and issue), with the platform's message id once it landed."""

    __tablename__ = "results_posts"

    platform: Mapped[str] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(primary_key=True)
    newsletter_id: Mapped[str] = mapped_column(primary_key=True, server_default=DEFAULT_NEWSLETTER)
    issue_number: Mapped[int] = mapped_column(primary_key=True)  # the issue the results come before
    results_of: Mapped[int]  # the issue whose votes they show
    message_id: Mapped[str | None]
    claimed_at: Mapped[datetime]
