"""``bot.ports.UnitOfWork`` over an async SQLAlchemy session: one session, one transaction per block.

    factory = make_uow_factory(create_engine(url))
    async with factory() as uow:
        await uow.votes.add(vote, now=clock.now())
        await uow.commit()

Leaving the block without ``commit`` rolls everything back. A unit of work may be entered again after it
was left; it then starts a fresh session. A database error leaving the block comes out as
``bot.ports.StorageUnavailable`` or ``StorageConflict`` where it is one of those (``storage.errors``).
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.ports import UnitOfWork
from storage.errors import storage_error
from storage.repositories.deliveries import SqlDeliveryRepository
from storage.repositories.issues import SqlIssueRepository
from storage.repositories.scheduling import SqlSchedulingRepository
from storage.repositories.search import SqlSearchIndex
from storage.repositories.suggestions import SqlSuggestionRepository
from storage.repositories.votes import SqlEventLog, SqlResultsRepository, SqlVoteRepository


class TurnLock:
    """A FIFO lock whose urgent waiters go before the background ones.

    SQLite has one writer at a time. Within a process, units of work take turns here instead of
    contending for the file lock (whose busy handler is unfair under load and gives up after its
    timeout; other processes still wait on it through busy_timeout). Work a person waits for (a slash
    command's reply) goes ahead of background work (a backlog of reactions to store).
    """

    def __init__(self) -> None:
        self._held = False
        self._waiters: dict[bool, collections.deque[asyncio.Future[None]]] = {
            True: collections.deque(),
            False: collections.deque(),
        }

    async def acquire(self, *, background: bool) -> None:
        if not self._held and not any(self._waiters.values()):
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiters[not background]
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # the turn was handed over just as the waiter gave up: pass it on
            elif turn in queue:  # release() drops the cancelled turns it meets
                queue.remove(turn)
            raise

    def release(self) -> None:
        for urgent in (True, False):
            queue = self._waiters[urgent]
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the lock stays held, now by that waiter
                    return
        self._held = False


class SqlUnitOfWork(UnitOfWork):
    # The attributes keep the ports' types (protocol attributes are invariant); the objects are the Sql*
    # repositories.

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dialect: str,
        lock: TurnLock | None = None,
        *,
        background: bool = False,
    ) -> None:
        self._sessions = sessions
        self._dialect = dialect
        self._lock = lock
        self._background = background
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
        if self._lock is not None:
            await self._lock.acquire(background=self._background)
        session = self._sessions()
        self._session = session
        self.issues = SqlIssueRepository(session, self._dialect)
        self.deliveries = SqlDeliveryRepository(session, self._dialect)
        self.votes = SqlVoteRepository(session, self._dialect)
        self.events = SqlEventLog(session, self._dialect)
        self.suggestions = SqlSuggestionRepository(session, self._dialect)
        self.scheduling = SqlSchedulingRepository(session, self._dialect)
        self.results = SqlResultsRepository(session, self._dialect)
        self.search = SqlSearchIndex(session, self._dialect)
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
            try:
                await session.rollback()  # a no-op after commit; otherwise undoes what was not committed
            finally:
                await session.close()
        except Exception as cleanup_error:
            if exc is None:
                raise _translated(cleanup_error) from cleanup_error
            # the connection died with the block's own error, which says more: that one is raised below
        finally:
            if self._lock is not None:
                self._lock.release()
        if isinstance(exc, Exception) and (translated := storage_error(exc)) is not None:
            raise translated from exc

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except Exception as error:
            raise _translated(error) from error

    async def rollback(self) -> None:
        await self.session.rollback()


def _translated(error: Exception) -> Exception:
    return storage_error(error) or error


_turn_locks: weakref.WeakKeyDictionary[AsyncEngine, TurnLock] = weakref.WeakKeyDictionary()


def make_uow_factory(engine: AsyncEngine, *, background: bool = False) -> Callable[[], SqlUnitOfWork]:
    """A ``bot.ports.UnitOfWorkFactory``: each call gives a new unit of work on ``engine``.

    On SQLite the factories of one engine share a :class:`TurnLock`; ``background`` units of work wait
    for the others.
    """
    sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
    dialect = engine.dialect.name
    lock = _turn_locks.setdefault(engine, TurnLock()) if dialect == "sqlite" else None

    def factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, dialect, lock, background=background)

    return factory


def _conforms(uow: SqlUnitOfWork) -> UnitOfWork:  # mypy checks SqlUnitOfWork against the port here
    return uow
