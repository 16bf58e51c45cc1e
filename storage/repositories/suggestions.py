"""Suggested links, one per canonical URL, with their supporters."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.orm import selectinload

from bot.model import DEFAULT_NEWSLETTER, Decision, Platform, Suggestion, SuggestionStatus, Supporter
from bot.urls import canonical_url
from storage.orm.suggestions import SuggestionRow, SuggestionSupporterRow
from storage.repositories.base import _canonical, _insert, _now, _Repository, _rowcount


def _supporter_from_row(row: SuggestionSupporterRow) -> Supporter:
    return Supporter(Platform(row.platform), row.user_id, row.workspace_id, row.channel_id, row.at)


def _suggestion_from_row(row: SuggestionRow) -> Suggestion:
    return Suggestion(
        url=row.url,
        note=row.note,
        submitted_by=Supporter(
            Platform(row.submitter_platform),
            row.submitter_user_id,
            row.submitter_workspace_id,
            row.submitter_channel_id,
            row.created_at,
        ),
        status=SuggestionStatus(row.status),
        supporters=[_supporter_from_row(supporter) for supporter in row.supporters],
        title=row.title,
        section=row.section,
        featured_in=row.featured_in,
        created_at=row.created_at,
        id=row.id,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        newsletter_id=row.newsletter_id,
    )


class SqlSuggestionRepository(_Repository):
    """Suggested links, one per canonical URL, with the people who support them (the submitter first)."""

    def _select(self) -> Select[SuggestionRow]:
        return (
            select(SuggestionRow)
            .options(selectinload(SuggestionRow.supporters))
            .execution_options(populate_existing=True)
        )

    async def by_url(self, canonical_url: str, *, newsletter: str = DEFAULT_NEWSLETTER) -> Suggestion | None:
        """The suggestion of that link for that newsletter (the argument is canonicalised again, so any
        spelling matches)."""
        statement = self._select().where(
            SuggestionRow.newsletter_id == newsletter,
            SuggestionRow.canonical_url == _canonical(canonical_url),
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return _suggestion_from_row(row) if row else None

    async def get(self, suggestion_id: int) -> Suggestion | None:
        row = (
            await self._session.scalars(self._select().where(SuggestionRow.id == suggestion_id))
        ).one_or_none()
        return _suggestion_from_row(row) if row else None

    async def add(self, suggestion: Suggestion) -> Suggestion:
        """Store a new suggestion with its submitter as first supporter (then any other ``supporters``).

        Timestamps left None become the current time. Race-safe: when the link was suggested in the
        meantime, the existing suggestion gains the submitter as a supporter and is returned instead (its
        ``submitted_by`` then differs from the argument's).
        """
        submitter = suggestion.submitted_by
        created_at = suggestion.created_at or submitter.at or _now()
        statement = (
            _insert(self._dialect, SuggestionRow)
            .values(
                newsletter_id=suggestion.newsletter_id,
                url=suggestion.url,
                canonical_url=canonical_url(suggestion.url),
                note=suggestion.note,
                status=suggestion.status.value,
                title=suggestion.title,
                section=suggestion.section,
                featured_in=suggestion.featured_in,
                created_at=created_at,
                submitter_platform=submitter.platform.value,
                submitter_user_id=submitter.user_id,
                submitter_workspace_id=submitter.workspace_id,
                submitter_channel_id=submitter.channel_id,
            )
            .on_conflict_do_nothing(index_elements=["newsletter_id", "canonical_url"])
            .returning(SuggestionRow.id)
        )
        suggestion_id: int | None = await self._session.scalar(statement)
        if suggestion_id is None:
            existing = await self.by_url(suggestion.url, newsletter=suggestion.newsletter_id)
            assert existing is not None
            assert existing.id is not None
            suggestion_id = existing.id
        await self._add_supporters(suggestion_id, [submitter, *suggestion.supporters], default_at=created_at)
        stored = await self.get(suggestion_id)
        assert stored is not None
        return stored

    async def _add_supporters(
        self, suggestion_id: int, supporters: Iterable[Supporter], *, default_at: datetime
    ) -> int:
        added = 0
        for supporter in supporters:
            added += await self._insert_new(
                SuggestionSupporterRow,
                ["suggestion_id", "platform", "user_id"],
                suggestion_id=suggestion_id,
                platform=supporter.platform.value,
                user_id=supporter.user_id,
                workspace_id=supporter.workspace_id,
                channel_id=supporter.channel_id,
                at=supporter.at or default_at,
            )
        return added

    async def add_supporter(self, suggestion_id: int, supporter: Supporter) -> bool:
        """False when that user already supports it. ``supporter.at`` None means now."""
        return await self._add_supporters(suggestion_id, [supporter], default_at=_now()) > 0

    async def list(
        self, status: SuggestionStatus | None = None, *, newsletter: str | None = None
    ) -> builtins.list[Suggestion]:
        """Suggestions (of ``status``, or all; of one newsletter, or all), most supported first, then
        oldest first."""
        supporters = (
            select(func.count(SuggestionSupporterRow.id))
            .where(SuggestionSupporterRow.suggestion_id == SuggestionRow.id)
            .scalar_subquery()
        )
        statement = self._select().order_by(supporters.desc(), SuggestionRow.created_at, SuggestionRow.id)
        if status is not None:
            statement = statement.where(SuggestionRow.status == status.value)
        if newsletter is not None:
            statement = statement.where(SuggestionRow.newsletter_id == newsletter)
        return [_suggestion_from_row(row) for row in await self._session.scalars(statement)]

    async def set_status(
        self, suggestion_id: int, status: SuggestionStatus, *, featured_in: int | None = None
    ) -> None:
        """Set the status. ``featured_in`` is stored when given, kept when featuring again without one, and
        cleared when the status is anything but featured. ``LookupError`` for an unknown id."""
        values: dict[str, Any] = {"status": status.value}
        if featured_in is not None:
            values["featured_in"] = featured_in
        elif status is not SuggestionStatus.FEATURED:
            values["featured_in"] = None
        result = await self._session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(**values)
        )
        if _rowcount(result) == 0:
            raise LookupError(f"no suggestion {suggestion_id}")

    async def decide(self, suggestion_id: int, decision: Decision) -> bool:
        values: dict[str, Any] = {
            "status": decision.status.value,
            "decided_by": decision.by,
            "decided_at": decision.at,
        }
        if decision.section is not None:
            values["section"] = decision.section or None
        result = await self._session.execute(
            update(SuggestionRow)
            .where(SuggestionRow.id == suggestion_id, SuggestionRow.status != SuggestionStatus.FEATURED.value)
            .values(**values)
        )
        return _rowcount(result) > 0

    async def set_title(self, suggestion_id: int, title: str) -> None:
        await self._session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(title=title)
        )

    async def set_section(self, suggestion_id: int, section: str | None) -> None:
        await self._session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(section=section or None)
        )

    async def serialise_user(self, platform: Platform, user_id: str) -> None:
        if self._dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE serialises whole transactions
            key = f"digestbot:suggest:{platform.value}:{user_id}"
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )

    async def supported_since(self, platform: Platform, user_id: str, since: datetime) -> int:
        statement = select(func.count(SuggestionSupporterRow.id)).where(
            SuggestionSupporterRow.platform == platform.value,
            SuggestionSupporterRow.user_id == user_id,
            SuggestionSupporterRow.at >= since,
        )
        return int(await self._session.scalar(statement) or 0)
