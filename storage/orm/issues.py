"""Tables of an issue: ``issues``, its ``sections`` and their ``items``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.model import DEFAULT_NEWSLETTER
from storage.orm.base import Base, CleanString, CleanText


class IssueRow(Base):
    __tablename__ = "issues"
    __table_args__ = (UniqueConstraint("newsletter_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which newsletter: issue numbers repeat across newsletters. Rows stored before there were several
    # (and old replicas during an upgrade) get the default one.
    newsletter_id: Mapped[str] = mapped_column(server_default=DEFAULT_NEWSLETTER)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(CleanString)
    subtitle: Mapped[str | None] = mapped_column(CleanString)
    intro: Mapped[str | None] = mapped_column(CleanText)
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
    title: Mapped[str | None] = mapped_column(CleanString)

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
    title: Mapped[str] = mapped_column(CleanText)
    url: Mapped[str | None] = mapped_column(CleanText)
    canonical_url: Mapped[str | None] = mapped_column(CleanText)
    blurb: Mapped[str] = mapped_column(CleanText)
    sponsored: Mapped[bool]
