"""An issue full of hostile and oversized text, posted through the real discord.py to the emulator: the
post completes within Discord's limits (the emulator refuses a message past any of them), no masked link
shows one site and opens another, and nothing is cut without a visible mark."""

from __future__ import annotations

from tests.discord.conftest import DiscordWorld
from tests.hostile import HOSTILE_ITEMS, discord_spoofs, discord_texts, hostile_issue


async def test_a_hostile_issue_is_posted_whole_within_limits_and_spoofs_nothing(discord_world: DiscordWorld):
    await discord_world.store(hostile_issue())
    report = await discord_world.post()

    assert report.complete, report
    items = [
        m for thread in discord_world.emu.threads for m in discord_world.thread_items(thread) if m["embeds"]
    ]
    assert len(items) == HOSTILE_ITEMS
    for message in [*discord_world.top_level(), *items]:
        assert len(message["content"]) <= 2000
        assert sum(len(text) for text in discord_texts(message)) - len(message["content"]) <= 6000
        for text in discord_texts(message):
            assert discord_spoofs(text) == [], text[:200]

    def shown(title_part: str) -> str:
        message = next(m for m in items if title_part in m["content"])
        return " ".join(discord_texts(message))

    assert "did not fit in Discord" in shown("Huge blurb without a link")
    assert "[Read more](https://example.com/huge)" in shown("Huge blurb with a link")
    spoofed = next(m for m in items if "Spoofed title" in " ".join(discord_texts(m)))
    assert spoofed["embeds"][0]["title"].endswith("https://evil.example/steal")  # its real target
