"""The community loop: suggestion triage, titles, quotas and notifications.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Hand-check this file against storage/orm_community.py; tests/storage/test_migrations.py compares them.
On SQLite, ALTERs must go through ``op.batch_alter_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
