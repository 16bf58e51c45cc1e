"""/digest search on Slack, through the real bolt stack: English and Chinese hits, for the asker only."""

from __future__ import annotations

from html import unescape

from tests.examples import chinese_issue
from tests.slack.conftest import SlackWorld, reply_to


async def test_digest_search_finds_english_and_chinese_items_ephemerally(slack_world: SlackWorld):
    emu = slack_world.emu
    await slack_world.post_example()
    await slack_world.store(chinese_issue())
    await slack_world.post(12)

    english = await reply_to(
        emu, await emu.send_slash_command(slack_world.events_url, "/digest", "search lyra")
    )
    assert english["response_type"] == "ephemeral"
    lines = unescape(english["text"]).splitlines()
    assert lines[1].startswith("• Google Open-Sources Lyra")
    assert "(#195 · Top stories)" in lines[1]

    chinese = await reply_to(
        emu, await emu.send_slash_command(slack_world.events_url, "/digest", "search 框架")
    )
    assert "• 深度学习框架的新版本发布 (#12 · 工具)" in chinese["text"]
    assert "https://example.cn/framework" in chinese["text"]

    nothing = await reply_to(
        emu, await emu.send_slash_command(slack_world.events_url, "/digest", 'search "*')
    )
    assert nothing["text"].startswith("Search for words")
