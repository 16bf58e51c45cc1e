"""ORM tables for The community loop.

Kept apart from storage/orm.py so features can grow their tables independently; storage/orm.py imports
this module, so its tables are on ``Base.metadata``.

``vote_counts`` keeps, per item, platform and emoji, how many votes count now. The vote repository
updates it in the same statement sequence (and transaction) that changes a vote, so an issue's
leaderboard reads a few hundred rows instead of grouping a million votes. ``SqlVoteRepository.
rebuild_counts`` recomputes it from ``votes`` (after a bulk load, or to check it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from storage.orm import Base


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
    issue_number: Mapped[int] = mapped_column(primary_key=True)  # the issue the results come before
    results_of: Mapped[int]  # the issue whose votes they show
    message_id: Mapped[str | None]
    claimed_at: Mapped[datetime]
