"""The Done-when check of issue 10: ``digestbot run`` as its users run it, against a PostgreSQL cluster of
the test's own and the Slack emulator. The database is stopped for about ten seconds while 2,000
reactions arrive; afterwards every one of them is stored, with no manual command, and ``/healthz`` said
"degraded" in between and "ok" after. ``/suggest`` in the outage is told to try again, and nothing of it
is stored. The figures are printed (``pytest -s``) and quoted in the README's Reliability section."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from tests.emulators.processes import (
    PIPE,
    digestbot,
    free_port,
    slack_environment,
    start_digestbot,
    wait_until_serving,
)
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import EXAMPLE
from tests.private_postgres import PrivatePostgres
from tests.slack.conftest import reply_to

USERS, ITEMS, EMOJI = 50, 20, ("+1", "fire")  # 50 × 20 × 2 = 2,000 reactions
OUTAGE_SECONDS = 10.0
RATE = 100.0  # reactions a second: about 1,000 of them arrive while the database is down
SENDERS = 4


def write_config(tmp_path: Path, emu: SlackEmulator, url: str, channel: str, port: int) -> Path:
    config = {
        "database": {"url": url, "spool_dir": str(tmp_path / "spool")},
        "slack": {
            "bot_token": "${TEST_SLACK_BOT_TOKEN}",
            "signing_secret": "${TEST_SLACK_SIGNING_SECRET}",
            "api_url": emu.api_url,
            "http": {"host": "127.0.0.1", "port": port},
            "messages_per_second": 50,
            "burst": 10,
        },
        "suggestions": {"fetch_titles": False},
        "votes": {"emoji": {"+1": 1, "fire": 2}},
        "channels": [{"name": "team-news", "platform": "slack", "id": channel}],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


async def health(http: aiohttp.ClientSession, port: int) -> tuple[int, dict[str, Any]]:
    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
        return response.status, await response.json()


async def test_two_thousand_reactions_through_a_ten_second_outage_are_all_stored(tmp_path: Path):
    with PrivatePostgres() as cluster:
        async with SlackEmulator(post_rate_per_second=None) as emu:
            channel = emu.add_channel("team-news")
            port = free_port()
            env = slack_environment(emu, write_config(tmp_path, emu, cluster.url, channel, port))
            code, _, err = await digestbot(env, "post", str(EXAMPLE), "--channel", "team-news")
            assert code == 0, err
            items = [r.ts for s in emu.messages(channel)[1:] for r in emu.replies(channel, s.ts)][:ITEMS]
            assert len(items) == ITEMS
            users = [emu.add_user(f"reader{n}") for n in range(USERS)]
            reactions = [(ts, user, emoji) for user in users for ts in items for emoji in EMOJI]

            run = await start_digestbot(env, "run", stdout=PIPE)
            stderr: list[str] = []

            async def read_stderr() -> None:
                assert run.stderr is not None
                stderr.extend([line.decode(errors="replace") async for line in run.stderr])

            reader = asyncio.create_task(read_stderr())
            try:
                await wait_until_serving(port, run)
                await asyncio.sleep(1.5)  # the start-up catch-up (reconcile) reads an empty channel first
                emu.event_request_url = f"http://127.0.0.1:{port}/slack/events"
                figures = await send_through_an_outage(emu, cluster, port, channel, reactions)
            finally:
                run.send_signal(signal.SIGTERM)
                await asyncio.wait_for(run.wait(), 60)
                await asyncio.wait_for(reader, 10)
            log = "".join(stderr)
            assert run.returncode == 0, log[-3000:]
            assert "Traceback" not in log, log[-3000:]
            # one line when the outage starts and one when it ends, however many reactions it held up
            assert log.count("database unreachable") == 1, log[-3000:]
            assert log.count("database back after") == 1, log[-3000:]
            assert len(log.splitlines()) < 30, log[-3000:]

            code, out, err = await digestbot(env, "votes", "195", "--json")
            assert code == 0, err
            scored = [v for v in json.loads(out) if v["reactions"]]
            stored = sum(sum(v["reactions"].values()) for v in scored)
            assert stored == len(reactions) == 2000
            assert all(v["reactions"] == {"thumbsup": USERS, "fire": USERS} for v in scored)
            assert len(scored) == ITEMS
            code, out, err = await digestbot(env, "suggestions", "--json")
            assert code == 0, err
            assert json.loads(out) == []  # the suggestion made in the outage was not half-stored
            print("".join(line for line in stderr if "database" in line or "spool" in line))
            print(
                f"\noutage figures: {stored} of {len(reactions)} votes stored; "
                + ", ".join(f"{k}={v}" for k, v in figures.items())
            )


async def send_through_an_outage(
    emu: SlackEmulator,
    cluster: PrivatePostgres,
    port: int,
    channel: str,
    reactions: list[tuple[str, str, str]],
) -> dict[str, Any]:
    """Send the reactions at ``RATE`` a second; stop the database after a fifth of them, for
    ``OUTAGE_SECONDS``; wait until every reaction is stored. What /healthz said, and how long it took."""
    figures: dict[str, Any] = {}
    statuses: list[tuple[str, str, int]] = []  # (phase, status, http status)
    start_at = len(reactions) // 5
    began = time.monotonic()
    async with aiohttp.ClientSession() as http:

        async def outage() -> None:
            while len(emu.deliveries) < start_at:
                await asyncio.sleep(0.01)
            cluster.stop()
            stopped = time.monotonic()
            figures["sent_before_outage"] = len(emu.deliveries)
            answer = await emu.send_slash_command(
                f"http://127.0.0.1:{port}/slack/events", "/suggest", "https://example.com/in-the-outage"
            )
            figures["suggest_reply"] = (await reply_to(emu, answer, within=15))["text"]
            while time.monotonic() - stopped < OUTAGE_SECONDS:
                status, body = await health(http, port)
                statuses.append(("outage", body["status"], status))
                if time.monotonic() - stopped > OUTAGE_SECONDS / 2 and "degraded_body" not in figures:
                    figures["degraded_body"] = json.dumps(body)
                figures["max_spooled"] = max(figures.get("max_spooled", 0), body["votes"]["spooled"])
                figures["max_pending"] = max(figures.get("max_pending", 0), body["votes"]["pending"])
                await asyncio.sleep(0.5)
            cluster.start()
            figures["restarted_at"] = time.monotonic()
            figures["pending_at_restart"] = (await health(http, port))[1]["votes"]["pending"]
            figures["sent_during_outage"] = len(emu.deliveries) - figures["sent_before_outage"]
            figures["outage_seconds"] = round(figures["restarted_at"] - stopped, 1)

        stopper = asyncio.create_task(outage())
        queue = iter(enumerate(reactions))

        async def sender() -> None:  # a few at once: the emulator waits for each acknowledgement
            for n, (ts, user, emoji) in queue:
                await asyncio.sleep(max(0.0, began + n / RATE - time.monotonic()))
                delivery = await emu.add_reaction(channel, ts, user, emoji)
                assert delivery is not None
                assert delivery.response is not None
                assert delivery.response.status == 200

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
        await stopper
        figures["send_seconds"] = round(time.monotonic() - began, 1)
        last_sent = time.monotonic()
        while True:  # no command: the bot stores what it kept once the database is back
            status, body = await health(http, port)
            if body["status"] == "ok" and body["votes"]["pending"] == 0:
                break
            assert time.monotonic() - figures["restarted_at"] < 120, body
            await asyncio.sleep(0.1)
        statuses.append(("after", body["status"], status))
        figures["drained_seconds_after_restart"] = round(time.monotonic() - figures["restarted_at"], 1)
        figures["drained_seconds_after_last_reaction"] = round(time.monotonic() - last_sent, 1)
    del figures["restarted_at"]
    outage_statuses = {s for phase, s, _ in statuses if phase == "outage"}
    assert outage_statuses == {"degraded"}, statuses
    assert {code for _, _, code in statuses} == {200}
    assert statuses[-1][:2] == ("after", "ok")
    assert "try again in a minute" in figures["suggest_reply"]
    assert "Thanks" not in figures["suggest_reply"]
    assert figures["max_spooled"] > 0
    return figures
