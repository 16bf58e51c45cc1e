"""digestbot's discord.py cogs: reactions as votes, ``/suggest``, and the ``/digest`` command group.

Interactions are answered inside Discord's 3 s: with the reply itself when the core is done within
:data:`INLINE_REPLY_SECONDS`, otherwise deferred (ephemerally) and the reply sent as a follow-up when it is
ready. Whatever goes wrong, the user sees a short apology, never a traceback; the log says what happened.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.embeds import escape
from bot.community.suggestions import Actor, Reply, TriageCard
from bot.community.votes import ReactionEvent
from bot.model import Platform
from bot.search import MAX_QUERY_LENGTH

if TYPE_CHECKING:
    from adapters.bootstrap import Application
    from bot.community.commands import PostRequest

log = logging.getLogger(__name__)

INLINE_REPLY_SECONDS = 2.0
MAX_REPLY = 2000
FAILURE_REPLY = "Sorry, something went wrong on digestbot's side; nothing was saved. Please try again."


def emoji_key(emoji: discord.PartialEmoji) -> str:
    """A reaction's emoji as digestbot names it: the unicode character, or ``name:id`` for a custom one."""
    if emoji.id is None:
        return emoji.name or ""
    return f"{emoji.name}:{emoji.id}"


def fit_reply(text: str) -> str:
    """A reply as Discord shows it: its outside text (a link, a note, a title) escaped, never formatted
    or turned into a masked link, and cut at a line to fit."""
    text = escape(text)
    if len(text) <= MAX_REPLY:
        return text
    cut = text.rfind("\n", 0, MAX_REPLY - 2)
    return text[: cut if cut > 0 else MAX_REPLY - 2].rstrip() + "\n…"


def discord_actor(app: Application, interaction: discord.Interaction) -> Actor:
    user = interaction.user
    admins = set(app.config.admins.discord)
    roles = {str(role.id) for role in getattr(user, "roles", [])}
    is_admin = bool(interaction.permissions.manage_guild or str(user.id) in admins or roles & admins)
    return Actor(
        platform=Platform.DISCORD,
        user_id=str(user.id),
        workspace_id=str(interaction.guild_id) if interaction.guild_id else None,
        channel_id=str(interaction.channel_id) if interaction.channel_id else None,
        is_admin=is_admin,
        display_name=user.display_name,
    )


async def answer(interaction: discord.Interaction, work: Awaitable[Reply]) -> None:
    """Reply with the core's answer in time: inline if quick, else deferred and followed up."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=INLINE_REPLY_SECONDS)
        if task in done:
            reply = _reply_of(task, interaction)
            views = triage_views(reply.cards)
            if views:
                await interaction.response.send_message(fit_reply(reply.text), ephemeral=True, view=views[0])
            else:
                await interaction.response.send_message(fit_reply(reply.text), ephemeral=reply.ephemeral)
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await asyncio.wait({task})
            reply = _reply_of(task, interaction)
            views = triage_views(reply.cards)
            if views:
                await interaction.followup.send(fit_reply(reply.text), ephemeral=True, view=views[0])
            else:
                await interaction.followup.send(fit_reply(reply.text), ephemeral=True)
        for view in views[1:]:  # five rows a message: the other suggestions' buttons follow
            await interaction.followup.send("More pending suggestions:", ephemeral=True, view=view)
    except (discord.DiscordException, OSError, TimeoutError) as error:
        log.warning("could not answer /%s: %s", _command_name(interaction), error)
    finally:
        if not task.done():
            task.cancel()


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "command"


def _reply_of(task: asyncio.Future[Reply], interaction: discord.Interaction) -> Reply:
    error = task.exception()
    if error is None:
        return task.result()
    log.error("/%s failed: %s: %s", _command_name(interaction), error.__class__.__name__, error)
    log.debug("/%s failure", _command_name(interaction), exc_info=error)
    return Reply(FAILURE_REPLY, ok=False)


TRIAGE_PREFIX = "digestbot:"
CARDS_PER_MESSAGE = 2  # a select row and a button row each; Discord allows five rows a message


def triage_views(cards: Sequence[TriageCard]) -> list[discord.ui.View]:
    """Approve / Reject buttons and a section select for each pending suggestion (``/digest
    suggestions``); the presses come back as component interactions to :class:`TriageCog`."""
    views: list[discord.ui.View] = []
    for start in range(0, len(cards), CARDS_PER_MESSAGE):
        view = discord.ui.View(timeout=None)
        for row, card in enumerate(cards[start : start + CARDS_PER_MESSAGE]):
            label = card.text.split("\n", 1)[0]
            if card.sections:
                view.add_item(
                    discord.ui.Select(
                        custom_id=f"{TRIAGE_PREFIX}section:{card.suggestion_id}",
                        placeholder=f"Section for {label}"[:150],
                        options=[
                            discord.SelectOption(label=s[:100], value=s[:100]) for s in card.sections[:25]
                        ],
                        row=row * 2,
                    )
                )
            for action, style in (
                ("approve", discord.ButtonStyle.success),
                ("reject", discord.ButtonStyle.danger),
            ):
                view.add_item(
                    discord.ui.Button(
                        style=style,
                        label=f"{action.capitalize()}: {label}"[:80],
                        custom_id=f"{TRIAGE_PREFIX}{action}:{card.suggestion_id}",
                        row=row * 2 + 1,
                    )
                )
        views.append(view)
    return views


class TriageCog(commands.Cog, name="Triage"):
    """The buttons and selects of ``/digest suggestions``: only admins' presses count."""

    def __init__(self, app: Application) -> None:
        self.app = app

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith(TRIAGE_PREFIX):
            return
        action, _, raw_id = custom_id.removeprefix(TRIAGE_PREFIX).partition(":")
        if not raw_id.isdigit():
            return
        actor = discord_actor(self.app, interaction)
        triage = self.app.triage
        if action == "section":
            raw_values = data.get("values") or []
            values = [str(v) for v in raw_values]
            work = triage.choose_section(actor, int(raw_id), values[0] if values else None)
        else:
            work = triage.decide(actor, int(raw_id), approve=action == "approve")
        await answer(interaction, work)


class VotesCog(commands.Cog, name="Votes"):
    """Reactions on item messages, counted as votes by the core."""

    def __init__(self, bot: commands.Bot, app: Application) -> None:
        self.bot = bot
        self.app = app

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._handle(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._handle(payload, added=False)

    async def _handle(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        if payload.guild_id is None:
            return  # a direct message: digestbot posts only to guild channels
        bot_user = self.bot.user
        event = ReactionEvent(
            platform=Platform.DISCORD,
            channel_id=str(payload.channel_id),  # for an item: its section's thread
            message_id=str(payload.message_id),
            user_id=str(payload.user_id),
            emoji=emoji_key(payload.emoji),
            added=added,
            by_bot=bot_user is not None and payload.user_id == bot_user.id,
        )
        try:
            outcome = await self.app.votes.handle(event)
        except Exception as error:  # one failed vote must not take the listener down
            log.error(
                "could not count a reaction on %s: %s: %s", payload.message_id, type(error).__name__, error
            )
            return
        log.debug(
            "discord reaction %s by %s on %s: %s", event.emoji, event.user_id, event.message_id, outcome
        )


class SuggestCog(commands.Cog, name="Suggest"):
    def __init__(self, app: Application) -> None:
        self.app = app

    @app_commands.command(name="suggest", description="Suggest a link for the next issue")
    @app_commands.describe(
        url="The link to suggest",
        note="Why it is worth reading (optional)",
        newsletter="For which newsletter (default: this channel's)",
    )
    @app_commands.rename(newsletter="for")
    @app_commands.guild_only()
    async def suggest(
        self,
        interaction: discord.Interaction,
        url: str,
        note: str | None = None,
        newsletter: str | None = None,
    ) -> None:
        actor = discord_actor(self.app, interaction)
        await answer(interaction, self.app.suggestions.suggest(actor, url, note, newsletter=newsletter))


def command_text(name: str, number: int | None, newsletter: str | None) -> str:
    """A ``/digest`` sub-command's options as the text the shared command parser reads."""
    words = [
        name,
        *(newsletter.split() if newsletter else ()),
        *([str(number)] if number is not None else []),
    ]
    return " ".join(words)


@app_commands.guild_only()
class DigestCog(
    commands.GroupCog, group_name="digest", group_description="digestbot: votes, suggestions, posts"
):
    def __init__(self, app: Application, request_post: PostRequest | None) -> None:
        self.app = app
        self.request_post = request_post
        super().__init__()

    async def _run(self, interaction: discord.Interaction, text: str) -> None:
        actor = discord_actor(self.app, interaction)
        await answer(interaction, self.app.commands(self.request_post).run(actor, text))

    @app_commands.command(name="top", description="The top voted items of an issue (default: the latest)")
    @app_commands.describe(number="Issue number", newsletter="Newsletter id (default: this channel's)")
    async def top(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1] | None = None,
        newsletter: str | None = None,
    ) -> None:
        await self._run(interaction, command_text("top", number, newsletter))

    @app_commands.command(name="suggestions", description="Pending suggestions (admins)")
    async def suggestions(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "suggestions")

    @app_commands.command(
        name="post", description="Post an issue to this channel (admins; default: the latest)"
    )
    @app_commands.describe(number="Issue number", newsletter="Newsletter id (default: this channel's)")
    async def post(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1] | None = None,
        newsletter: str | None = None,
    ) -> None:
        await self._run(interaction, command_text("post", number, newsletter))

    @app_commands.command(name="status", description="What was posted where (admins)")
    async def status(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "status")

    @app_commands.command(name="search", description="Find items of the posted issues (only you see it)")
    @app_commands.describe(words="Words to find in titles, blurbs and sections")
    async def search(
        self, interaction: discord.Interaction, words: app_commands.Range[str, 1, MAX_QUERY_LENGTH]
    ) -> None:
        await self._run(interaction, f"search {words}")


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Errors raised before a command body ran (a check, an argument): an apology, and a log line."""
    log.warning("/%s failed: %s", _command_name(interaction), error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(FAILURE_REPLY, ephemeral=True)
        else:
            await interaction.response.send_message(FAILURE_REPLY, ephemeral=True)
    except (discord.DiscordException, OSError) as reply_error:
        log.warning("could not answer /%s: %s", _command_name(interaction), reply_error)
