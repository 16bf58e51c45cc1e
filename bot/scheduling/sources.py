"""Where new issues come from: a feed (RSS/Atom, fetched conditionally), a folder of issue files, or
``digestbot ingest`` by hand (no source). A source ingests what is new with :func:`bot.ingest.parse_bytes`.

The core knows no HTTP: a feed is fetched through the small :class:`FeedFetcher` port
(``adapters.outbound.feed_fetcher`` implements it on aiohttp). What a source saw last (ETag/Last-Modified, the
folder's files) is stored, so a restart fetches and parses nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.ingest import IngestError, parse_bytes
from bot.model import DEFAULT_NEWSLETTER, Issue
from bot.ports import Clock, UnitOfWorkFactory
from bot.scheduling.ports import SourceState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A feed fetch: ``body`` None when the server said 304 Not Modified."""

    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None


class FeedFetcher(Protocol):
    async def fetch(self, url: str, *, etag: str | None, last_modified: str | None) -> FetchResult:
        """GET ``url`` with If-None-Match / If-Modified-Since; raise on network or HTTP errors."""
        ...


class IssueSource(Protocol):
    key: str
    newsletter: str  # whose issues it brings

    async def refresh(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> list[int]:
        """Ingest what is new; the numbers of the issues stored or updated."""
        ...


async def _store(
    uow_factory: UnitOfWorkFactory, clock: Clock, issues: Sequence[Issue], origin: str, newsletter: str
) -> list[int]:
    numbers: list[int] = []
    async with uow_factory() as uow:
        for issue in issues:
            if issue.number is None:
                log.warning("%s: skipped %r: no issue number in it", origin, issue.title)
                continue
            issue.newsletter_id = newsletter
            saved = await uow.issues.save(issue, now=clock.now())
            numbers.append(saved.number)
        await uow.commit()
    for number in numbers:
        log.info("%s: ingested issue #%s", origin, number)
    return numbers


async def _state(uow_factory: UnitOfWorkFactory, key: str) -> SourceState:
    async with uow_factory() as uow:
        return await uow.scheduling.source_state(key) or SourceState(key)


async def _save_state(uow_factory: UnitOfWorkFactory, state: SourceState) -> None:
    async with uow_factory() as uow:
        await uow.scheduling.save_source_state(state)
        await uow.commit()


class FeedSource:
    """An RSS/Atom feed: each entry an issue. Unchanged feeds (304) cost one request and no parsing."""

    def __init__(self, url: str, fetcher: FeedFetcher, newsletter: str = DEFAULT_NEWSLETTER) -> None:
        self.url = url
        self.newsletter = newsletter
        self.key = f"feed:{url}"
        self._fetcher = fetcher

    async def refresh(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> list[int]:
        state = await _state(uow_factory, self.key)
        result = await self._fetcher.fetch(self.url, etag=state.etag, last_modified=state.last_modified)
        state.checked_at = clock.now()
        numbers: list[int] = []
        if result.body is not None:
            try:
                issues = parse_bytes(result.body, filename=self.url, fmt="feed")
            except IngestError as error:
                log.warning("%s: cannot read the feed: %s", self.url, error)
                issues = []
            async with uow_factory() as uow:
                new = [
                    i
                    for i in issues
                    if i.number is not None
                    and await uow.issues.get(i.number, newsletter=self.newsletter) is None
                ]
            numbers = await _store(uow_factory, clock, new, self.url, self.newsletter)
            state.etag, state.last_modified = result.etag, result.last_modified
        await _save_state(uow_factory, state)
        return numbers


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


class FolderSource:
    """Issue files in a folder (any format ``digestbot ingest`` reads); new or changed files are ingested."""

    def __init__(self, folder: Path, newsletter: str = DEFAULT_NEWSLETTER) -> None:
        self.folder = folder
        self.newsletter = newsletter
        self.key = f"folder:{folder.resolve()}"

    def _scan(self) -> dict[str, str]:
        if not self.folder.is_dir():
            return {}
        return {
            p.name: _fingerprint(p)
            for p in sorted(self.folder.iterdir())
            if p.is_file() and not p.name.startswith(".")
        }

    async def refresh(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> list[int]:
        state = await _state(uow_factory, self.key)
        seen: dict[str, str] = json.loads(state.seen) if state.seen else {}
        files = await asyncio.to_thread(self._scan)
        changed = [name for name, fingerprint in files.items() if seen.get(name) != fingerprint]
        numbers: list[int] = []
        for name in changed:
            path = self.folder / name
            try:
                data = await asyncio.to_thread(path.read_bytes)
                issues = parse_bytes(data, filename=str(path))
            except (OSError, IngestError) as error:
                log.warning("%s: not ingested: %s", path, error)
            else:
                numbers += await _store(uow_factory, clock, issues, str(path), self.newsletter)
            seen[name] = files[name]
        state.seen = json.dumps(seen, sort_keys=True)
        state.checked_at = clock.now()
        await _save_state(uow_factory, state)
        return numbers
