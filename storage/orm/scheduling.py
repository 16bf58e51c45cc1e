"""Tables of scheduling and exactly-once delivery.

* ``schedule_runs``: one row per channel, newsletter and scheduled time slot (unique), created by whichever
  replica first sees the slot due; replicas claim pending rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
  and hold them with a lease (``claimed_by`` / ``lease_until``) they renew while posting. A dead replica's
  lease expires and another replica claims the run again.
* ``delivery_claims``: who is posting a (newsletter, issue, channel) right now, with a lease. Every post
  (scheduled or ``digestbot post``) takes it first, so two processes never send the same message at once.
* ``source_states``: what was last seen of an issue source (feed ETag/Last-Modified, folder files).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.model import DEFAULT_NEWSLETTER
from storage.orm.base import Base


class ScheduleRunRow(Base):
    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("platform", "channel_id", "newsletter_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_name: Mapped[str]
    platform: Mapped[str]
    channel_id: Mapped[str]
    # Which newsletter: issue numbers repeat across newsletters. Rows stored before there were several
    # (and old replicas during an upgrade) get the default one.
    newsletter_id: Mapped[str] = mapped_column(server_default=DEFAULT_NEWSLETTER)
    due_at: Mapped[datetime]
    state: Mapped[str]
    issue_number: Mapped[int | None]
    claimed_by: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class DeliveryClaimRow(Base):
    __tablename__ = "delivery_claims"

    newsletter_id: Mapped[str] = mapped_column(primary_key=True, server_default=DEFAULT_NEWSLETTER)
    issue_number: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(primary_key=True)
    owner: Mapped[str]
    lease_until: Mapped[datetime]
    claimed_at: Mapped[datetime]


class SourceStateRow(Base):
    __tablename__ = "source_states"

    source: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    seen: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None]
