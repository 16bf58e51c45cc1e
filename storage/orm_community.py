"""ORM tables for The community loop.

Kept apart from storage/orm.py so features can grow their tables independently; storage/orm.py imports
this module, so its tables are on ``Base.metadata``.
"""

from __future__ import annotations

from storage.orm import Base  # noqa: F401
