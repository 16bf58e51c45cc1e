"""Scheduling and exactly-once delivery: schedule runs, delivery claims with leases, source polling state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Hand-check this file against storage/orm/scheduling.py; tests/storage/test_migrations.py compares them.
On SQLite, ALTERs must go through ``op.batch_alter_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_name", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        _timestamp("due_at"),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        _timestamp("lease_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("finished_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_runs"),
        sa.UniqueConstraint(
            "platform", "channel_id", "due_at", name="uq_schedule_runs_platform_channel_id_due_at"
        ),
    )
    op.create_table(
        "delivery_claims",
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        _timestamp("lease_until"),
        _timestamp("claimed_at"),
        sa.PrimaryKeyConstraint("issue_number", "platform", "channel_id", name="pk_delivery_claims"),
    )
    op.create_table(
        "source_states",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("seen", sa.Text(), nullable=True),
        _timestamp("checked_at", nullable=True),
        sa.PrimaryKeyConstraint("source", name="pk_source_states"),
    )


def downgrade() -> None:
    op.drop_table("source_states")
    op.drop_table("delivery_claims")
    op.drop_table("schedule_runs")
