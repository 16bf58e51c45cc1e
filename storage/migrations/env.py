"""Alembic environment for digestbot.

At runtime ``storage.database.upgrade`` passes an open connection (inside its transaction) through
``config.attributes["connection"]``. From the command line (``alembic -c storage/alembic.ini ...``) the URL
comes from ``-x url=...``, the ``DIGESTBOT_DATABASE_URL`` environment variable or ``sqlalchemy.url``.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from storage.database import create_sync_engine, sync_url
from storage.orm import Base
from storage.repositories.search import is_search_index_table

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _outside_the_search_index(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate leaves the search index alone: migration 0009 owns it, not the ORM."""
    return not (type_ == "table" and name is not None and is_search_index_table(name))


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER by recreating the table
        compare_type=True,
        include_name=_outside_the_search_index,
        transactional_ddl=True,  # SQLite too: create_sync_engine emits a real BEGIN
        literal_binds=connection is None,
    )


def _url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DIGESTBOT_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set DIGESTBOT_DATABASE_URL")
    return sync_url(url)


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_sync_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
