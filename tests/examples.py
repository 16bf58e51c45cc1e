"""The bundled example issue and the example community, as the tests build them: the issue stored through
a running app, the Discord guild the emulator tests and the end-to-end tests both serve, and what the
end-to-end worlds (Slack, Discord) share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.ingest import parse_file
from tests.emulators.discord_emulator import DiscordEmulator, Permissions
from tests.fakes import issue_of, store

if TYPE_CHECKING:
    from adapters.bootstrap import Application
    from bot.model import Issue
    from bot.posting.poster import PostReport

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "deep-learning-weekly-195.txt"


async def store_in(app: Application, issue: Issue) -> int:
    """Store an issue through the app's unit of work, at the app's clock; its number."""
    saved = await store(app.uow_factory, issue, now=app.clock.now())
    return saved.number


async def ingest_example(app: Application) -> int:
    """Store the example issue (#195) through the app's unit of work; its number."""
    [issue] = parse_file(EXAMPLE)
    return await store_in(app, issue)


def chinese_issue(number: int = 12) -> Issue:
    """A small issue in Chinese, for search: CJK titles without spaces."""
    from bot.model import Item

    return issue_of(
        f"机器学习周刊 第{number}期",
        number,
        sections={
            "工具": [
                Item("深度学习框架的新版本发布", "https://example.cn/framework", "性能提升了两倍。"),
                Item("自然语言处理入门", "https://example.cn/nlp", "从分词开始。"),
            ]
        },
    )


@dataclass(frozen=True)
class NewsletterGuild:
    id: int
    text: int  # "newsletter"
    forum: int  # "newsletter-forum"
    reader: int  # a member without special permissions
    editor: int  # a member with Manage Server


def add_newsletter_guild(emu: DiscordEmulator) -> NewsletterGuild:
    """The example community on the Discord emulator: a text channel and a forum for the newsletter, a
    reader, and an editor who may manage the server."""
    guild = emu.add_guild("Deep Learning Weekly")
    return NewsletterGuild(
        id=guild,
        text=emu.add_text_channel(guild, "newsletter"),
        forum=emu.add_forum_channel(guild, "newsletter-forum"),
        reader=emu.add_member(guild, "reader"),
        editor=emu.add_member(guild, "editor", permissions=Permissions.MANAGE_GUILD),
    )


class AppWorld:
    """What the end-to-end worlds share: digestbot running as ``app`` against an emulator, and the example
    issue stored and posted through it. Each world posts to its own newsletter channel (``post``)."""

    app: Application

    async def store(self, issue: Issue) -> int:
        return await store_in(self.app, issue)

    async def ingest_example(self) -> int:
        return await ingest_example(self.app)

    async def post(self) -> PostReport:
        raise NotImplementedError

    async def post_example(self) -> PostReport:
        """The example issue ingested and posted to the newsletter channel; the report of the post."""
        await self.ingest_example()
        return await self.post()

    async def scores(self, number: int = 195) -> dict[str, Any]:
        scores = await self.app.votes.scores(number)
        assert scores is not None
        return {s.title: s for s in scores}
