"""Persistence for digestbot: ``bot.ports.UnitOfWork`` on SQLite or PostgreSQL with SQLAlchemy 2 (async).

- :mod:`storage.database`: ``normalise_url``, ``create_engine``, ``redact``, ``upgrade`` / ``upgrade_sync``
  (Alembic migrations to head, run in code on every start).
- :mod:`storage.unit_of_work`: ``SqlUnitOfWork`` and ``make_uow_factory(engine)``.
- :mod:`storage.repositories`: the repositories, one module per aggregate, mapping rows to and from
  :mod:`bot.model`.
- :mod:`storage.orm`: the schema, one module per aggregate over one ``Base``.
- :mod:`storage.migrations`: how databases get there.
"""
