"""The console channel: a real chat platform whose channel is the terminal.

It shows a post exactly as the chat adapters structure it (a header, then one thread per section with its
numbered items) and, under ``digestbot run``, reads ``/suggest`` and ``/vote`` lines from standard input,
sending them through the same core services the Slack and Discord adapters use.
"""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import sys
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.community.commands import DigestCommands
from bot.community.suggestions import Actor, Reply, SuggestionService
from bot.community.votes import ReactionEvent, VoteOutcome, VoteService
from bot.model import Channel, Platform, PostedMessage
from bot.ports import Reaction, UnitOfWorkFactory
from bot.posting.messages import HeaderMessage, ItemMessage, OutgoingMessage, SectionMessage
from bot.text import first_paragraph, terminal_safe, truncate_at_sentence

BLURB_LIMIT = 400
INTRO_LIMIT = 300


class ConsolePlatform:
    """Implements :class:`bot.ports.ChatPlatform` by printing to a terminal."""

    platform = Platform.CONSOLE

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def send(
        self, channel: Channel, message: OutgoingMessage, *, thread: PostedMessage | None, delivery_key: str
    ) -> PostedMessage:
        message = shown_in_terminal(message)
        if isinstance(message, HeaderMessage):
            self._show_header(channel, message)
            return PostedMessage(message_id=str(message.issue_number))
        if isinstance(message, SectionMessage):
            section_id = f"{message.issue_number}/{message.position + 1}"
            self.console.print()
            self.console.rule(
                f"[bold]🧵 {escape(message.title)}[/] "
                f"[dim]({message.item_count} items, thread {section_id})[/]",
                align="left",
            )
            return PostedMessage(message_id=section_id, thread_id=section_id)
        assert thread is not None, "items go into a section's thread"
        assert thread.thread_id is not None, "items go into a section's thread"
        item_id = f"{thread.thread_id}.{message.number}"
        self._show_item(item_id, message)
        return PostedMessage(message_id=item_id)

    async def edit(
        self, channel: Channel, posted: PostedMessage, message: OutgoingMessage, *, delivery_key: str
    ) -> None:
        """A terminal cannot change what it printed: the corrected message is shown again, marked."""
        message = shown_in_terminal(message)
        self.console.print(f"[yellow]✎ edited {escape(posted.message_id)}:[/]")
        if isinstance(message, HeaderMessage):
            self._show_header(channel, message)
        elif isinstance(message, SectionMessage):
            self.console.print(f"[bold]🧵 {escape(message.title)}[/] [dim]({message.item_count} items)[/]")
        elif message.removed:
            self.console.print("[dim]Removed from this issue.[/]")
        else:
            self._show_item(f"/{posted.message_id.split('/', 1)[-1]}", message)

    async def find_sent(
        self, channel: Channel, delivery_key: str, *, thread: PostedMessage | None
    ) -> PostedMessage | None:
        return None  # a terminal keeps no history to look in: an unconfirmed line is shown again

    async def read_reactions(self, channel: Channel, message_id: str) -> Sequence[Reaction]:
        return ()

    def _show_header(self, channel: Channel, message: HeaderMessage) -> None:
        body = Text()
        if message.subtitle:
            body.append(message.subtitle + "\n\n", style="italic")
        intro = first_paragraph(message.intro, INTRO_LIMIT)
        if intro:
            body.append(intro + "\n\n")
        body.append(f"{message.item_count} items in {len(message.section_titles)} sections: ", style="dim")
        body.append(" · ".join(message.section_titles), style="dim")
        self.console.print(
            Panel(body, title=f"[bold]{escape(message.title)}[/]", subtitle=f"#{channel.name}", expand=True)
        )

    def _show_item(self, item_id: str, message: ItemMessage) -> None:
        label = item_id.split("/", 1)[1]
        title = Text(message.title, style="bold")
        if message.sponsored:
            title.append("  [Sponsored]", style="yellow")
        lines: list[Text] = [title]
        if message.url:
            lines.append(Text(message.url, style="blue underline"))
        blurb = truncate_at_sentence(" ".join(message.blurb.split()), BLURB_LIMIT)
        if blurb:
            lines.append(Text(blurb, style="dim"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", style="bold cyan", min_width=5)
        grid.add_column(max_width=100)
        grid.add_row(label, Group(*lines))
        self.console.print(grid)


CONSOLE_HELP = """Commands:
  /suggest URL [note]      suggest a link for the next issue
  /vote ITEM EMOJI         vote for an item, e.g. /vote 2.3 👍 (ITEM as shown beside it)
  /unvote ITEM EMOJI       withdraw that vote
  /digest top|suggestions|post|status [N]
  help                     this text; end of input (Ctrl-D) quits"""


class ConsoleSession:
    """Reads commands from a text stream and answers on the console, as one local user (an admin)."""

    def __init__(
        self,
        channel: Channel,
        platform: ConsolePlatform,
        uow_factory: UnitOfWorkFactory,
        votes: VoteService,
        suggestions: SuggestionService,
        commands: DigestCommands,
        *,
        user_id: str | None = None,
    ) -> None:
        self._channel = channel
        self._console = platform.console
        self._uow_factory = uow_factory
        self._votes = votes
        self._suggestions = suggestions
        self._commands = commands
        self._actor = Actor(
            platform=Platform.CONSOLE,
            user_id=user_id or _local_user(),
            channel_id=channel.id,
            is_admin=True,
        )

    async def run(self, stream: TextIO | None = None) -> None:
        stream = stream or sys.stdin
        while True:
            line = await asyncio.to_thread(stream.readline)
            if not line:
                return
            line = line.strip()
            if line:
                reply = await self.handle(line)
                style = "green" if reply.ok else "red"
                self._console.print(Text(terminal_safe(reply.text), style=style))

    async def handle(self, line: str) -> Reply:
        command, _, rest = line.partition(" ")
        command = command.lower()
        if command in {"help", "/help", "?"}:
            return Reply(CONSOLE_HELP)
        if command == "/suggest":
            return await self._suggestions.suggest_text(self._actor, rest)
        if command in {"/vote", "/unvote"}:
            return await self._vote(rest, added=command == "/vote")
        if command == "/digest":
            return await self._commands.run(self._actor, rest)
        return Reply(f"Unknown command {command!r}. Type help for the commands.", ok=False)

    async def _vote(self, rest: str, *, added: bool) -> Reply:
        parts = rest.split()
        if len(parts) != 2:
            return Reply("Usage: /vote ITEM EMOJI, for example /vote 2.3 👍", ok=False)
        item, emoji = parts
        message_id = item if "/" in item else await self._latest_message_id(item)
        if message_id is None:
            return Reply("Nothing has been posted to this console yet: run digestbot post first.", ok=False)
        event = ReactionEvent(
            platform=Platform.CONSOLE,
            channel_id=self._channel.id,
            message_id=message_id,
            user_id=self._actor.user_id,
            emoji=emoji,
            added=added,
        )
        outcome = await self._votes.handle(event)
        answers = {
            VoteOutcome.COUNTED: (f"Counted your {emoji} on item {item}.", True),
            VoteOutcome.WITHDRAWN: (f"Withdrew your {emoji} on item {item}.", True),
            VoteOutcome.UNCHANGED: (
                f"Nothing changed: you had {'already' if added else 'not'} voted {emoji} on item {item}.",
                True,
            ),
            VoteOutcome.NOT_AN_ITEM: (f"There is no item {item} in the latest post here.", False),
            VoteOutcome.EMOJI_IGNORED: (f"{emoji} does not count as a vote here.", False),
            VoteOutcome.KEPT: (f"The database is away: your {emoji} is kept and counted later.", True),
        }
        text, ok = answers.get(outcome, (outcome.value, False))
        return Reply(text, ok=ok)

    async def _latest_message_id(self, item: str) -> str | None:
        async with self._uow_factory() as uow:
            deliveries = [d for d in await uow.deliveries.all() if d.channel.id == self._channel.id]
        if not deliveries:
            return None
        latest = max(deliveries, key=lambda d: d.issue_number)
        return f"{latest.issue_number}/{item}"


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console-user"


def shown_in_terminal(message: OutgoingMessage) -> OutgoingMessage:
    """The message with every text from the issue made safe to print (``bot.text.terminal_safe``)."""
    changes: dict[str, object] = {}
    for field in dataclasses.fields(message):
        value = getattr(message, field.name)
        if isinstance(value, str):
            changes[field.name] = terminal_safe(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            changes[field.name] = tuple(terminal_safe(v) for v in value)
    return dataclasses.replace(message, **changes)  # type: ignore[arg-type]
