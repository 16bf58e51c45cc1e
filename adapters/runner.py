"""``digestbot run``: every configured platform listening at once, until stopped.

With only the console channel the bot ends at the end of standard input; with Slack or Discord it runs
until SIGINT/SIGTERM, and first recovers the votes given while it was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from adapters.bootstrap import Application, reconcile_on_start
from adapters.console.channel import ConsolePlatform, ConsoleSession
from adapters.scheduling import build_scheduler
from adapters.web import metrics
from adapters.web.server import WebServer, address
from bot.model import Platform

log = logging.getLogger(__name__)


async def start_web_server(app: Application) -> WebServer | None:
    """/healthz and /metrics; a port already taken is logged, and the bot runs on without them."""
    server = WebServer(app)
    try:
        await server.start()
    except OSError as error:
        where = address(app)
        log.error("cannot serve /healthz and /metrics on %s:%s: %s", where.host, where.port, error)
        return None
    return server


SHUTDOWN_GRACE_SECONDS = 5.0  # how long a stop waits for background work to end by itself


async def run_bot(app: Application, *, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    # Posts count on /metrics only in the process that serves it: a one-off `digestbot post` does not
    # load prometheus_client for counters nobody could read.
    app.report_observers.append(metrics.observe_report)
    channels = app.channels()
    platforms = {c.platform for c in channels}
    services: list[object] = []
    background: list[asyncio.Task[None]] = []
    await app.votes.resume()  # reactions spooled through a database outage before a crash or stop
    web_server_running = False  # in Slack HTTP mode the Slack runtime's server is the bot's web server

    if Platform.SLACK in platforms or app.config.slack.enabled:
        from adapters.slack.app import SlackRuntime

        slack = SlackRuntime(app)
        await slack.start()
        services.append(slack)
        web_server_running = not slack.socket_mode
        background.append(asyncio.create_task(reconcile_on_start(app, Platform.SLACK)))
    if Platform.DISCORD in platforms:
        from adapters.discord.runtime import DiscordRuntime

        discord_runtime = DiscordRuntime(app)
        await discord_runtime.start()
        services.append(discord_runtime)

    console_channels = [c for c in channels if c.platform is Platform.CONSOLE]
    console_task: asyncio.Task[None] | None = None
    if console_channels:
        platform = app.platform(Platform.CONSOLE)
        assert isinstance(platform, ConsolePlatform)
        session = ConsoleSession(
            console_channels[0], platform, app.uow_factory, app.votes, app.suggestions, app.commands()
        )
        platform.console.print("digestbot is listening on the console. Type help for commands; Ctrl-D ends.")
        console_task = asyncio.create_task(session.run(), name="console")
        if not services:
            console_task.add_done_callback(lambda _: stop.set())
    if not services and console_task is None:
        log.warning("no channel to listen on: configure a channel under channels:")
        return

    web_server = None if web_server_running else await start_web_server(app)
    scheduler = build_scheduler(app)
    if scheduler is not None:
        background.append(asyncio.create_task(scheduler.run_forever(stop), name="scheduler"))

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        if web_server is not None:
            await web_server.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        # The scheduler watches `stop` and ends after its tick; cancelling it mid-query instead cuts the tick
        # short and, on SQLite, can log the pool's reset of the half-returned connection as a traceback.
        if background:
            await asyncio.wait(background, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in [*background, *([console_task] if console_task else [])]:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for service in services:
            await service.stop()  # type: ignore[attr-defined]
        if console_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await console_task
