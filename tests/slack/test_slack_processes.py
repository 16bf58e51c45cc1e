"""digestbot as its users run it: separate processes, a config file, the emulator standing in for Slack."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
import yaml

from tests.emulators.processes import (
    DEVNULL,
    PIPE,
    SUGGESTED_ONCE,
    digestbot,
    free_port,
    ingest_and_post_twice,
    slack_environment,
    start_digestbot,
    wait_until_serving,
)
from tests.emulators.slack_emulator import SlackEmulator
from tests.examples import EXAMPLE
from tests.slack.conftest import reply_to


def write_config(tmp_path: Path, emu: SlackEmulator, channel_id: str, port: int, *, rate: float) -> Path:
    config = {
        "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
        "slack": {
            "bot_token": "${TEST_SLACK_BOT_TOKEN}",
            "signing_secret": "${TEST_SLACK_SIGNING_SECRET}",
            "api_url": emu.api_url,
            "http": {"host": "127.0.0.1", "port": port},
            "messages_per_second": rate,
            "burst": 1,
        },
        "votes": {"emoji": {"+1": 1, "fire": 2}},
        "channels": [{"name": "team-news", "platform": "slack", "id": channel_id}],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def delivery_keys(emu: SlackEmulator, channel_id: str) -> list[str]:
    return [m.metadata["event_payload"]["key"] for m in emu.all_messages(channel_id) if m.metadata]


async def test_ingest_post_twice_run_vote_and_suggest_like_a_user(tmp_path: Path):
    async with SlackEmulator(post_rate_per_second=20, post_burst=5) as emu:
        channel = emu.add_channel("team-news")
        port = free_port()
        env = slack_environment(emu, write_config(tmp_path, emu, channel, port, rate=20))

        await ingest_and_post_twice(env, "team-news")
        assert len(emu.all_messages(channel)) == 26

        run = await start_digestbot(env, "run", stdout=PIPE)
        try:
            await wait_until_serving(port, run)
            url = f"http://127.0.0.1:{port}/slack/events"
            emu.event_request_url = url
            alice, bob = emu.default_user_id, emu.add_user("bob")
            sections = emu.messages(channel)[1:]
            lyra = next(r.ts for s in sections for r in emu.replies(channel, s.ts) if "Lyra" in r.text)
            banding = next(
                r.ts for s in sections for r in emu.replies(channel, s.ts) if "Weight Banding" in r.text
            )
            first = await emu.add_reaction(channel, lyra, alice, "+1")
            await emu.add_reaction(channel, lyra, bob, "fire")
            await emu.add_reaction(channel, banding, bob, "+1")
            await emu.remove_reaction(channel, banding, bob, "+1")
            assert first is not None
            await emu.redeliver(url, first)
            good = await emu.send_slash_command(
                url, "/suggest", "https://example.com/post?utm_medium=x Nice one"
            )
            bad = await emu.send_slash_command(url, "/suggest", "not-a-link")
            assert good.status == bad.status == 200
            assert "suggested for the next issue" in (await reply_to(emu, good))["text"]
            assert "only http:// and https://" in (await reply_to(emu, bad))["text"]
        finally:
            run.send_signal(signal.SIGTERM)
            _, run_err = await asyncio.wait_for(run.communicate(), 30)
        assert run.returncode == 0, run_err.decode()
        assert "Traceback" not in run_err.decode()

        code, out, err = await digestbot(env, "votes", "195", "--json")
        assert code == 0, err
        votes = {v["title"]: v for v in json.loads(out)}
        lyra_votes = next(v for t, v in votes.items() if t.startswith("Google Open-Sources Lyra"))
        assert lyra_votes["score"] == 3
        assert lyra_votes["reactions"] == {"thumbsup": 1, "fire": 1}
        assert lyra_votes["section"] == "Top stories"
        assert votes["Weight Banding"]["score"] == 0
        assert json.loads(out)[0]["title"].startswith("Google Open-Sources Lyra")

        code, out, err = await digestbot(env, "suggestions", "--json")
        assert code == 0, err
        assert json.loads(out) == SUGGESTED_ONCE


@pytest.mark.parametrize("kill_after", [1, 6, 14, 25])
async def test_a_post_killed_half_way_resumes_without_duplicates(tmp_path: Path, kill_after: int):
    async with SlackEmulator(post_rate_per_second=None) as emu:
        channel = emu.add_channel("team-news")
        env = slack_environment(emu, write_config(tmp_path, emu, channel, free_port(), rate=25))
        assert (await digestbot(env, "ingest", str(EXAMPLE)))[0] == 0

        post = await start_digestbot(env, "post", "195", "--channel", "team-news", stderr=DEVNULL)
        while len(emu.all_messages(channel)) < kill_after and post.returncode is None:
            await asyncio.sleep(0.005)
        post.kill()
        await post.wait()
        assert len(emu.all_messages(channel)) < 26, "the post finished before it could be killed"

        code, _, err = await digestbot(env, "post", "195", "--channel", "team-news")
        assert code == 0, err
        keys = delivery_keys(emu, channel)
        assert len(keys) == len(set(keys)) == 26
        top_level = emu.messages(channel)
        assert len(top_level) == 5
        assert sorted(len(emu.replies(channel, s.ts)) for s in top_level[1:]) == [3, 3, 7, 8]


def correct(text: str) -> str:
    """The example as its editor fixes it after posting: a title, a removed item and a late addition."""
    corrected = text.replace("Weight Banding", "Weight Banding (corrected)")
    assert corrected != text
    start = corrected.index("VidSitu")
    end = corrected.index("\n\n", corrected.index("\n\n", start) + 2)
    removed = corrected[:start] + corrected[end + 2 :]
    assert "VidSitu" not in removed
    return removed.rstrip("\n") + "\n\nPaper four\n\nA late addition to the papers.\n"


@pytest.mark.parametrize("kill_after_edits", [1, 3])
async def test_a_corrected_issue_is_edited_in_place_through_a_kill(tmp_path: Path, kill_after_edits: int):
    async with SlackEmulator(post_rate_per_second=None) as emu:
        channel = emu.add_channel("team-news")
        env = slack_environment(emu, write_config(tmp_path, emu, channel, free_port(), rate=25))
        assert (await digestbot(env, "post", str(EXAMPLE), "--channel", "team-news"))[0] == 0
        before = {m.ts: m.text for m in emu.all_messages(channel)}
        corrected = tmp_path / "195-corrected.txt"
        corrected.write_text(correct(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")

        def edits() -> int:
            return sum(m.edits for m in emu.all_messages(channel))

        ingest = await start_digestbot(env, "ingest", str(corrected), stderr=DEVNULL)
        while edits() < kill_after_edits and ingest.returncode is None:
            await asyncio.sleep(0.002)
        ingest.kill()
        await ingest.wait()

        code, out, err = await digestbot(env, "post", "195", "--dry-run", "--channel", "team-news")
        assert code == 0, err
        assert "would edit" in out
        code, _, err = await digestbot(env, "post", "195", "--channel", "team-news")
        assert code == 0, err
        assert "corrected in place" in err or edits() >= 4

        messages = emu.all_messages(channel)
        keys = delivery_keys(emu, channel)
        assert len(keys) == len(set(keys)) == 27  # one new item, sent once; nothing deleted
        assert all(ts in {m.ts for m in messages} for ts in before)
        texts = [m.text for m in messages]
        assert any("Weight Banding (corrected)" in t for t in texts)
        assert not any("VidSitu" in t for t in texts)
        assert sum("Removed from this issue" in t for t in texts) == 1
        assert any("Paper four" in t for t in texts)
        header = emu.messages(channel)[0]
        assert "edited" in str(header.blocks)
        assert max(m.edits for m in messages) <= 2  # an edit repeated once after the kill, at most
        again = await digestbot(env, "post", "195", "--channel", "team-news")
        assert "nothing sent" in again[2]
        assert sum(m.edits for m in emu.all_messages(channel)) == edits()
