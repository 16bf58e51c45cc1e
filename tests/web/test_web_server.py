"""The bot's web server: /healthz and /metrics under `digestbot run`, also with only the console channel."""

from __future__ import annotations

from adapters.web.metrics import observe_report
from bot.model import Channel, Platform
from bot.posting.poster import PostReport
from tests.web.serving import serving


async def test_healthz_and_metrics_are_served(tmp_path):
    async with serving({"url": f"sqlite:///{tmp_path / 'bot.db'}"}) as (_, http):
        observe_report(
            PostReport(
                Channel("x", Platform.SLACK, "C1"), 1, total=3, errors=["channel_not_found"], permanent=True
            )
        )
        async with http.get("/healthz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
        async with http.get("/metrics") as response:
            assert response.status == 200
            text = await response.text()
    assert "digestbot_votes 0.0" in text
    assert 'digestbot_delivery_failures_total{kind="permanent",platform="slack"}' in text
    assert "digestbot_up 1.0" in text
