"""Slack as a :class:`bot.ports.ChatPlatform`, on slack_sdk's AsyncWebClient.

Each message carries its delivery key in Slack message metadata, so that after a lost response the
channel's history (or the section's thread) tells whether the message landed. 429 answers are retried by
slack_sdk's rate-limit handler after ``Retry-After``; connection errors are not retried here (the message
may have landed) but reported to the core, which looks before it sends again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.outbound.pacing import ChannelPacer
from adapters.slack.blocks import render
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
    config: SlackConfig, token: str | None = None, *, max_rate_limit_retries: int = 10
) -> AsyncWebClient:
    if token is None:
        if config.bot_token is None:
            raise ConfigError("slack.bot_token is not set (needed for Slack channels)")
        token = config.bot_token.get_secret_value()
    # One connection pool for all calls (without it slack_sdk opens a new session, with its own TLS
    # context, for every request), when there is an event loop to hold it.
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


class SlackPlatform:
    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient, *, messages_per_second: float = 1.0, burst: int = 3) -> None:
        self.client = client
        self.pacer = ChannelPacer(messages_per_second, burst)
        self._bot_user_id: str | None = None

    async def bot_user_id(self) -> str:
        if self._bot_user_id is None:
            response = await self._call(self.client.auth_test)
            self._bot_user_id = str(response["user_id"])
        return self._bot_user_id

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
        await self.pacer.bucket(channel.id).acquire()
        response = await self._call(self.client.chat_postMessage, **kwargs)
        ts = str(response["ts"])
        opens_thread = thread is None and type(message).__name__ == "SectionMessage"
        return PostedMessage(message_id=ts, thread_id=ts if opens_thread else None)

    async def edit(
        self, channel: Channel, posted: PostedMessage, message: OutgoingMessage, *, delivery_key: str
    ) -> None:
        text, blocks = render(message)
        await self.pacer.bucket(channel.id).acquire()
        await self._call(
            self.client.chat_update,
            channel=channel.id,
            ts=posted.message_id,
            text=text,
            blocks=blocks,
            metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": delivery_key}},
        )

    async def find_sent(
        self, channel: Channel, delivery_key: str, *, thread: PostedMessage | None
    ) -> PostedMessage | None:
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            if thread is not None:
                parent = thread.thread_id or thread.message_id
                response = await self._call(
                    self.client.conversations_replies,
                    channel=channel.id,
                    ts=parent,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                response = await self._call(
                    self.client.conversations_history,
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
        bot = await self.bot_user_id()
        response = await self._call(
            self.client.reactions_get, channel=channel.id, timestamp=message_id, full=True
        )
        message = response.get("message") or {}
        return [
            Reaction(emoji=str(r["name"]), user_ids=tuple(u for u in r.get("users", []) if u != bot))
            for r in message.get("reactions", [])
        ]

    async def notify(self, supporter: Supporter, text: str) -> bool:
        """Tell one person privately: an ephemeral message in the channel they suggested from, else a DM."""
        if supporter.channel_id:
            await self._call(
                self.client.chat_postEphemeral,
                channel=supporter.channel_id,
                user=supporter.user_id,
                text=text,
            )
        else:
            await self._call(self.client.chat_postMessage, channel=supporter.user_id, text=text)
        return True

    async def send_results(
        self, channel: Channel, text: str, *, image: bytes | None, filename: str, title: str
    ) -> PostedMessage:
        """The weekly results: the chart uploaded (files.getUploadURLExternal, the upload,
        files.completeUploadExternal) and shared in the channel with the ranking as its comment; without a
        chart, the ranking as a message."""
        await self.pacer.bucket(channel.id).acquire()
        if image is None:
            posted = await self._call(self.client.chat_postMessage, channel=channel.id, text=text)
            return PostedMessage(message_id=str(posted["ts"]))
        response = await self._call(
            self.client.files_upload_v2,
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


def make_slack_platform(config: SlackConfig) -> SlackPlatform:
    return SlackPlatform(
        make_client(config), messages_per_second=config.messages_per_second, burst=config.burst
    )
