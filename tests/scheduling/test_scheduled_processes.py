"""The auto-post as it runs for real: ``digestbot run`` processes against the Slack emulator, SIGKILLed
at many points of a scheduled post and restarted, and two replicas sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
import json
import random
import signal
from pathlib import Path

import yaml

from tests.emulators.processes import digestbot, slack_environment, start_digestbot
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import EXAMPLE
from tests.slack.test_slack_processes import delivery_keys

EVERY_MINUTE = {"cron": "* * * * *", "timezone": "UTC"}


def write_config(
    path: Path, emu: SlackEmulator, database: str, channels: dict[str, str], rate: float
) -> Path:
    config = {
        "database": {"url": database},
        "slack": {
            "bot_token": "${TEST_SLACK_BOT_TOKEN}",
            "signing_secret": "${TEST_SLACK_SIGNING_SECRET}",
            "api_url": emu.api_url,
            "http": {"host": "127.0.0.1", "port": 0},
            "messages_per_second": rate,
            "burst": 1,
        },
        "scheduling": {"tick_seconds": 0.2, "lease_seconds": 1.0, "retry_seconds": 0.5},
        "channels": [
            {"name": name, "platform": "slack", "id": cid, "schedule": EVERY_MINUTE}
            for name, cid in channels.items()
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def wait_for(condition, *, within: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.002)
    return condition()


def assert_posted_once(emu: SlackEmulator, channel: str) -> None:
    keys = delivery_keys(emu, channel)
    assert len(keys) == len(set(keys)) == 26, f"{len(keys)} messages, {len(set(keys))} different"
    top_level = emu.messages(channel)
    assert len(top_level) == 5
    assert sorted(len(emu.replies(channel, s.ts)) for s in top_level[1:]) == [3, 3, 7, 8]


async def kill_chain(tmp_path: Path, emu: SlackEmulator, name: str, kill_points: list[int]) -> list[int]:
    channel = emu.add_channel(name)
    env = slack_environment(
        emu,
        write_config(tmp_path / f"{name}.yaml", emu, f"sqlite:///{tmp_path / name}.db", {name: channel}, 25),
    )
    code, _, err = await digestbot(env, "ingest", str(EXAMPLE))
    assert code == 0, err
    killed_at: list[int] = []
    for point in kill_points:
        run = await start_digestbot(env, "run")
        reached = await wait_for(lambda: len(emu.all_messages(channel)) >= point, within=60)  # noqa: B023
        run.kill()
        await run.wait()
        assert reached, f"{name}: the post never reached message {point}"
        killed_at.append(len(emu.all_messages(channel)))
    assert killed_at[-1] < 26, "the post finished before its last kill"
    run = await start_digestbot(env, "run")
    try:
        assert await wait_for(lambda: len(emu.all_messages(channel)) >= 26, within=60)
        await asyncio.sleep(1.0)  # anything sent twice would show by now
    finally:
        run.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(run.communicate(), 30)
    assert run.returncode == 0, err_bytes.decode()
    assert_posted_once(emu, channel)
    code, out, err = await digestbot(env, "status", "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["last_issue"] == 195
    # The schedule fires every minute: a slot that came due just before the stop may still be pending.
    assert row["last_run"]["state"] in ("done", "pending")
    assert row["failures"] == []
    return killed_at


async def test_scheduled_posts_killed_at_many_points_end_with_every_message_once(tmp_path: Path):
    points = sorted(random.Random(195).sample(range(1, 26), 22))
    async with SlackEmulator(post_rate_per_second=None) as emu:
        chains = await asyncio.gather(
            kill_chain(tmp_path, emu, "news-a", points[0::2]),
            kill_chain(tmp_path, emu, "news-b", points[1::2]),
        )
    kill_points = {n for chain in chains for n in chain}
    assert len(kill_points) >= 20, sorted(kill_points)


async def test_two_replicas_on_one_postgres_post_each_channel_once_even_when_one_dies(
    tmp_path: Path, postgres_database: str
):
    async with SlackEmulator(post_rate_per_second=None) as emu:
        channels = {f"news-{n}": emu.add_channel(f"news-{n}") for n in range(3)}
        env = slack_environment(
            emu, write_config(tmp_path / "config.yaml", emu, postgres_database, channels, 20)
        )
        code, _, err = await digestbot(env, "ingest", str(EXAMPLE))
        assert code == 0, err
        first, second = await start_digestbot(env, "run"), await start_digestbot(env, "run")
        survivors = [second]
        try:
            total = lambda: sum(len(emu.all_messages(c)) for c in channels.values())  # noqa: E731
            assert await wait_for(lambda: total() >= 20, within=60)
            first.kill()  # SIGKILL mid-post: its claims run out, the other replica takes the work over
            await first.wait()
            assert await wait_for(lambda: total() >= 78, within=60)
            await asyncio.sleep(1.5)
        finally:
            for run in survivors:
                run.send_signal(signal.SIGTERM)
                _, err_bytes = await asyncio.wait_for(run.communicate(), 30)
                assert run.returncode == 0, err_bytes.decode()
        for channel in channels.values():
            assert_posted_once(emu, channel)
        code, out, err = await digestbot(env, "status", "--json")
        assert code == 0, err
        assert {r["channel"]: r["last_issue"] for r in json.loads(out)} == dict.fromkeys(channels, 195)
