"""Fan-out benchmark: the example issue (26 messages) to 50 channels at once, then one after the other.

25 channels on the Slack emulator and 25 on the Discord emulator, both enforcing their per-channel limits
(Slack: token bucket of ``--slack-burst`` at ``--slack-rate``/s; Discord: 5 messages per
``5 / --discord-scale`` s per channel and 50 requests/s globally). Prints the wall time of each run and
its ratio to the lower bound those limits allow::

    python benchmarks/fanout.py            # about 2½ minutes, mostly the sequential run

Rates are scaled up from the platforms' (Slack ~1/s, Discord 5 per 5 s) so that the sequential run ends
in about two minutes; the global Discord limit stays at its real 50/s.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import bootstrap, default_platform_factories
from adapters.discord_platform import make_discord_platform
from adapters.discord_runtime import DiscordRuntime
from adapters.scheduling import post_claimed
from bot.config import parse_config
from bot.ingest import parse_file
from bot.model import Platform
from bot.posting import RetryPolicy
from tests.emulators.discord_emulator import DiscordEmulator
from tests.emulators.slack_emulator import SlackEmulator

EXAMPLE = ROOT / "examples" / "deep-learning-weekly-195.txt"
CHANNELS_PER_PLATFORM = 25


def slack_bound(messages: int, rate: float, burst: int) -> float:
    return max(0.0, (messages - burst) / rate)


def discord_bound(messages: int, limit: int, per: float) -> float:
    return (math.ceil(messages / limit) - 1) * per


async def main(args: argparse.Namespace) -> None:
    issue = parse_file(EXAMPLE)[0]
    messages = 26
    discord_per = 5.0 / args.discord_scale
    async with (
        SlackEmulator(post_rate_per_second=args.slack_rate, post_burst=args.slack_burst) as slack,
        DiscordEmulator(message_rate=(5, discord_per), global_rate=50) as discord_emu,
    ):
        guild = discord_emu.add_guild("Bench")
        slack_ids = [slack.add_channel(f"s{n}") for n in range(CHANNELS_PER_PLATFORM)]
        discord_ids = [discord_emu.add_text_channel(guild, f"d{n}") for n in range(CHANNELS_PER_PLATFORM)]
        with tempfile.TemporaryDirectory() as tmp:
            config = {
                "database": {"url": f"sqlite:///{tmp}/bench.db"},
                "slack": {
                    "bot_token": slack.bot_token,
                    "api_url": slack.api_url,
                    "messages_per_second": args.slack_rate,
                    "burst": args.slack_burst,
                },
                "discord": {
                    "token": discord_emu.token,
                    "api_url": discord_emu.api_base,
                    "gateway_url": discord_emu.gateway_url,
                },
                "channels": [{"name": f"s{n}", "platform": "slack", "id": c} for n, c in enumerate(slack_ids)]
                + [
                    {"name": f"d{n}", "platform": "discord", "id": str(c), "guild": str(guild)}
                    for n, c in enumerate(discord_ids)
                ],
            }
            factories = {
                **default_platform_factories(),
                Platform.DISCORD: partial(
                    make_discord_platform, guild_ready_timeout=0.05, identify_delay=False
                ),
            }
            app = await bootstrap(
                parse_config(config, {}), platform_factories=factories, retry=RetryPolicy(first_delay=0.2)
            )
            runtime = DiscordRuntime(app, ready_timeout=10)
            await runtime.start()
            try:
                async with app.uow_factory() as uow:
                    for number in (195, 196):
                        issue.number = number
                        await uow.issues.save(issue, now=app.clock.now())
                    await uow.commit()
                channels = app.channels()
                parallel_bound = max(
                    slack_bound(messages, args.slack_rate, args.slack_burst),
                    discord_bound(messages, 5, discord_per),
                    math.ceil(messages * CHANNELS_PER_PLATFORM / 50) - 1,
                )
                sequential_bound = CHANNELS_PER_PLATFORM * (
                    slack_bound(messages, args.slack_rate, args.slack_burst)
                    + discord_bound(messages, 5, discord_per)
                )

                start = time.perf_counter()
                reports = await post_claimed(app, 195, channels)
                parallel = time.perf_counter() - start
                assert all(r.complete for r in reports), [r.errors for r in reports if r.errors]
                await asyncio.sleep(
                    max(args.slack_burst / args.slack_rate, discord_per) + 0.5
                )  # buckets refill

                sequential = 0.0
                if not args.skip_sequential:
                    start = time.perf_counter()
                    for channel in channels:
                        (report,) = await post_claimed(app, 196, [channel])
                        assert report.complete, report.errors
                    sequential = time.perf_counter() - start
            finally:
                await runtime.stop()
                await app.aclose()
        slack_429 = slack.rate_limited_count
        discord_429 = discord_emu.rate_limited_count

    print(f"50 channels x {messages} messages (25 Slack at {args.slack_rate:g}/s burst {args.slack_burst}, "
          f"25 Discord at 5 per {discord_per:g}s, Discord global 50/s)")  # fmt: skip
    print(
        f"parallel:   {parallel:7.2f} s   bound {parallel_bound:6.2f} s   ratio {parallel / parallel_bound:.3f}"
    )
    if not args.skip_sequential:
        print(
            f"sequential: {sequential:7.2f} s   bound {sequential_bound:6.2f} s   "
            f"ratio {sequential / sequential_bound:.3f}   (parallel is {sequential / parallel:.1f}x faster)"
        )
    print(f"429s served: Slack {slack_429}, Discord {discord_429}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slack-rate", type=float, default=10.0)
    parser.add_argument("--slack-burst", type=int, default=3)
    parser.add_argument("--discord-scale", type=float, default=10.0)
    parser.add_argument("--skip-sequential", action="store_true")
    asyncio.run(main(parser.parse_args()))
