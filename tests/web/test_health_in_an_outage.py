"""/healthz and /metrics while the database is away (a PostgreSQL cluster of the test's own, stopped):
"degraded" naming the database, HTTP 200 (README: Reliability says why), and the votes kept counted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.community.votes import ReactionEvent, VoteOutcome
from bot.model import Platform
from tests.private_postgres import PrivatePostgres
from tests.web.serving import serving


async def get(http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(path) as response:
        return response.status, await response.text()


async def test_healthz_says_degraded_and_metrics_count_kept_votes_while_the_database_is_down(tmp_path: Path):
    with PrivatePostgres() as cluster:
        database = {"url": cluster.url, "spool_dir": str(tmp_path / "spool")}
        async with serving(database) as (app, http):
            async with http.get("/healthz") as response:
                assert response.status == 200
                body = await response.json()
            assert body["status"] == "ok"
            assert body["database"] == "ok"
            assert body["degraded"] == []

            cluster.stop()
            reaction = ReactionEvent(
                Platform.SLACK, "C1", "1.0", "U1", "fire", True, "Ev1", occurred_at=datetime.now(UTC)
            )
            assert await app.votes.handle(reaction) is VoteOutcome.KEPT
            async with http.get("/healthz") as response:
                assert response.status == 200  # still taking and keeping reactions: not a restart
                body = await response.json()
            assert body["status"] == "degraded"
            assert body["degraded"] == ["database"]
            assert body["database"] == "unreachable"
            assert body["votes"]["pending"] == 1
            status, text = await get(http, "/metrics")
            assert status == 200
            assert "digestbot_database_up 0.0" in text
            assert "digestbot_votes_pending 1.0" in text
            assert "digestbot_votes_spooled" in text
            for _ in range(100):  # after SPILL_AFTER seconds the kept vote goes to the spool
                if app.votes.outage.spooled:
                    break
                await asyncio.sleep(0.05)
            assert "digestbot_votes_spooled 1.0" in (await get(http, "/metrics"))[1]

            cluster.start()
            for _ in range(200):
                body = await (await http.get("/healthz")).json()
                if body["status"] == "ok" and body["votes"]["pending"] == 0:
                    break
                await asyncio.sleep(0.05)
            assert body["status"] == "ok", body
            assert body["database"] == "ok"
            text = (await get(http, "/metrics"))[1]
            assert "digestbot_database_up 1.0" in text
            assert "digestbot_votes_pending 0.0" in text
