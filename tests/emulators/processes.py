"""digestbot as its users run it, for the tests that start it as processes of their own (and for the
benchmarks): ``digestbot`` commands run to their end, ``digestbot run`` or a post started in the
background, the environment that points them at an emulator."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from tests.emulators.discord_emulator import DiscordEmulator
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import EXAMPLE

PIPE, DEVNULL = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL

# What `digestbot suggestions --json` lists after one
# "/suggest https://example.com/post?utm_medium=x Nice one".
SUGGESTED_ONCE = [
    {
        "url": "https://example.com/post",
        "note": "Nice one",
        "supporters": 1,
        "status": "pending",
        "title": None,
        "featured_in": None,
    }
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slack_environment(emu: SlackEmulator, config: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DIGESTBOT_CONFIG": str(config),
        "TEST_SLACK_BOT_TOKEN": emu.bot_token,
        "TEST_SLACK_SIGNING_SECRET": emu.signing_secret,
    }


def discord_environment(emu: DiscordEmulator, config: Path) -> dict[str, str]:
    return {**os.environ, "DIGESTBOT_CONFIG": str(config), "TEST_DISCORD_TOKEN": emu.token}


async def start_digestbot(
    env: dict[str, str], *args: str, stdout: int = DEVNULL, stderr: int = PIPE
) -> asyncio.subprocess.Process:
    """``digestbot ARGS`` in the background, with no standard input."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args, env=env, stdin=DEVNULL, stdout=stdout, stderr=stderr
    )


async def digestbot(env: dict[str, str], *args: str, within: float = 120) -> tuple[int, str, str]:
    """Run ``digestbot ARGS`` to its end: its exit code, standard output and standard error."""
    process = await start_digestbot(env, *args, stdout=PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def ingest_and_post_twice(env: dict[str, str], channel: str) -> None:
    """``digestbot ingest`` the example issue, then ``digestbot post`` it to ``channel`` twice, as a user
    would: the second post sends nothing."""
    code, out, err = await digestbot(env, "ingest", str(EXAMPLE))
    assert code == 0, err
    assert "#195" in out
    for _ in range(2):
        code, _, err = await digestbot(env, "post", "195", "--channel", channel)
        assert code == 0, err
    assert "already posted" in err


async def wait_until_serving(port: int, process: asyncio.subprocess.Process | None = None) -> None:
    """Until something accepts connections on the port (and the process, if given, still runs)."""
    for _ in range(400):
        if process is not None and process.returncode is not None:
            raise AssertionError("digestbot run exited early")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("digestbot run did not start serving")
