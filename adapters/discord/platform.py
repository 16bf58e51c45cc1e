"""Discord as a :class:`bot.ports.ChatPlatform`, over discord.py's REST client.

It works with a client that has only logged in (``digestbot post``: no gateway connection) and inside the
running bot, whose client it shares (one HTTP session, one set of rate-limit buckets). Rate limits are
discord.py's own: per-route buckets, pre-emptive waits on ``X-RateLimit-*`` headers, 429 ``retry_after``.

Text channels: the header and each section message go to the channel; a thread named after the section is
started from the section message (thread id == message id) and the section's items are posted into it.
Forum channels: the header is a forum post of its own, each section a forum post whose starter message is
the section message (thread id == starter message id), the items messages in that post.

Exactly once: every message is sent with a nonce derived from its delivery key (``enforce_nonce``: a
resend inside Discord's window returns the message already created) and carries the same reference
visibly (:mod:`adapters.discord.embeds`), which ``find_sent`` looks for in the channel's or thread's
history; forum posts, which take no nonce, are found among the guild's active threads.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

import aiohttp
import discord
from discord.http import handle_message_parameters

from adapters.discord.client import DigestBot, configure_endpoints, map_error
from adapters.discord.embeds import (
    RenderedMessage,
    delivery_ref,
    fit,
    fit_escaped,
    refs_in,
    render,
    section_title_of,
    thread_name,
)
from adapters.discord.threads import ThreadLookup, journal_thread_lookup
from bot.config import ConfigError, DiscordConfig
from bot.model import Channel, Platform, PostedMessage, Supporter
from bot.ports import PlatformError, Reaction, UnitOfWorkFactory
from bot.posting.messages import HeaderMessage, OutgoingMessage, SectionMessage

log = logging.getLogger(__name__)

T = TypeVar("T")

HISTORY_PAGES = 5
PAGE_SIZE = 100
FORUM_POSTS_TO_CHECK = 50
ARCHIVE_MINUTES: Final[Literal[10080]] = 10080  # a week: the threads stay open for votes until the next issue
THREAD_EXISTS = 160004
TEXT_CHANNEL_TYPES = {0, 5}  # text, announcement
FORUM_CHANNEL_TYPES = {15, 16}  # forum, media


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: int
    forum: bool
    guild_id: int | None


class DiscordPlatform:
    platform = Platform.DISCORD

    def __init__(
        self, client: discord.Client, token: str, *, thread_lookup: ThreadLookup | None = None
    ) -> None:
        self.client = client
        self._token = token
        self._thread_lookup = thread_lookup
        self._login_lock = asyncio.Lock()
        self._logged_in = False
        self._channels: dict[str, ChannelInfo] = {}
        self._locations: dict[str, int] = {}  # message id -> channel or thread it was posted in

    # ------------------------------------------------------------------------------------------ plumbing

    async def ensure_login(self) -> None:
        """Log in over REST once (``GET /users/@me`` and the application); no gateway connection."""
        if self._logged_in:
            return
        async with self._login_lock:
            if not self._logged_in:
                await self._call(self.client.login(self._token), "logging in")
                self._logged_in = True

    @property
    def bot_user_id(self) -> int | None:
        return self.client.user.id if self.client.user is not None else None

    async def _call(self, awaitable: Awaitable[T], doing: str) -> T:
        try:
            return await awaitable
        except PlatformError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise map_error(error, doing) from None

    async def channel_info(self, channel: Channel) -> ChannelInfo:
        cached = self._channels.get(channel.id)
        if cached is not None:
            return cached
        if not channel.id.isdigit():
            raise PlatformError(f"{channel.name}: {channel.id!r} is not a Discord channel id", permanent=True)
        data: Any = await self._call(
            self.client.http.get_channel(int(channel.id)), f"looking up channel {channel.name}"
        )
        kind = int(data.get("type", -1))
        if kind not in TEXT_CHANNEL_TYPES | FORUM_CHANNEL_TYPES:
            raise PlatformError(
                f"{channel.name}: Discord channel type {kind} is neither a text nor a forum channel",
                permanent=True,
            )
        guild = data.get("guild_id") or channel.guild_id
        info = ChannelInfo(int(channel.id), kind in FORUM_CHANNEL_TYPES, int(guild) if guild else None)
        self._channels[channel.id] = info
        return info

    # ------------------------------------------------------------------------------------------ posting

    async def send(
        self, channel: Channel, message: OutgoingMessage, *, thread: PostedMessage | None, delivery_key: str
    ) -> PostedMessage:
        await self.ensure_login()
        ref = delivery_ref(delivery_key)
        rendered = render(message, ref)
        info = await self.channel_info(channel)
        if thread is not None:
            target = int(thread.thread_id or thread.message_id)
            data = await self._send_message(target, rendered, ref)
            return PostedMessage(message_id=str(data["id"]))
        if info.forum:
            if isinstance(message, HeaderMessage):
                name = thread_name(fit(message.title, 100))
            elif isinstance(message, SectionMessage):
                name = thread_name(message.title, f" · #{message.issue_number}")
            else:
                raise PlatformError("an item message needs its section's thread", permanent=True)
            thread_id = await self._create_forum_post(info, name, rendered)
            opens = isinstance(message, SectionMessage)
            return PostedMessage(message_id=thread_id, thread_id=thread_id if opens else None)
        data = await self._send_message(info.id, rendered, ref)
        message_id = str(data["id"])
        if isinstance(message, SectionMessage):
            await self._open_thread(info.id, message_id, rendered.thread_name or "Items")
            return PostedMessage(message_id=message_id, thread_id=message_id)
        return PostedMessage(message_id=message_id)

    async def edit(
        self, channel: Channel, posted: PostedMessage, message: OutgoingMessage, *, delivery_key: str
    ) -> None:
        await self.ensure_login()
        rendered = render(message, delivery_ref(delivery_key))
        where = await self._where(channel, posted.message_id)
        with handle_message_parameters(
            content=rendered.content,
            embeds=rendered.embeds,
            allowed_mentions=discord.AllowedMentions.none(),
        ) as params:
            await self._call(
                self.client.http.edit_message(where, int(posted.message_id), params=params),
                f"editing a message in {where}",
            )

    async def _send_message(self, channel_id: int, rendered: RenderedMessage, nonce: str) -> Any:
        with handle_message_parameters(
            content=rendered.content,
            embeds=rendered.embeds,
            nonce=nonce,
            allowed_mentions=discord.AllowedMentions.none(),
        ) as params:
            data: Any = await self._call(
                self.client.http.send_message(channel_id, params=params), f"posting to {channel_id}"
            )
        self._locations[str(data["id"])] = channel_id
        return data

    async def _open_thread(self, channel_id: int, message_id: str, name: str) -> None:
        """Start the section's thread from its message; a thread that already exists is the one."""
        try:
            await self.client.http.start_thread_with_message(
                channel_id, int(message_id), name=name, auto_archive_duration=ARCHIVE_MINUTES
            )
        except discord.HTTPException as error:
            if error.code == THREAD_EXISTS:
                return
            raise map_error(error, f"starting a thread in {channel_id}") from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise map_error(error, f"starting a thread in {channel_id}") from None

    async def _create_forum_post(self, info: ChannelInfo, name: str, rendered: RenderedMessage) -> str:
        with handle_message_parameters(
            content=rendered.content,
            embeds=rendered.embeds,
            allowed_mentions=discord.AllowedMentions.none(),
            channel_payload={"name": name, "auto_archive_duration": ARCHIVE_MINUTES, "type": 11},
        ) as params:
            data: Any = await self._call(
                self.client.http.start_thread_in_forum(info.id, params=params),
                f"creating a forum post in {info.id}",
            )
        thread_id = str(data["id"])
        self._locations[thread_id] = int(thread_id)
        return thread_id

    # ------------------------------------------------------------------------------------------ finding

    async def find_sent(
        self, channel: Channel, delivery_key: str, *, thread: PostedMessage | None
    ) -> PostedMessage | None:
        await self.ensure_login()
        ref = delivery_ref(delivery_key)
        opens_thread = ":section:" in delivery_key
        if thread is not None:
            target = int(thread.thread_id or thread.message_id)
            found = await self._find_in_history(target, ref)
            return PostedMessage(message_id=str(found["id"])) if found is not None else None
        info = await self.channel_info(channel)
        if info.forum:
            thread_id = await self._find_forum_post(info, ref)
            if thread_id is None:
                return None
            return PostedMessage(message_id=thread_id, thread_id=thread_id if opens_thread else None)
        found = await self._find_in_history(info.id, ref)
        if found is None:
            return None
        message_id = str(found["id"])
        if not opens_thread:
            return PostedMessage(message_id=message_id)
        if not found.get("thread"):  # the message landed but its thread was never started
            await self._open_thread(info.id, message_id, section_title_of(found))
        return PostedMessage(message_id=message_id, thread_id=message_id)

    def _is_ours(self, message: dict[str, Any], ref: str) -> bool:
        author = (message.get("author") or {}).get("id")
        if self.bot_user_id is not None and str(author) != str(self.bot_user_id):
            return False
        if str(message.get("nonce") or "") == ref:
            return True
        texts = [message.get("content") or ""]
        texts.extend(((e.get("footer") or {}).get("text") or "") for e in message.get("embeds") or [])
        return any(ref in refs_in(text) for text in texts)

    async def _find_in_history(self, channel_id: int, ref: str) -> dict[str, Any] | None:
        before: int | None = None
        for _ in range(HISTORY_PAGES):
            page: Any = await self._call(
                self.client.http.logs_from(channel_id, PAGE_SIZE, before=before),
                f"reading the history of {channel_id}",
            )
            for message in page:
                if self._is_ours(message, ref):
                    self._locations[str(message["id"])] = channel_id
                    return dict(message)
            if len(page) < PAGE_SIZE:
                return None
            before = min(int(m["id"]) for m in page)
        return None

    async def _find_forum_post(self, info: ChannelInfo, ref: str) -> str | None:
        if info.guild_id is None:
            return None
        data: Any = await self._call(
            self.client.http.get_active_threads(info.guild_id), f"listing the threads of {info.guild_id}"
        )
        posts = sorted(
            (int(t["id"]) for t in data.get("threads", []) if str(t.get("parent_id")) == str(info.id)),
            reverse=True,
        )
        for thread_id in posts[:FORUM_POSTS_TO_CHECK]:
            try:
                starter: Any = await self.client.http.get_message(thread_id, thread_id)
            except discord.NotFound:
                continue
            except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as error:
                raise map_error(error, f"reading forum post {thread_id}") from None
            if self._is_ours(starter, ref):
                self._locations[str(thread_id)] = thread_id
                return str(thread_id)
        return None

    # ------------------------------------------------------------------------------------------ reactions

    async def _where(self, channel: Channel, message_id: str) -> int:
        """The channel or thread a message is in: an item lives in its section's thread."""
        known = self._locations.get(message_id)
        if known is not None:
            return known
        if self._thread_lookup is not None:
            thread = await self._thread_lookup(channel, message_id)
            if thread is not None and thread.isdigit():
                self._locations[message_id] = int(thread)
                return int(thread)
        return (await self.channel_info(channel)).id

    async def read_reactions(self, channel: Channel, message_id: str) -> Sequence[Reaction]:
        await self.ensure_login()
        if not message_id.isdigit():
            raise PlatformError(f"{message_id!r} is not a Discord message id", permanent=True)
        where = await self._where(channel, message_id)
        message: Any = await self._call(
            self.client.http.get_message(where, int(message_id)), f"reading message {message_id}"
        )
        bot = self.bot_user_id
        reactions = []
        for reaction in message.get("reactions") or []:
            emoji = reaction.get("emoji") or {}
            name, emoji_id = emoji.get("name"), emoji.get("id")
            if not name:
                continue
            key = f"{name}:{emoji_id}" if emoji_id else str(name)
            users = await self._reactors(where, int(message_id), key)
            reactions.append(Reaction(emoji=key, user_ids=tuple(u for u in users if u != str(bot))))
        return reactions

    async def _reactors(self, channel_id: int, message_id: int, emoji: str) -> list[str]:
        users: list[str] = []
        after: int | None = None
        while True:
            page: Any = await self._call(
                self.client.http.get_reaction_users(channel_id, message_id, emoji, PAGE_SIZE, after=after),
                f"reading the {emoji} reactions on {message_id}",
            )
            users.extend(str(u["id"]) for u in page)
            if len(page) < PAGE_SIZE:
                return users
            after = max(int(u["id"]) for u in page)

    # ------------------------------------------------------------------------------------------ community

    async def notify(self, supporter: Supporter, text: str) -> bool:
        """A direct message (``POST /users/@me/channels``, then the message)."""
        await self.ensure_login()
        if not supporter.user_id.isdigit():
            return False
        dm: Any = await self._call(
            self.client.http.start_private_message(int(supporter.user_id)), "opening a direct message"
        )
        with handle_message_parameters(
            content=fit_escaped(text, 2000), allowed_mentions=discord.AllowedMentions.none()
        ) as params:
            await self._call(
                self.client.http.send_message(int(dm["id"]), params=params), "sending a direct message"
            )
        return True

    async def send_results(
        self, channel: Channel, text: str, *, image: bytes | None, filename: str, title: str
    ) -> PostedMessage:
        """The weekly results: one message with the ranking, and the chart (if any) as an attachment."""
        await self.ensure_login()
        info = await self.channel_info(channel)
        if info.forum:
            raise PlatformError(
                f"{channel.name}: weekly results are not posted to forum channels", permanent=True
            )
        chart: Any = discord.utils.MISSING  # no file part
        if image is not None:
            chart = discord.File(io.BytesIO(image), filename=filename, description=title)
        with handle_message_parameters(
            content=fit_escaped(text, 2000), file=chart, allowed_mentions=discord.AllowedMentions.none()
        ) as params:
            data: Any = await self._call(
                self.client.http.send_message(info.id, params=params), f"posting results to {channel.name}"
            )
        return PostedMessage(message_id=str(data["id"]))

    async def aclose(self) -> None:
        if not self.client.is_closed():
            await self.client.close()


def make_discord_platform(
    config: DiscordConfig,
    uow_factory: UnitOfWorkFactory,
    *,
    guild_ready_timeout: float = 2.0,
    identify_delay: bool = True,
) -> DiscordPlatform:
    if config.token is None:
        raise ConfigError("discord.token is not set (needed for Discord channels)")
    configure_endpoints(config)
    client = DigestBot(
        guild_ready_timeout=guild_ready_timeout,
        identify_delay=identify_delay,
        requests_per_second=config.requests_per_second,
    )
    return DiscordPlatform(
        client, config.token.get_secret_value(), thread_lookup=journal_thread_lookup(uow_factory)
    )
