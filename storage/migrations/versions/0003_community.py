"""The community loop: suggestion triage, titles, quotas and notifications.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Hand-check this file against storage/orm/votes.py; tests/storage/test_migrations.py compares them.
On SQLite, ALTERs must go through ``op.batch_alter_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vote_counts",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("emoji", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "platform", "emoji", name="pk_vote_counts"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_vote_counts_item_id_items", ondelete="CASCADE"
        ),
    )
    # The votes already stored, counted once; from here on the vote repository keeps the counts.
    op.execute(
        "INSERT INTO vote_counts (item_id, platform, emoji, count) "
        "SELECT item_id, platform, emoji, COUNT(*) FROM votes WHERE active "
        "GROUP BY item_id, platform, emoji"
    )
    op.create_table(
        "results_posts",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("results_of", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", "issue_number", name="pk_results_posts"),
    )
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_suggestion_supporters_platform_user_id_at",
        "suggestion_supporters",
        ["platform", "user_id", "at"],
    )


def downgrade() -> None:
    op.drop_index("ix_suggestion_supporters_platform_user_id_at", table_name="suggestion_supporters")
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
    op.drop_table("results_posts")
    op.drop_table("vote_counts")
