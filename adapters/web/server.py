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
from storage.database import ping

log = logging.getLogger(__name__)

STARTED = time.monotonic()


def address(app: Application) -> HttpConfig:
    return app.config.http or app.config.slack.http


class DatabaseCheck:
    """Whether the database answers, asked at most once a second however often /healthz is polled."""

    def __init__(self, app: Application) -> None:
        self._app = app
        self._checked = -1.0
        self._up = True

    async def up(self) -> bool:
        if self._app.votes.outage.unreachable:  # the vote keeper's last attempt says so already
            return False
        if time.monotonic() - self._checked >= 1.0:
            self._up = await ping(self._app.engine, within=1.0)
            self._checked = time.monotonic()
        return self._up


def health_body(app: Application, database_up: bool) -> dict[str, object]:
    """``/healthz``: "ok", or "degraded" naming the parts in ``degraded`` (see README: Reliability)."""
    outage = app.votes.outage
    degraded = [] if database_up else ["database"]
    if outage.dropped:
        degraded.append("votes")  # reactions were lost: the spool filled up
    return {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "database": "ok" if database_up else "unreachable",
        "uptime_seconds": round(time.monotonic() - STARTED, 1),
        "pending_reactions": app.votes.pending,
        "votes": {
            "pending": app.votes.pending,
            "spooled": outage.spooled,
            "held_in_memory": outage.held,
            "outage_seconds": outage.outage_seconds,
            "lost": outage.dropped,
        },
    }


def add_ops_routes(app: Application, web_app: web.Application) -> None:
    database = DatabaseCheck(app)

    async def health(request: web.Request) -> web.Response:
        # 200 even when degraded: the process still takes every reaction and keeps it until the database
        # is back; a 503 would make a supervisor restart it or a balancer stop sending it events.
        return web.json_response(health_body(app, await database.up()))

    async def scrape(request: web.Request) -> web.Response:
        outage = app.votes.outage
        database_up = await database.up()
        metrics.observe_votes(
            database_up=database_up,
            pending=app.votes.pending,
            spooled=outage.spooled,
            refused=outage.spool_refusals,
            dropped=outage.dropped,
        )
        try:
            if database_up:
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
