"""The bot's one web server under ``digestbot run``: ``/healthz`` for process supervisors, ``/metrics``
for Prometheus and, in Slack HTTP mode, ``/slack/events`` (added by ``adapters.slack.app``).

Address: ``http: {host, port}`` in the config, else ``slack.http`` (default 127.0.0.1:3000).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web

from adapters.bootstrap import Application
from adapters.web import metrics
from bot.config import HttpConfig

log = logging.getLogger(__name__)

STARTED = time.monotonic()


def address(app: Application) -> HttpConfig:
    return app.config.http or app.config.slack.http


def add_ops_routes(app: Application, web_app: web.Application) -> None:
    async def health(request: web.Request) -> web.Response:
        uptime = round(time.monotonic() - STARTED, 1)
        return web.json_response(
            {"status": "ok", "uptime_seconds": uptime, "pending_reactions": app.votes.pending}
        )

    async def scrape(request: web.Request) -> web.Response:
        try:
            async with app.uow_factory() as uow:
                metrics.set_totals(await uow.scheduling.totals())
        except Exception as error:  # the process metrics are still worth serving
            log.warning("metrics: could not read totals: %s", error)
        body, content_type = metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    web_app.router.add_get("/healthz", health)
    web_app.router.add_get("/metrics", scrape)


class WebServer:
    def __init__(self, app: Application, *, extra_routes: Callable[[web.Application], None] | None = None):
        self.app = app
        self.extra_routes = extra_routes
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        where = address(self.app)
        web_app = web.Application()
        add_ops_routes(self.app, web_app)
        if self.extra_routes is not None:
            self.extra_routes(web_app)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, where.host, where.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else where.port
        metrics.UP.set(1)
        log.info("serving /healthz and /metrics on %s:%s", where.host, self.port)

    async def stop(self) -> None:
        metrics.UP.set(0)
        if self._runner is not None:
            await self._runner.cleanup()
