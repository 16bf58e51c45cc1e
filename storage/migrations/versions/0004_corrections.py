"""Corrections edited in place: what each posted message shows, and when a delivery was last corrected.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Hand-check this file against storage/orm/deliveries.py; tests/storage/test_migrations.py compares them.
Rows journaled before this migration keep a NULL fingerprint: they are taken to show the issue as stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivered_messages") as table:
        table.add_column(sa.Column("fingerprint", sa.String(), nullable=True))
        table.add_column(sa.Column("edit_pending", sa.String(), nullable=True))
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("edited_at")
    with op.batch_alter_table("delivered_messages") as table:
        table.drop_column("edit_pending")
        table.drop_column("fingerprint")
