"""Several newsletters: an issue is (newsletter, number), and so is everything keyed by an issue number.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03

Hand-check this file against storage/orm/; tests/storage/test_migrations.py compares them.
Every row stored before gets the newsletter id ``default``, which is the id of the one newsletter of a
config without ``newsletters:``. A config that lists its newsletters and calls this one by another id
moves them once with ``digestbot db rename-newsletter default ID``.
Deliveries keep their rows (they point at the issue row), so a channel posted before does not repost.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = "default"


def _newsletter_column() -> sa.Column[str]:
    return sa.Column("newsletter_id", sa.String(), nullable=False, server_default=DEFAULT)


def upgrade() -> None:
    with op.batch_alter_table("issues") as table:
        table.add_column(_newsletter_column())
        table.drop_constraint("uq_issues_number", type_="unique")
        table.create_unique_constraint("uq_issues_newsletter_id_number", ["newsletter_id", "number"])
    with op.batch_alter_table("suggestions") as table:
        table.add_column(_newsletter_column())
        table.drop_constraint("uq_suggestions_canonical_url", type_="unique")
        table.create_unique_constraint(
            "uq_suggestions_newsletter_id_canonical_url", ["newsletter_id", "canonical_url"]
        )
    with op.batch_alter_table("schedule_runs") as table:
        table.add_column(_newsletter_column())
        table.drop_constraint("uq_schedule_runs_platform_channel_id_due_at", type_="unique")
        table.create_unique_constraint(
            "uq_schedule_runs_platform_channel_id_newsletter_id_due_at",
            ["platform", "channel_id", "newsletter_id", "due_at"],
        )
    _rekey("delivery_claims", ["newsletter_id", "issue_number", "platform", "channel_id"])
    _rekey("results_posts", ["platform", "channel_id", "newsletter_id", "issue_number"])


def _rekey(table_name: str, primary_key: list[str]) -> None:
    with op.batch_alter_table(table_name, recreate="always") as table:
        table.add_column(_newsletter_column())
        table.drop_constraint(f"pk_{table_name}", type_="primary")
        table.create_primary_key(f"pk_{table_name}", primary_key)


def downgrade() -> None:
    """Only a database with the default newsletter alone goes back: other issues' numbers may collide."""
    _unkey("results_posts", ["platform", "channel_id", "issue_number"])
    _unkey("delivery_claims", ["issue_number", "platform", "channel_id"])
    with op.batch_alter_table("schedule_runs") as table:
        table.drop_constraint("uq_schedule_runs_platform_channel_id_newsletter_id_due_at", type_="unique")
        table.create_unique_constraint(
            "uq_schedule_runs_platform_channel_id_due_at", ["platform", "channel_id", "due_at"]
        )
        table.drop_column("newsletter_id")
    with op.batch_alter_table("suggestions") as table:
        table.drop_constraint("uq_suggestions_newsletter_id_canonical_url", type_="unique")
        table.create_unique_constraint("uq_suggestions_canonical_url", ["canonical_url"])
        table.drop_column("newsletter_id")
    with op.batch_alter_table("issues") as table:
        table.drop_constraint("uq_issues_newsletter_id_number", type_="unique")
        table.create_unique_constraint("uq_issues_number", ["number"])
        table.drop_column("newsletter_id")


def _unkey(table_name: str, primary_key: list[str]) -> None:
    with op.batch_alter_table(table_name, recreate="always") as table:
        table.drop_constraint(f"pk_{table_name}", type_="primary")
        table.create_primary_key(f"pk_{table_name}", primary_key)
        table.drop_column("newsletter_id")
