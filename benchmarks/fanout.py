"""Fan-out benchmark: the example issue (26 messages) to 50 channels at once, then one after the other.

25 channels on the Slack emulator and 25 on the Discord emulator, both enforcing their limits (Slack: a
token bucket of ``--slack-burst`` at ``--slack-rate``/s per channel; Discord: 5 messages per
``5 / --discord-scale`` s per channel and 50 requests/s for the whole bot). ``digestbot post`` runs as its
own process, as a user runs it, while this process hosts the two emulators; the posting time is measured
at the emulators, from the first message accepted to the last, and compared with the lower bound the
limits allow::

    python benchmarks/fanout.py            # about 3 minutes, mostly the sequential run
    python benchmarks/fanout.py --skip-sequential

Per-channel rates are scaled up from the platforms' (Slack ~1/s, Discord 5 per 5 s) so that the
sequential run ends in minutes; Discord's global limit stays at its real 50 requests/s, which makes it
the binding limit of the parallel run: every Discord channel needs 26 messages and 4 threads.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import EXAMPLE, digestbot_env, run_cli
from tests.emulators.discord_emulator import DiscordEmulator
from tests.emulators.slack_emulator import SlackEmulator

CHANNELS_PER_PLATFORM = 25
MESSAGES = 26  # header + 4 sections + 21 items
THREADS = 4  # one per section, started from the section message (Discord)
DISCORD_GLOBAL_RATE = 50


def slack_bound(messages: int, rate: float, burst: int) -> float:
    """Time from the first to the last of ``messages`` posts in one channel's token bucket."""
    return max(0.0, (messages - burst) / rate)


def windows_bound(requests: int, limit: int, window: float) -> float:
    """Time from the first to the last of ``requests`` when ``limit`` fit in each ``window``."""
    return (math.ceil(requests / limit) - 1) * window


def posting_span(slack: SlackEmulator, discord: DiscordEmulator, since: float) -> tuple[float, int]:
    """Seconds from the first message accepted after ``since`` to the last, and how many there were."""
    times = [t for ts in slack.accepted_post_times.values() for t in ts if t >= since]
    times += [t for ts in discord.message_times.values() for t in ts if t >= since]
    return (max(times) - min(times), len(times)) if times else (0.0, 0)


async def main(args: argparse.Namespace) -> None:
    discord_window = 5.0 / args.discord_scale
    async with (
        SlackEmulator(post_rate_per_second=args.slack_rate, post_burst=args.slack_burst) as slack,
        DiscordEmulator(message_rate=(5, discord_window), global_rate=DISCORD_GLOBAL_RATE) as discord,
    ):
        guild = discord.add_guild("Bench")
        slack_ids = [slack.add_channel(f"s{n}") for n in range(CHANNELS_PER_PLATFORM)]
        discord_ids = [discord.add_text_channel(guild, f"d{n}") for n in range(CHANNELS_PER_PLATFORM)]
        with tempfile.TemporaryDirectory() as tmp:
            config = {
                "database": {"url": args.database_url or f"sqlite:///{tmp}/bench.db"},
                "slack": {
                    "bot_token": slack.bot_token,
                    "api_url": slack.api_url,
                    "messages_per_second": args.slack_rate,
                    "burst": args.slack_burst,
                },
                "discord": {
                    "token": discord.token,
                    "api_url": discord.api_base,
                    "gateway_url": discord.gateway_url,
                },
                "channels": [{"name": f"s{n}", "platform": "slack", "id": c} for n, c in enumerate(slack_ids)]
                + [
                    {"name": f"d{n}", "platform": "discord", "id": str(c), "guild": str(guild)}
                    for n, c in enumerate(discord_ids)
                ],
            }
            (Path(tmp) / "config.yaml").write_text(yaml.safe_dump(config))
            env = digestbot_env(f"{tmp}/config.yaml")
            for number in (195, 196):
                await run_cli(env, "ingest", str(EXAMPLE), "--number", str(number))

            discord_requests_before = len(discord.requests)
            since = time.monotonic()
            await run_cli(env, "post", "195")  # every configured channel, in parallel
            parallel, parallel_messages = posting_span(slack, discord, since)
            discord_requests = len(discord.requests) - discord_requests_before

            sequential = 0.0
            if not args.skip_sequential:
                await asyncio.sleep(max(args.slack_burst / args.slack_rate, discord_window) + 0.5)  # refill
                names = [f"s{n}" for n in range(CHANNELS_PER_PLATFORM)] + [
                    f"d{n}" for n in range(CHANNELS_PER_PLATFORM)
                ]
                for name in names:
                    since = time.monotonic()
                    await run_cli(env, "post", "196", "--channel", name)
                    sequential += posting_span(slack, discord, since)[0]

    slack_one = slack_bound(MESSAGES, args.slack_rate, args.slack_burst)
    discord_one = windows_bound(MESSAGES, 5, discord_window)
    discord_all = windows_bound((MESSAGES + THREADS) * CHANNELS_PER_PLATFORM, DISCORD_GLOBAL_RATE, 1.0)
    parallel_bound = max(slack_one, discord_one, discord_all)
    sequential_bound = CHANNELS_PER_PLATFORM * (slack_one + discord_one)
    print(
        f"50 channels x {MESSAGES} messages: 25 Slack at {args.slack_rate:g}/s (burst {args.slack_burst}), "
        f"25 Discord at 5 per {discord_window:g} s, Discord global {DISCORD_GLOBAL_RATE}/s"
    )
    print(
        f"parallel:   {parallel:7.2f} s   bound {parallel_bound:6.2f} s   ratio {parallel / parallel_bound:.3f}"
        f"   ({parallel_messages} messages; {discord_requests} Discord requests, "
        f"{(MESSAGES + THREADS) * CHANNELS_PER_PLATFORM} needed)"
    )
    if not args.skip_sequential:
        print(
            f"sequential: {sequential:7.2f} s   bound {sequential_bound:6.2f} s   "
            f"ratio {sequential / sequential_bound:.3f}   (parallel is {sequential / parallel:.1f}x faster)"
        )
    print(f"429s served: Slack {slack.rate_limited_count}, Discord {discord.rate_limited_count}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slack-rate", type=float, default=10.0)
    parser.add_argument("--slack-burst", type=int, default=3)
    parser.add_argument("--discord-scale", type=float, default=10.0)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--skip-sequential", action="store_true")
    asyncio.run(main(parser.parse_args()))
