"""The console-only bot with its web server on a free port, and an HTTP client on it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from adapters.bootstrap import Application, bootstrap
from adapters.web.server import WebServer
from bot.config import parse_config


@contextlib.asynccontextmanager
async def serving(database: dict[str, Any]) -> AsyncIterator[tuple[Application, aiohttp.ClientSession]]:
    """The bot on ``database`` (the config's ``database:`` block), serving /healthz and /metrics; a
    client session whose base URL is that server. Stopped and closed afterwards."""
    config = parse_config(
        {
            "database": database,
            "http": {"host": "127.0.0.1", "port": 0},
            "channels": [{"name": "console", "platform": "console"}],
        },
        {},
    )
    app = await bootstrap(config)
    server = WebServer(app)
    await server.start()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{server.port}") as http:
            yield app, http
    finally:
        await server.stop()
        await app.aclose()
