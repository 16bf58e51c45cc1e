"""Scheduling and exactly-once delivery: schedule runs, delivery claims with leases, source polling state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Hand-check this file against storage/orm_scheduling.py; tests/storage/test_migrations.py compares them.
On SQLite, ALTERs must go through ``op.batch_alter_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
