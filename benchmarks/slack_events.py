"""Slack events under load: how fast digestbot acknowledges, and whether anything is lost.

Starts the local Slack emulator, ingests and posts the example issue, runs ``digestbot run`` as its own
process (HTTP mode), then sends 10,000 signed ``reaction_added``/``reaction_removed`` events (5% of them
redelivered with ``X-Slack-Retry-Num``, as Slack does when it thinks a delivery failed) and 1,000
``/suggest`` commands to ``/slack/events`` from 50 concurrent connections. It prints events per second,
p50/p99 time to acknowledge (Slack allows 3 s; the target is p99 < 100 ms) and how many votes and
suggestions are missing from (or doubled in) the database afterwards (target: 0).

    python benchmarks/slack_events.py [--events 10000] [--commands 1000] [--connections 50]
                                      [--rate REQUESTS_PER_SECOND]
                                      [--database-url postgresql://postgres@127.0.0.1/test]

The load generator and the emulator share the machine with the bot, and latencies are measured at the
client, so at full offered load they include the generator's own queueing. ``--rate`` offers a steady
load instead (Slack itself delivers at most 30,000 events an hour to an app in a workspace).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import EXAMPLE, digestbot_env, run_cli, start_bot, sync_url
from bot.emoji import normalise_emoji
from tests.emulators.processes import free_port, wait_until_serving
from tests.emulators.slack_emulator import SlackEmulator

EMOJI = ["+1", "fire", "heart", "tada", "star"]


def database_counts(url: str) -> tuple[set[tuple[str, str, str]], int, int]:
    """Votes counted now, as (message ts, user, emoji), and the number of suggestions and supporters."""
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        votes = {
            (row.ts, row.user_id, row.emoji)
            for row in connection.execute(
                text(
                    "SELECT m.message_id AS ts, v.user_id, v.emoji FROM votes v "
                    "JOIN items i ON i.id = v.item_id "
                    "JOIN delivered_messages m ON m.item_key = i.key AND m.message_id IS NOT NULL "
                    "WHERE v.active"
                )
            )
        }
        suggestions = connection.execute(text("SELECT count(*) FROM suggestions")).scalar_one()
        supporters = connection.execute(text("SELECT count(*) FROM suggestion_supporters")).scalar_one()
    engine.dispose()
    return votes, int(suggestions), int(supporters)


class TokenPace:
    """Spaces requests evenly at ``rate`` per second across all connections (open-loop offered load)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self.next_at = time.perf_counter()

    async def wait(self) -> None:
        now = time.perf_counter()
        at = max(self.next_at, now)
        self.next_at = at + self.interval
        await asyncio.sleep(at - now)


async def wait_until_drained(port: int) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                if (await response.json())["pending_reactions"] == 0:
                    return time.perf_counter() - started
            await asyncio.sleep(0.1)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=195)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offered load in requests/s (default: as fast as the bot answers)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    workdir = Path(tempfile.mkdtemp(prefix="digestbot-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    async with SlackEmulator(post_rate_per_second=None, enforce_method_limits=False) as emu:
        channel = emu.add_channel("newsletter")
        port = free_port()
        config = {
            "database": {"url": database_url},
            "slack": {
                "bot_token": emu.bot_token,
                "signing_secret": emu.signing_secret,
                "api_url": emu.api_url,
                "http": {"host": "127.0.0.1", "port": port},
                "messages_per_second": 100,
                "burst": 30,
            },
            "votes": {"emoji": dict.fromkeys(EMOJI, 1)},
            "channels": [{"name": "newsletter", "platform": "slack", "id": channel}],
        }
        config_path = workdir / "config.yaml"
        config_path.write_text(yaml.safe_dump(config))
        env = digestbot_env(config_path)
        await run_cli(env, "ingest", str(EXAMPLE))
        await run_cli(env, "post", "195", "--channel", "newsletter")
        items = [r.ts for parent in emu.messages(channel)[1:] for r in emu.replies(channel, parent.ts)]

        # The workload: distinct votes, some withdrawn later, some redelivered; distinct suggestions.
        users = [emu.add_user(f"user{n}") for n in range(400)]
        removals = args.events // 5
        redeliveries = args.events // 20
        additions = args.events - removals - redeliveries
        keys: set[tuple[str, str, str]] = set()
        while len(keys) < additions:
            keys.add((rng.choice(items), rng.choice(users), rng.choice(EMOJI)))
        added = list(keys)
        rng.shuffle(added)
        withdrawn = rng.sample(added, removals)
        expected = {(ts, user, normalise_emoji(emoji)) for ts, user, emoji in set(added) - set(withdrawn)}

        bot = await start_bot(env)
        await wait_until_serving(port)
        url = f"http://127.0.0.1:{port}/slack/events"
        latencies: list[float] = []
        command_latencies: list[float] = []
        failures: list[str] = []
        first_deliveries = []

        pace = TokenPace(args.rate) if args.rate else None

        async def drain(queue: asyncio.Queue[object]) -> None:
            while True:
                job = await queue.get()
                if pace is not None:
                    await pace.wait()
                try:
                    response = await job()  # type: ignore[operator]
                    latencies.append(response.elapsed)
                    if response.trigger_id is not None:
                        command_latencies.append(response.elapsed)
                    if response.status != 200:
                        failures.append(f"{response.status} {response.body[:80]}")
                except Exception as error:
                    failures.append(repr(error))
                finally:
                    queue.task_done()

        async def run_phase(jobs: list[object]) -> float:
            queue: asyncio.Queue[object] = asyncio.Queue()
            for job in jobs:
                queue.put_nowait(job)
            workers = [asyncio.create_task(drain(queue)) for _ in range(args.connections)]
            started = time.perf_counter()
            await queue.join()
            elapsed = time.perf_counter() - started
            for worker in workers:
                worker.cancel()
            return elapsed

        def add_job(key: tuple[str, str, str]) -> object:
            async def job() -> object:
                response = await emu.deliver_event(url, emu.reaction_added_event(channel, *key))
                first_deliveries.append(emu.deliveries[-1])
                return response

            return job

        def remove_job(key: tuple[str, str, str]) -> object:
            return lambda: emu.deliver_event(url, emu.reaction_removed_event(channel, *key))

        def command_job(n: int) -> object:
            link = f"https://example.com/reading/{n}?utm_source=bench"
            return lambda: emu.send_slash_command(
                url, "/suggest", f"{link} note {n}", user_id=rng.choice(users)
            )

        phase_one = [add_job(key) for key in added] + [command_job(n) for n in range(args.commands)]
        rng.shuffle(phase_one)
        seconds = await run_phase(phase_one)
        retried = rng.sample(first_deliveries, redeliveries)
        phase_two = [remove_job(key) for key in withdrawn]
        phase_two += [lambda d=d: emu.redeliver(url, d) for d in retried]  # type: ignore[misc]
        rng.shuffle(phase_two)
        seconds += await run_phase(phase_two)

        # Reactions are stored after their acknowledgement: wait until the bot has none pending.
        drained_in = await wait_until_drained(port)
        bot.send_signal(signal.SIGTERM)
        _, bot_err = await bot.communicate()

    stored, suggestions, supporters = database_counts(database_url)
    requests = len(latencies)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    total = seconds + drained_in
    commands = sorted(command_latencies) or [0.0]
    c50, c99 = (
        statistics.median(commands) * 1000,
        commands[min(len(commands) - 1, int(len(commands) * 0.99))] * 1000,
    )
    lines = [
        (
            "requests",
            f"{requests} ({args.events} events, {args.commands} /suggest), {args.connections} connections",
        ),
        ("database", database_url.split("://")[0]),
        ("offered load", f"{args.rate:g} requests/s" if args.rate else "as fast as acknowledged"),
        ("acknowledged", f"{requests / seconds:.0f} requests/s ({seconds:.1f} s)"),
        ("all stored", f"{total:.1f} s after the first request ({requests / total:.0f} requests/s)"),
        ("ack p50 / p99", f"{p50:.1f} ms / {p99:.1f} ms (target p99 < 100 ms; Slack allows 3000 ms)"),
        (
            "/suggest p50/p99",
            f"{c50:.1f} ms / {c99:.1f} ms (acknowledged with the reply when it is ready in 0.1 s, else at once)",
        ),
        (
            "votes",
            f"expected {len(expected)}, stored {len(stored)}: {len(expected - stored)} missing, "
            f"{len(stored - expected)} extra",
        ),
        (
            "suggestions",
            f"expected {args.commands}, stored {suggestions} ({supporters} supporters): "
            f"{args.commands - suggestions} missing",
        ),
        ("non-200 answers", str(len(failures)) + (f" (first: {failures[0]})" if failures else "")),
    ]
    for label, value in lines:
        print(f"{label:<16} {value}")
    if b"Traceback" in bot_err:
        print("bot stderr had a traceback:\n", bot_err.decode()[-2000:])


if __name__ == "__main__":
    asyncio.run(main())
