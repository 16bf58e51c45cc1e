"""Initial schema: issues, sections, items, the delivery journal, votes, processed events, suggestions.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written by hand to match storage/orm/ (tests/storage/test_migrations.py compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("subtitle", sa.String(), nullable=True),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        _timestamp("ingested_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_issues"),
        sa.UniqueConstraint("number", name="uq_issues_number"),
    )
    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sections"),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name="fk_sections_issue_id_issues", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("issue_id", "position", name="uq_sections_issue_id_position"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("blurb", sa.Text(), nullable=False),
        sa.Column("sponsored", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name="fk_items_issue_id_issues", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name="fk_items_section_id_sections", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("issue_id", "key", name="uq_items_issue_id_key"),
    )
    op.create_index("ix_items_section_id", "items", ["section_id"])
    op.create_index("ix_items_canonical_url", "items", ["canonical_url"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("channel_name", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("guild_id", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        _timestamp("started_at"),
        _timestamp("completed_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name="fk_deliveries_issue_id_issues", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "issue_id", "platform", "channel_id", name="uq_deliveries_issue_id_platform_channel_id"
        ),
    )
    op.create_table(
        "delivered_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("step_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("section_position", sa.Integer(), nullable=True),
        sa.Column("item_key", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("thread_id", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivered_messages"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name="fk_delivered_messages_delivery_id_deliveries",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("delivery_id", "step_key", name="uq_delivered_messages_delivery_id_step_key"),
    )
    op.create_index(
        "ix_delivered_messages_platform_message_id",
        "delivered_messages",
        ["platform", "message_id", "channel_id"],
    )

    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("emoji", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        _timestamp("created_at"),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _timestamp("changed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_votes"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_votes_item_id_items", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "item_id", "platform", "user_id", "emoji", name="uq_votes_item_id_platform_user_id_emoji"
        ),
    )
    op.create_table(
        "processed_events",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        _timestamp("seen_at"),
        sa.PrimaryKeyConstraint("source", "event_id", name="pk_processed_events"),
    )

    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("section", sa.String(), nullable=True),
        sa.Column("featured_in", sa.Integer(), nullable=True),
        _timestamp("created_at"),
        sa.Column("submitter_platform", sa.String(), nullable=False),
        sa.Column("submitter_user_id", sa.String(), nullable=False),
        sa.Column("submitter_workspace_id", sa.String(), nullable=True),
        sa.Column("submitter_channel_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_suggestions"),
        sa.UniqueConstraint("canonical_url", name="uq_suggestions_canonical_url"),
    )
    op.create_table(
        "suggestion_supporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=True),
        sa.Column("channel_id", sa.String(), nullable=True),
        _timestamp("at"),
        sa.PrimaryKeyConstraint("id", name="pk_suggestion_supporters"),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name="fk_suggestion_supporters_suggestion_id_suggestions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "suggestion_id",
            "platform",
            "user_id",
            name="uq_suggestion_supporters_suggestion_id_platform_user_id",
        ),
    )


def downgrade() -> None:
    op.drop_table("suggestion_supporters")
    op.drop_table("suggestions")
    op.drop_table("processed_events")
    op.drop_table("votes")
    op.drop_index("ix_delivered_messages_platform_message_id", table_name="delivered_messages")
    op.drop_table("delivered_messages")
    op.drop_table("deliveries")
    op.drop_index("ix_items_canonical_url", table_name="items")
    op.drop_index("ix_items_section_id", table_name="items")
    op.drop_table("items")
    op.drop_table("sections")
    op.drop_table("issues")
