"""``bot.scheduling.sources.FeedFetcher`` on aiohttp: conditional GETs, so an unchanged feed is not
fetched again."""

from __future__ import annotations

import aiohttp

from bot.ingest import MAX_BYTES
from bot.scheduling.sources import FetchResult


class HttpFeedFetcher:
    def __init__(self, *, timeout: float = 30.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def fetch(self, url: str, *, etag: str | None, last_modified: str | None) -> FetchResult:
        headers = {"User-Agent": "digestbot (+feed poller)"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with (
            aiohttp.ClientSession(timeout=self._timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            if response.status == 304:
                return FetchResult(None, etag, last_modified)
            response.raise_for_status()
            body = await response.content.read(MAX_BYTES + 1)
            return FetchResult(body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
