"""The database schema as SQLAlchemy 2 typed declarative models, one module per aggregate over one ``Base``.

These rows never leave ``storage``: the repositories map them to and from :mod:`bot.model` dataclasses.
Enumerations are stored as their string values (no database enum types, so adding a member needs no
migration). Timestamps are timezone-aware and always come back in UTC, also from SQLite, which stores them
without a zone.

Importing this package registers every table on ``Base.metadata``. Any change here needs a migration in
``storage/migrations/versions``; ``tests/storage/test_migrations.py`` fails while the migrated schema and
this metadata differ.
"""

from storage.orm import deliveries, installations, issues, scheduling, suggestions, votes
from storage.orm.base import Base

__all__ = ["Base", "deliveries", "installations", "issues", "scheduling", "suggestions", "votes"]
