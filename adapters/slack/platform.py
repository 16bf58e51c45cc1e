"""Slack as a :class:`bot.ports.ChatPlatform`, on slack_sdk's AsyncWebClient.

Each message carries its delivery key in Slack message metadata, so that after a lost response the
channel's history (or the section's thread) tells whether the message landed. 429 answers are retried by
slack_sdk's rate-limit handler after ``Retry-After``; connection errors are not retried here (the message
may have landed) but reported to the core, which looks before it sends again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.outbound.pacing import ChannelPacer
from adapters.slack.blocks import MAX_REPLY_TEXT, fit, render
from adapters.slack.installations import Installations
from bot.config import ConfigError, SlackConfig
from bot.model import Channel, Platform, PostedMessage, Supporter
from bot.ports import PlatformError, Reaction
from bot.posting.messages import OutgoingMessage

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "digestbot_message"
HISTORY_PAGES = 5
# Errors that retrying will not cure: the channel, the token or the permissions must change first.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "restricted_action",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "thread_not_found",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)


def make_client(
    config: SlackConfig,
    token: str | None = None,
    *,
    max_rate_limit_retries: int = 10,
    session: aiohttp.ClientSession | None = None,
    tokenless: bool = False,
) -> AsyncWebClient:
    """A Web API client; ``tokenless`` for the OAuth flow's and bolt's, which take each workspace's token."""
    if token is None and not tokenless:
        if config.bot_token is None:
            raise ConfigError("slack.bot_token is not set (needed for Slack channels)")
        token = config.bot_token.get_secret_value()
    # One connection pool for all calls (without it slack_sdk opens a new session, with its own TLS
    # context, for every request), when there is an event loop to hold it.
    if session is None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            session = None
        else:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    # Only 429s are retried here: slack_sdk's default connection-error retry would post a message twice
    # when the connection broke after Slack accepted it. The core looks before it sends again instead.
    return AsyncWebClient(
        token=token,
        base_url=config.api_url,
        timeout=30,
        session=session,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries)],
    )


@dataclass(frozen=True, slots=True)
class Workspace:
    """Where a channel is: its workspace (None with the one configured token), the client, the bot user."""

    team_id: str | None
    client: AsyncWebClient
    bot_user_id: str | None


class SlackPlatform:
    """Slack through one bot token, or (``installations``) through each workspace's own.

    With installations, a channel's workspace is its ``team`` (``Channel.guild_id``); a channel that names
    none is posted with ``slack.bot_token`` if one is configured, else with the one workspace installed.
    User ids of reactions are qualified by workspace (``T…:U…``): ids of two workspaces may be the same.
    """

    platform = Platform.SLACK

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        messages_per_second: float = 1.0,
        burst: int = 3,
        installations: Installations | None = None,
        client_for_token: Callable[[str], AsyncWebClient] | None = None,
    ) -> None:
        self.client = client
        self.pacer = ChannelPacer(messages_per_second, burst)
        self.installations = installations
        self._client_for_token = client_for_token
        self._clients: dict[str, AsyncWebClient] = {}
        self._bot_user_id: str | None = None
        self._static_team: str | None = None

    async def bot_user_id(self) -> str:
        if self._bot_user_id is None:
            response = await self._call(self.client.auth_test)
            self._bot_user_id = str(response["user_id"])
        return self._bot_user_id

    async def static_team(self) -> str:
        """The workspace of ``slack.bot_token``, with installations next to it (its voters are qualified)."""
        if self._static_team is None:
            who = await self._call(self.client.auth_test)
            self._static_team = str(who["team_id"])
            self._bot_user_id = str(who["user_id"])
            if self.installations is not None and self.client.token is not None:
                await self.installations.adopt(self.client.token, dict(who.data))
        return self._static_team

    async def workspace(self, team_id: str | None) -> Workspace:
        """The client (and bot user) to reach a workspace with; a permanent error when it is not installed."""
        if self.installations is None:
            return Workspace(None, self.client, None)
        if team_id is None and self.client.token is not None:  # slack.bot_token, next to the installs
            return Workspace(await self.static_team(), self.client, await self.bot_user_id())
        if team_id is None:
            try:
                teams = await self.installations.teams()
            except SQLAlchemyError as error:
                raise PlatformError(
                    f"could not read the Slack installations: {error.__class__.__name__}"
                ) from None
            if len(teams) != 1:
                raise PlatformError(
                    f"digestbot is installed in {len(teams)} Slack workspaces: name the channel's team",
                    permanent=True,
                )
            team_id = teams[0]
        try:
            bot = await self.installations.bot(team_id)
        except SQLAlchemyError as error:  # the database is down or busy: a later try may find it
            raise PlatformError(
                f"could not read the Slack installations: {error.__class__.__name__}"
            ) from None
        if bot is None or bot.bot_token is None:
            raise PlatformError(f"the Slack workspace {team_id} has not installed digestbot", permanent=True)
        client = self._clients.get(bot.bot_token)
        if client is None:
            assert self._client_for_token is not None
            client = self._clients[bot.bot_token] = self._client_for_token(bot.bot_token)
        return Workspace(team_id, client, bot.bot_user_id)

    async def unavailable(self, channel: Channel) -> str | None:
        """Why posts to ``channel`` cannot go out (its workspace uninstalled digestbot), or None."""
        try:
            await self.workspace(channel.guild_id)
        except PlatformError as error:
            return str(error) if error.permanent else None
        return None

    async def send(
        self, channel: Channel, message: OutgoingMessage, *, thread: PostedMessage | None, delivery_key: str
    ) -> PostedMessage:
        text, blocks = render(message)
        kwargs: dict[str, Any] = {
            "channel": channel.id,
            "text": text,
            "blocks": blocks,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": delivery_key}},
        }
        if thread is not None:
            kwargs["thread_ts"] = thread.thread_id or thread.message_id
        client = (await self.workspace(channel.guild_id)).client
        await self.pacer.bucket(channel.id).acquire()
        response = await self._call(client.chat_postMessage, **kwargs)
        ts = str(response["ts"])
        opens_thread = thread is None and type(message).__name__ == "SectionMessage"
        return PostedMessage(message_id=ts, thread_id=ts if opens_thread else None)

    async def edit(
        self, channel: Channel, posted: PostedMessage, message: OutgoingMessage, *, delivery_key: str
    ) -> None:
        text, blocks = render(message)
        client = (await self.workspace(channel.guild_id)).client
        await self.pacer.bucket(channel.id).acquire()
        await self._call(
            client.chat_update,
            channel=channel.id,
            ts=posted.message_id,
            text=text,
            blocks=blocks,
            metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": delivery_key}},
        )

    async def find_sent(
        self, channel: Channel, delivery_key: str, *, thread: PostedMessage | None
    ) -> PostedMessage | None:
        client = (await self.workspace(channel.guild_id)).client
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            if thread is not None:
                parent = thread.thread_id or thread.message_id
                response = await self._call(
                    client.conversations_replies,
                    channel=channel.id,
                    ts=parent,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                response = await self._call(
                    client.conversations_history,
                    channel=channel.id,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            for found in response.get("messages", []):
                metadata = found.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("key") == delivery_key:
                    ts = str(found["ts"])
                    is_section = thread is None and ":section:" in delivery_key
                    return PostedMessage(message_id=ts, thread_id=ts if is_section else None)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    async def read_reactions(self, channel: Channel, message_id: str) -> Sequence[Reaction]:
        where = await self.workspace(channel.guild_id)
        bot = where.bot_user_id or await self.bot_user_id()
        response = await self._call(
            where.client.reactions_get, channel=channel.id, timestamp=message_id, full=True
        )
        message = response.get("message") or {}
        return [
            Reaction(
                emoji=str(r["name"]),
                user_ids=tuple(voter_id(where.team_id, u) for u in r.get("users", []) if u != bot),
            )
            for r in message.get("reactions", [])
        ]

    async def notify(self, supporter: Supporter, text: str) -> bool:
        """Tell one person privately: an ephemeral message in the channel they suggested from, else a DM."""
        text = fit(text, MAX_REPLY_TEXT)
        client = (await self.workspace(supporter.workspace_id)).client
        user = supporter.user_id.rpartition(":")[2]
        if supporter.channel_id:
            await self._call(client.chat_postEphemeral, channel=supporter.channel_id, user=user, text=text)
        else:
            await self._call(client.chat_postMessage, channel=user, text=text)
        return True

    async def send_results(
        self, channel: Channel, text: str, *, image: bytes | None, filename: str, title: str
    ) -> PostedMessage:
        """The weekly results: the chart uploaded (files.getUploadURLExternal, the upload,
        files.completeUploadExternal) and shared in the channel with the ranking as its comment; without a
        chart, the ranking as a message."""
        text = fit(text, MAX_REPLY_TEXT)
        client = (await self.workspace(channel.guild_id)).client
        await self.pacer.bucket(channel.id).acquire()
        if image is None:
            posted = await self._call(client.chat_postMessage, channel=channel.id, text=text)
            return PostedMessage(message_id=str(posted["ts"]))
        response = await self._call(
            client.files_upload_v2,
            channel=channel.id,
            file=image,
            filename=filename,
            title=title,
            initial_comment=text,
        )
        files = response.get("files") or [response.get("file") or {}]
        return PostedMessage(message_id=str(files[0].get("id", "")))

    async def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown_error"))
            raise PlatformError(
                f"Slack refused the request: {code}", permanent=code in PERMANENT_ERRORS
            ) from None
        except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError) as error:
            raise PlatformError(f"Slack did not answer: {error.__class__.__name__}") from None

    async def aclose(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def voter_id(team_id: str | None, user_id: str) -> str:
    """A Slack user as votes know them: qualified by workspace when digestbot serves several."""
    return f"{team_id}:{user_id}" if team_id else user_id


def make_slack_platform(config: SlackConfig, engine: AsyncEngine | None = None) -> SlackPlatform:
    """One bot token (``slack.bot_token``), or with ``client_id``/``client_secret`` the workspaces'."""
    if not config.oauth:
        return SlackPlatform(
            make_client(config), messages_per_second=config.messages_per_second, burst=config.burst
        )
    if engine is None:
        raise ConfigError("Slack OAuth (slack.client_id) needs the database to keep installations in")
    assert config.client_id is not None
    client = make_client(config, tokenless=config.bot_token is None)

    def client_for_token(token: str) -> AsyncWebClient:
        return make_client(config, token, session=client.session)

    return SlackPlatform(
        client,
        messages_per_second=config.messages_per_second,
        burst=config.burst,
        installations=Installations(config.client_id, engine),
        client_for_token=client_for_token,
    )
