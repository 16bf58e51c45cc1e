"""/digest search on Discord, through the real discord.py: English and Chinese hits, ephemeral."""

from __future__ import annotations

from tests.discord.conftest import DiscordWorld
from tests.examples import chinese_issue


async def test_digest_search_finds_english_and_chinese_items_ephemerally(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.post_example()
    await world.store(chinese_issue())
    await world.post(number=12)

    async def search(words: str):
        handle = await emu.dispatch_slash_command(
            world.guild, world.text, world.reader, "digest search", {"words": words}
        )
        return await handle.final()

    english = await search("lyra")
    assert english.ephemeral
    assert "• Google Open-Sources Lyra" in (english.content or "")
    chinese = await search("自然语言")
    assert "• 自然语言处理入门 (#12 · 工具)" in (chinese.content or "")
