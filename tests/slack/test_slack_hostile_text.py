"""An issue full of hostile and oversized text, posted through the real slack_sdk to the emulator: the
post completes, every message is within Slack's limits, nothing in it can ping or spoof, nothing is cut
without a visible mark."""

from __future__ import annotations

from html import unescape

from tests.emulators.slack_emulator import validate_blocks
from tests.hostile import HOSTILE_MESSAGES, hostile_issue, slack_texts, slack_unsafe
from tests.slack.conftest import SlackWorld, reply_to


async def test_a_hostile_issue_is_posted_whole_within_limits_and_pings_no_one(slack_world: SlackWorld):
    await slack_world.store(hostile_issue())
    report = await slack_world.post()

    assert report.complete, report
    messages = slack_world.emu.all_messages(slack_world.channel_id)
    assert len(messages) == HOSTILE_MESSAGES
    for message in messages:
        assert validate_blocks(message.blocks or []) == []
        assert len(message.text) <= 4000  # Slack cuts a longer fallback in notifications
        for text in slack_texts(message.text, message.blocks):
            assert slack_unsafe(text) == [], text[:200]

    shown = {m.ts: unescape(" ".join(slack_texts(m.text, m.blocks))) for m in messages}
    everything = "\n".join(shown.values())
    assert "<!channel>" in everything  # shown as text, where people can see it
    huge_without_link = next(t for t in shown.values() if "Huge blurb without a link" in t)
    assert "(cut: " in huge_without_link  # 200 KB cannot fit in 50 blocks: the cut says so
    huge_with_link = next(t for t in shown.values() if "Huge blurb with a link" in t)
    assert "Read more" in huge_with_link
    spoofed = next(m for m in messages if "Spoofed title" in unescape(m.text + str(m.blocks)))
    assert "<https://evil.example/steal|https://evil.example/steal>" in str(spoofed.blocks)


async def test_a_hostile_suggestion_is_echoed_as_text(slack_world: SlackWorld):
    answer = await slack_world.emu.send_slash_command(
        slack_world.events_url, "/suggest", "https://example.com/x<!here>y <!channel> <@U0ADMIN001> note"
    )
    reply = await reply_to(slack_world.emu, answer)
    assert slack_unsafe(reply["text"]) == []
    assert "https://example.com/x<!here>y" in unescape(reply["text"])  # echoed as text
