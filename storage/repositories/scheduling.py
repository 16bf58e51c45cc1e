"""``bot.scheduling.ports.SchedulingRepository`` on SQLAlchemy: runs, claims with leases, source state.

Claims are single statements or row-locked reads, safe with several replicas on one PostgreSQL
database: ``claim_runs`` reads with ``FOR UPDATE SKIP LOCKED`` (a replica never waits for rows another
is claiming), ``claim_delivery`` is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the lease expired
or is already ours. On SQLite (``BEGIN IMMEDIATE``: one writer at a time) the same statements are just
as safe; there ``FOR UPDATE`` renders as nothing.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import func, or_, select, update

from bot.model import DEFAULT_NEWSLETTER, Channel, Platform
from bot.scheduling.ports import DeliveryClaim, RunState, ScheduledRun, SourceState
from storage.orm.deliveries import DeliveryRow
from storage.orm.scheduling import DeliveryClaimRow, ScheduleRunRow, SourceStateRow
from storage.orm.suggestions import SuggestionRow
from storage.orm.votes import VoteRow
from storage.repositories.base import _insert, _Repository, _rowcount


def _run(row: ScheduleRunRow) -> ScheduledRun:
    return ScheduledRun(
        id=row.id,
        channel_name=row.channel_name,
        platform=Platform(row.platform),
        channel_id=row.channel_id,
        due_at=row.due_at,
        state=RunState(row.state),
        issue_number=row.issue_number,
        newsletter_id=row.newsletter_id,
        claimed_by=row.claimed_by,
        lease_until=row.lease_until,
        attempts=row.attempts,
        finished_at=row.finished_at,
        error=row.error,
    )


class SqlSchedulingRepository(_Repository):
    async def ensure_run(
        self,
        channel: Channel,
        due_at: datetime,
        *,
        state: RunState,
        now: datetime,
        error: str | None = None,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> bool:
        finished = None if state is RunState.PENDING else now
        return await self._insert_new(
            ScheduleRunRow,
            ["platform", "channel_id", "newsletter_id", "due_at"],
            channel_name=channel.name,
            platform=channel.platform.value,
            channel_id=channel.id,
            newsletter_id=newsletter,
            due_at=due_at,
            state=state.value,
            attempts=0,
            created_at=now,
            finished_at=finished,
            error=error,
        )

    async def claim_runs(
        self, owner: str, *, now: datetime, lease_until: datetime, limit: int = 100
    ) -> list[ScheduledRun]:
        candidates = (
            select(ScheduleRunRow.id)
            .where(
                ScheduleRunRow.state == RunState.PENDING.value,
                or_(ScheduleRunRow.lease_until.is_(None), ScheduleRunRow.lease_until <= now),
            )
            .order_by(ScheduleRunRow.due_at, ScheduleRunRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self._session.scalars(candidates)).all())
        if not ids:
            return []
        await self._session.execute(
            update(ScheduleRunRow)
            .where(ScheduleRunRow.id.in_(ids))
            .values(claimed_by=owner, lease_until=lease_until, attempts=ScheduleRunRow.attempts + 1)
        )
        rows = await self._session.scalars(
            select(ScheduleRunRow)
            .where(ScheduleRunRow.id.in_(ids))
            .order_by(ScheduleRunRow.due_at, ScheduleRunRow.id)
            .execution_options(populate_existing=True)
        )
        return [_run(row) for row in rows]

    async def renew_run(self, run_id: int, owner: str, *, lease_until: datetime) -> bool:
        result = await self._session.execute(
            update(ScheduleRunRow)
            .where(
                ScheduleRunRow.id == run_id,
                ScheduleRunRow.claimed_by == owner,
                ScheduleRunRow.state == RunState.PENDING.value,
            )
            .values(lease_until=lease_until)
        )
        return _rowcount(result) == 1

    async def finish_run(
        self,
        run_id: int,
        owner: str,
        state: RunState,
        *,
        now: datetime,
        issue_number: int | None = None,
        error: str | None = None,
    ) -> bool:
        result = await self._session.execute(
            update(ScheduleRunRow)
            .where(ScheduleRunRow.id == run_id, ScheduleRunRow.claimed_by == owner)
            .values(
                state=state.value,
                finished_at=now,
                issue_number=issue_number,
                error=error,
                lease_until=None,
            )
        )
        return _rowcount(result) == 1

    async def release_run(
        self, run_id: int, owner: str, *, retry_at: datetime, error: str | None = None
    ) -> bool:
        result = await self._session.execute(
            update(ScheduleRunRow)
            .where(ScheduleRunRow.id == run_id, ScheduleRunRow.claimed_by == owner)
            .values(claimed_by=None, lease_until=retry_at, error=error)
        )
        return _rowcount(result) == 1

    async def runs(self, *, limit: int = 500) -> builtins.list[ScheduledRun]:
        rows = await self._session.scalars(
            select(ScheduleRunRow)
            .order_by(ScheduleRunRow.due_at.desc(), ScheduleRunRow.id.desc())
            .limit(limit)
        )
        return [_run(row) for row in rows]

    async def claim_delivery(
        self,
        issue_number: int,
        channel: Channel,
        owner: str,
        *,
        now: datetime,
        lease_until: datetime,
        newsletter: str = DEFAULT_NEWSLETTER,
    ) -> DeliveryClaim:
        insert = _insert(self._dialect, DeliveryClaimRow)
        statement = insert.values(
            newsletter_id=newsletter,
            issue_number=issue_number,
            platform=channel.platform.value,
            channel_id=channel.id,
            owner=owner,
            lease_until=lease_until,
            claimed_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["newsletter_id", "issue_number", "platform", "channel_id"],
            set_={"owner": owner, "lease_until": lease_until, "claimed_at": now},
            where=or_(DeliveryClaimRow.owner == owner, DeliveryClaimRow.lease_until <= now),
        )
        await self._session.execute(statement)
        row = (
            await self._session.execute(
                select(DeliveryClaimRow.owner, DeliveryClaimRow.lease_until).where(
                    DeliveryClaimRow.newsletter_id == newsletter,
                    DeliveryClaimRow.issue_number == issue_number,
                    DeliveryClaimRow.platform == channel.platform.value,
                    DeliveryClaimRow.channel_id == channel.id,
                )
            )
        ).one()
        return DeliveryClaim(owner=row[0], lease_until=row[1])

    async def release_delivery(
        self, issue_number: int, channel: Channel, owner: str, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> None:
        await self._session.execute(
            update(DeliveryClaimRow)
            .where(
                DeliveryClaimRow.newsletter_id == newsletter,
                DeliveryClaimRow.issue_number == issue_number,
                DeliveryClaimRow.platform == channel.platform.value,
                DeliveryClaimRow.channel_id == channel.id,
                DeliveryClaimRow.owner == owner,
            )
            .values(lease_until=DeliveryClaimRow.claimed_at)
        )

    async def source_state(self, source: str) -> SourceState | None:
        row = await self._session.get(SourceStateRow, source, populate_existing=True)
        if row is None:
            return None
        return SourceState(row.source, row.etag, row.last_modified, row.seen, row.checked_at)

    async def save_source_state(self, state: SourceState) -> None:
        values = {
            "etag": state.etag,
            "last_modified": state.last_modified,
            "seen": state.seen,
            "checked_at": state.checked_at,
        }
        statement = (
            _insert(self._dialect, SourceStateRow)
            .values(source=state.source, **values)
            .on_conflict_do_update(index_elements=["source"], set_=values)
        )
        await self._session.execute(statement)

    async def totals(self) -> dict[str, int]:
        async def count(statement: object) -> int:
            return int(await self._session.scalar(statement) or 0)  # type: ignore[call-overload]

        return {
            "votes": await count(select(func.count()).select_from(VoteRow).where(VoteRow.active)),
            "suggestions": await count(select(func.count()).select_from(SuggestionRow)),
            "deliveries_complete": await count(
                select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "complete")
            ),
            "deliveries_failed": await count(
                select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "failed")
            ),
        }
