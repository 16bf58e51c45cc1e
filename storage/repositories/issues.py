"""Issues, their sections and items: saved as a whole, read back as :class:`bot.model.Issue`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.model import DEFAULT_NEWSLETTER, Issue, Item, Section, title_identity
from bot.ports import IssueSummary, SavedIssue
from storage.orm.issues import IssueRow, ItemRow, SectionRow
from storage.repositories.base import _canonical, _Repository
from storage.repositories.search import SqlSearchIndex


def _issue_from_row(row: IssueRow) -> Issue:
    return Issue(
        title=row.title,
        number=row.number,
        subtitle=row.subtitle,
        intro=row.intro,
        published_on=row.published_on,
        source=row.source,
        newsletter_id=row.newsletter_id,
        sections=[
            Section(
                title=section.title,
                position=section.position,
                items=[
                    Item(
                        title=item.title,
                        url=item.url,
                        blurb=item.blurb,
                        sponsored=item.sponsored,
                        position=item.position,
                        key=item.key,
                    )
                    for item in section.items
                ],
            )
            for section in row.sections
        ],
    )


def _check_issue(issue: Issue) -> int:
    if issue.number is None:
        raise ValueError("an issue needs a number to be saved")
    positions = [section.position for section in issue.sections]
    if len(set(positions)) != len(positions):
        raise ValueError(f"issue {issue.number}: section positions repeat {positions}; call renumber() first")
    keys = [item.key for item in issue.items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"issue {issue.number}: item keys repeat; call renumber() first")
    return issue.number


class SqlIssueRepository(_Repository):
    async def _row(self, number: int, newsletter: str) -> IssueRow | None:
        statement = (
            select(IssueRow)
            .where(IssueRow.newsletter_id == newsletter, IssueRow.number == number)
            .options(selectinload(IssueRow.sections).selectinload(SectionRow.items))
            .execution_options(populate_existing=True)
        )
        return (await self._session.scalars(statement)).one_or_none()

    async def get(self, number: int, *, newsletter: str = DEFAULT_NEWSLETTER) -> Issue | None:
        row = await self._row(number, newsletter)
        return _issue_from_row(row) if row else None

    async def save(self, issue: Issue, *, now: datetime) -> SavedIssue:
        """Insert the issue, or update it in place.

        Sections are matched by position (their title updated, new ones added, surplus ones deleted).
        Items are matched by key across the whole issue: a kept item keeps its row, and so its votes, while
        its title, link, blurb, position and section follow the new version; an item whose link changed
        but whose title did not is the same item (it takes the old key); items whose key is gone are
        deleted with their votes. Section positions and item keys must be unique (``Issue.renumber``).
        """
        number = _check_issue(issue)
        session = self._session
        newsletter = issue.newsletter_id
        row = (
            await session.scalars(
                select(IssueRow).where(IssueRow.newsletter_id == newsletter, IssueRow.number == number)
            )
        ).one_or_none()
        created = row is None
        if row is None:
            row = IssueRow(newsletter_id=newsletter, number=number, ingested_at=now)
            session.add(row)
        row.title = issue.title
        row.subtitle = issue.subtitle
        row.intro = issue.intro
        row.published_on = issue.published_on
        row.source = issue.source
        row.updated_at = now
        await session.flush()

        old_sections = {
            section.position: section
            for section in await session.scalars(select(SectionRow).where(SectionRow.issue_id == row.id))
        }
        section_positions = {section.id: position for position, section in old_sections.items()}
        section_rows: list[SectionRow] = []
        for section in issue.sections:
            section_row = old_sections.pop(section.position, None)
            if section_row is None:
                section_row = SectionRow(issue_id=row.id, position=section.position)
                session.add(section_row)
            section_row.title = section.title
            section_rows.append(section_row)
        await session.flush()

        old_items = {
            item.key: item
            for item in await session.scalars(select(ItemRow).where(ItemRow.issue_id == row.id))
        }
        _adopt_keys_of_corrected_items(issue, old_items, section_positions)
        kept = added = 0
        for section, section_row in zip(issue.sections, section_rows, strict=True):
            for item in section.items:
                item_row = old_items.pop(item.key, None)
                if item_row is None:
                    item_row = ItemRow(issue_id=row.id, key=item.key)
                    session.add(item_row)
                    added += 1
                else:
                    kept += 1
                item_row.section_id = section_row.id
                item_row.position = item.position
                item_row.title = item.title
                item_row.url = item.url
                item_row.canonical_url = _canonical(item.url)
                item_row.blurb = item.blurb
                item_row.sponsored = item.sponsored
        await session.flush()

        removed = len(old_items)
        removed_ids = [item_row.id for item_row in old_items.values()]
        for item_row in old_items.values():  # votes go with them: ON DELETE CASCADE
            await session.delete(item_row)
        await session.flush()
        for section_row in old_sections.values():  # empty now: their items were moved or deleted
            await session.delete(section_row)
        await session.flush()
        await SqlSearchIndex(session, self._dialect).index_issue(row.id, forget=removed_ids)
        return SavedIssue(
            number,
            created,
            items_kept=kept,
            items_added=added,
            items_removed=removed,
            newsletter_id=newsletter,
        )

    async def summaries(self, *, newsletter: str | None = None) -> list[IssueSummary]:
        section_count = (
            select(func.count(SectionRow.id)).where(SectionRow.issue_id == IssueRow.id).scalar_subquery()
        )
        item_count = select(func.count(ItemRow.id)).where(ItemRow.issue_id == IssueRow.id).scalar_subquery()
        statement = select(
            IssueRow.number,
            IssueRow.title,
            IssueRow.published_on,
            section_count.label("section_count"),
            item_count.label("item_count"),
            IssueRow.ingested_at,
            IssueRow.newsletter_id,
        ).order_by(IssueRow.number.desc(), IssueRow.newsletter_id)
        if newsletter is not None:
            statement = statement.where(IssueRow.newsletter_id == newsletter)
        return [
            IssueSummary(
                number=number,
                title=title,
                published_on=published_on,
                section_count=sections,
                item_count=items,
                ingested_at=ingested_at,
                newsletter_id=newsletter_id,
            )
            for number, title, published_on, sections, items, ingested_at, newsletter_id in (
                await self._session.execute(statement)
            )
        ]

    async def latest_number(self, *, newsletter: str = DEFAULT_NEWSLETTER) -> int | None:
        statement = select(func.max(IssueRow.number)).where(IssueRow.newsletter_id == newsletter)
        number: int | None = await self._session.scalar(statement)
        return number

    async def newsletter_ids(self) -> list[str]:
        """The newsletters that have stored issues."""
        statement = select(IssueRow.newsletter_id).distinct().order_by(IssueRow.newsletter_id)
        return list(await self._session.scalars(statement))

    async def number_featuring(
        self, canonical_url: str, *, newsletter: str = DEFAULT_NEWSLETTER
    ) -> int | None:
        """The smallest issue number with an item whose link canonicalises to ``canonical_url``."""
        statement = (
            select(func.min(IssueRow.number))
            .join(ItemRow, ItemRow.issue_id == IssueRow.id)
            .where(ItemRow.canonical_url == _canonical(canonical_url), IssueRow.newsletter_id == newsletter)
        )
        number: int | None = await self._session.scalar(statement)
        return number


def _adopt_keys_of_corrected_items(
    issue: Issue, old_items: dict[str, ItemRow], section_positions: dict[int, int]
) -> None:
    """A corrected item keeps its identity (its row, votes and posted message) when its key changed:
    a new item with an unknown key takes the key of a stored item whose own key is gone from the new
    version and that has its title (a corrected link), or, for an item without a link (whose key is its
    title), its place in the same section (a corrected title). A linked item whose link and title both
    changed is another item, and ambiguous matches are left alone: those are removed and added."""
    new_keys = {item.key for item in issue.items}
    by_title: dict[str, list[ItemRow]] = {}
    by_place: dict[tuple[int, int], ItemRow] = {}
    for row in old_items.values():
        if row.key not in new_keys:
            by_title.setdefault(title_identity(row.title), []).append(row)
            if row.section_id in section_positions:
                by_place[(section_positions[row.section_id], row.position)] = row
    adopted: set[str] = set()
    unknown = [(s, i) for s in issue.sections for i in s.items if i.key not in old_items]
    for _, item in unknown:
        candidates = [r for r in by_title.get(title_identity(item.title), []) if r.key not in adopted]
        if len(candidates) == 1:
            item.key = candidates[0].key
            adopted.add(item.key)
    for section, item in unknown:
        if item.key in old_items:
            continue
        placed = by_place.get((section.position, item.position))
        if placed is not None and placed.key not in adopted and placed.url is None and item.url is None:
            item.key = placed.key
            adopted.add(item.key)
