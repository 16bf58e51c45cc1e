"""``bot.ports.UnitOfWork`` over an async SQLAlchemy session: one session, one transaction per block.

    factory = make_uow_factory(create_engine(url))
    async with factory() as uow:
        await uow.votes.add(vote, now=clock.now())
        await uow.commit()

Leaving the block without ``commit`` rolls everything back. A unit of work may be entered again after it
was left; it then starts a fresh session.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.ports import (
    DeliveryRepository,
    EventLog,
    IssueRepository,
    SuggestionRepository,
    UnitOfWork,
    VoteRepository,
)
from storage.repositories import (
    SqlDeliveryRepository,
    SqlEventLog,
    SqlIssueRepository,
    SqlSuggestionRepository,
    SqlVoteRepository,
)


class SqlUnitOfWork:
    # Typed as the ports (protocol attributes are invariant); the objects are the Sql* repositories.
    issues: IssueRepository
    deliveries: DeliveryRepository
    votes: VoteRepository
    events: EventLog
    suggestions: SuggestionRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        self._sessions = sessions
        self._dialect = dialect
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The session of the current block (for storage's own tests and maintenance code)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not entered: use `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already entered")
        session = self._sessions()
        self._session = session
        self.issues = SqlIssueRepository(session, self._dialect)
        self.deliveries = SqlDeliveryRepository(session, self._dialect)
        self.votes = SqlVoteRepository(session, self._dialect)
        self.events = SqlEventLog(session, self._dialect)
        self.suggestions = SqlSuggestionRepository(session, self._dialect)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()  # a no-op after commit; otherwise undoes what was not committed
        finally:
            await session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


def make_uow_factory(engine: AsyncEngine) -> Callable[[], SqlUnitOfWork]:
    """A ``bot.ports.UnitOfWorkFactory``: each call gives a new unit of work on ``engine``."""
    sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
    dialect = engine.dialect.name

    def factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, dialect)

    return factory


def _conforms(uow: SqlUnitOfWork) -> UnitOfWork:  # mypy checks SqlUnitOfWork against the port here
    return uow
