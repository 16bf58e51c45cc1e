"""Discord reactions in a burst over the gateway: how fast digestbot stores them, and whether any are lost.

Starts the local Discord emulator, ingests and posts the example issue (21 item messages, in the four
section threads), runs ``digestbot run`` as its own process against the emulator's gateway, waits until
its session is ready and its start-up catch-up (reconcile) is done, then pushes 10,000
``MESSAGE_REACTION_ADD``/``MESSAGE_REACTION_REMOVE`` dispatches down the gateway as fast as the emulator
can send them: 80% distinct adds (a few hundred members; 👍, 🔥, ❤️ and a custom ``upvote:ID`` emoji with
its own weight), then removals of a sample of those adds. It prints how many dispatches per second were
processed end to end (from the first dispatch until every reaction is stored) and how many votes are
missing from (or extra in) the database afterwards (target: 0 and 0).

    python benchmarks/discord_gateway.py [--dispatches 10000] [--members 400] [--timeout 90]
                                         [--database-url postgresql://postgres@127.0.0.1/test]

"Stored" is detected without touching the bot: the last dispatch of the burst is a removal, so once its
vote row reads withdrawn every earlier dispatch has reached the bot's vote queue (discord.py hands events
on in gateway order), and once ``/healthz`` then reports no pending reactions, all of them are stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import EXAMPLE, digestbot_env, run_cli, start_bot, sync_url
from bot.emoji import normalise_emoji
from tests.emulators.discord_emulator import DiscordEmulator
from tests.emulators.processes import free_port

UNICODE_EMOJI = ["👍", "🔥", "❤️"]
CUSTOM_EMOJI = "upvote"
WEIGHTS = {"👍": 1, "🔥": 2, "❤️": 1, CUSTOM_EMOJI: 3}
ITEMS = 21  # item messages of the example issue

VOTES_SQL = (
    "SELECT m.message_id AS message_id, v.user_id, v.emoji, v.active FROM votes v "
    "JOIN items i ON i.id = v.item_id "
    "JOIN delivered_messages m ON m.item_key = i.key AND m.platform = 'discord' AND m.message_id IS NOT NULL "
    "WHERE v.platform = 'discord'"
)

Key = tuple[str, str, str]  # (message id, user id, emoji as dispatched)


def active_votes(engine: Engine) -> set[tuple[str, str, str]]:
    """Votes counted now, as (message id, user id, canonical emoji)."""
    with engine.connect() as connection:
        rows = connection.execute(text(VOTES_SQL + " AND v.active"))
        return {(row.message_id, row.user_id, row.emoji) for row in rows}


def vote_state(engine: Engine, message_id: str, user_id: str, emoji: str) -> bool | None:
    """Whether that vote counts now (None: never stored)."""
    with engine.connect() as connection:
        row = connection.execute(
            text(VOTES_SQL + " AND m.message_id = :m AND v.user_id = :u AND v.emoji = :e"),
            {"m": message_id, "u": user_id, "e": emoji},
        ).first()
    return None if row is None else bool(row.active)


class BotLog:
    """Reads the bot's stderr as it comes (so the pipe never fills) and remembers every line."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._stream = stream
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self._stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip())
            self._changed.set()
        self._changed.set()

    async def wait_for(self, *needles: str, within: float) -> str:
        deadline = time.monotonic() + within
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if any(n in line for n in needles):
                    return line
            seen = len(self.lines)
            if self.task.done():
                raise SystemExit("digestbot run exited:\n" + "\n".join(self.lines[-30:]))
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SystemExit(f"digestbot run never logged {needles}:\n" + "\n".join(self.lines[-30:]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


async def pending_reactions(session: aiohttp.ClientSession, port: int) -> int:
    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
        return int((await response.json()).get("pending_reactions", 0))


async def wait_until_stored(
    engine: Engine, port: int, last: tuple[str, str, str, bool], within: float
) -> tuple[float | None, int]:
    """perf_counter() when the last dispatch's effect is stored and nothing is pending (None on timeout),
    and the reactions the bot still had pending when last asked."""
    message_id, user_id, emoji, active = last
    deadline = time.perf_counter() + within
    pending = -1
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() < deadline:
            state = await asyncio.to_thread(vote_state, engine, message_id, user_id, emoji)
            pending = await pending_reactions(session, port)
            if state is active and pending == 0:
                return time.perf_counter(), 0
            await asyncio.sleep(0.02)
    return None, pending


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dispatches", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=195)
    parser.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for the bot to store all"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    workdir = Path(tempfile.mkdtemp(prefix="digestbot-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    # Posting limits raised so that the set-up post takes a second, not half a minute; the gateway has none.
    async with DiscordEmulator(message_rate=(50, 1.0), global_rate=500) as emu:
        guild = emu.add_guild("Deep Learning Weekly")
        channel = emu.add_text_channel(guild, "newsletter")
        upvote = emu.add_custom_emoji(guild, CUSTOM_EMOJI)
        members = [emu.add_member(guild, f"reader{n}") for n in range(args.members)]
        port = free_port()
        config = {
            "database": {"url": database_url},
            "discord": {"token": emu.token, "api_url": emu.api_base, "gateway_url": emu.gateway_url},
            "http": {"host": "127.0.0.1", "port": port},
            "votes": {"emoji": WEIGHTS},
            "channels": [
                {"name": "newsletter", "platform": "discord", "id": str(channel), "guild": str(guild)}
            ],
        }
        config_path = workdir / "config.yaml"
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        env = digestbot_env(config_path)
        await run_cli(env, "ingest", str(EXAMPLE))
        await run_cli(env, "post", "195", "--channel", "newsletter")
        # Item messages live in the section threads: a reaction's channel_id is the thread's id.
        items = [
            (thread_id, message["id"])
            for thread_id, thread in emu.threads.items()
            if thread["parent_id"] == str(channel)
            for message in emu.channel_messages(thread_id)
        ]
        if len(items) != ITEMS:
            raise SystemExit(f"expected {ITEMS} item messages in the threads, found {len(items)}")
        thread_of = {mid: tid for tid, mid in items}

        # The workload: distinct adds, then removals of a sample of them (after every add, in burst order).
        emoji = [*UNICODE_EMOJI, f"{CUSTOM_EMOJI}:{upvote}"]
        removals = args.dispatches // 5
        additions = args.dispatches - removals
        if additions > len(items) * len(members) * len(emoji):
            raise SystemExit("more distinct adds than items x members x emoji: raise --members")
        keys: set[Key] = set()
        while len(keys) < additions:
            keys.add((rng.choice(items)[1], str(rng.choice(members)), rng.choice(emoji)))
        added = sorted(keys)
        rng.shuffle(added)
        withdrawn = rng.sample(added, removals)
        burst = [(key, True) for key in added] + [(key, False) for key in withdrawn]
        expected = {(m, u, normalise_emoji(e)) for m, u, e in set(added) - set(withdrawn)}
        (last_message, last_user, last_emoji), last_added = burst[-1]
        last = (last_message, last_user, normalise_emoji(last_emoji), last_added)

        bot = await start_bot(env, "-v")
        assert bot.stderr is not None
        bot_log = BotLog(bot.stderr)
        engine = create_engine(sync_url(database_url))
        try:
            # Ready: the gateway session is up, slash commands are synced (after READY), the web server
            # serves, and the start-up reconcile is over (else it could re-add a vote the burst withdraws).
            await bot_log.wait_for("serving /healthz", within=60)
            await bot_log.wait_for("reconciled discord", "could not recover votes", within=60)
            if len(emu.connected_sessions) != 1:
                raise SystemExit(f"expected one gateway session, found {emu.connected_sessions}")

            started = time.perf_counter()
            for (message_id, user_id, emoji_key), add in burst:
                thread_id, message, user = thread_of[message_id], int(message_id), int(user_id)
                if add:
                    sent = await emu.dispatch_reaction_add(thread_id, message, user, emoji_key)
                else:
                    sent = await emu.dispatch_reaction_remove(thread_id, message, user, emoji_key)
                if sent is None:
                    raise SystemExit(f"the emulator dropped a dispatch: {message_id} {user_id} {emoji_key}")
            sent_in = time.perf_counter() - started
            stored_at, pending = await wait_until_stored(engine, port, last, args.timeout)
            stored = await asyncio.to_thread(active_votes, engine)
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
            await bot_log.task
            engine.dispose()

    dispatches = len(burst)
    lines = [
        (
            "dispatches",
            f"{dispatches} ({additions} MESSAGE_REACTION_ADD, {removals} MESSAGE_REACTION_REMOVE) "
            f"on {len(items)} items, {args.members} members, {len(emoji)} emoji",
        ),
        ("database", database_url.split("://")[0]),
        ("sent", f"{dispatches / sent_in:.0f} dispatches/s pushed by the emulator ({sent_in:.1f} s)"),
    ]
    if stored_at is None:
        lines.append(
            (
                "all stored",
                f"NOT within {args.timeout:g} s of the last dispatch ({pending} reactions still pending "
                "in the bot; the votes below are as of then)",
            )
        )
    else:
        total = stored_at - started
        lines.append(
            ("all stored", f"{total:.1f} s after the first dispatch: {dispatches / total:.0f} dispatches/s")
        )
    lines.append(
        (
            "votes",
            f"expected {len(expected)}, stored {len(stored)}: {len(expected - stored)} missing, "
            f"{len(stored - expected)} extra",
        )
    )
    for label, value in lines:
        print(f"{label:<11} {value}")
    if "Traceback" in bot_log.text or bot.returncode != 0:
        print(f"bot exited with {bot.returncode}; stderr tail:\n" + "\n".join(bot_log.lines[-30:]))


if __name__ == "__main__":
    asyncio.run(main())
