"""The repositories of :class:`storage.unit_of_work.SqlUnitOfWork`: ORM rows in, :mod:`bot.model` out.

One module per aggregate: issues, deliveries, votes, suggestions, scheduling. Each repository works inside
its unit of work's session and transaction and never commits. No ORM object is returned to the core.
Statements that must be race-safe across processes are single ``INSERT ... ON CONFLICT`` statements in the
dialect's own flavour (SQLite and PostgreSQL).
"""
