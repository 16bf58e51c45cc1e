"""The bot's web server: /healthz and /metrics under `digestbot run`, also with only the console channel."""

from __future__ import annotations

import aiohttp

from adapters.bootstrap import bootstrap
from adapters.web.metrics import observe_report
from adapters.web.server import WebServer
from bot.config import parse_config
from bot.model import Channel, Platform
from bot.posting.poster import PostReport


async def test_healthz_and_metrics_are_served(tmp_path):
    config = parse_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
            "http": {"host": "127.0.0.1", "port": 0},
            "channels": [{"name": "console", "platform": "console"}],
        },
        {},
    )
    app = await bootstrap(config)
    server = WebServer(app)
    await server.start()
    try:
        observe_report(
            PostReport(
                Channel("x", Platform.SLACK, "C1"), 1, total=3, errors=["channel_not_found"], permanent=True
            )
        )
        async with aiohttp.ClientSession(f"http://127.0.0.1:{server.port}") as http:
            async with http.get("/healthz") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "ok"
            async with http.get("/metrics") as response:
                assert response.status == 200
                text = await response.text()
        assert "digestbot_votes 0.0" in text
        assert 'digestbot_delivery_failures_total{kind="permanent",platform="slack"}' in text
        assert "digestbot_up 1.0" in text
    finally:
        await server.stop()
        await app.aclose()
