"""What the emulated workspace holds and what it saw: users, channels, messages, ephemerals, command
responses, the app's answers, Socket Mode acks, uploaded files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class UploadedFile:
    """A file uploaded through ``files.getUploadURLExternal`` + the upload URL."""

    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    message_ts: str | None = None


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    tz: str = "Europe/Berlin"

    def to_api(self, team_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": self.tz,
            "profile": {"real_name": self.real_name, "display_name": self.name},
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    team: str = ""  # the workspace it is in (the emulator's first one when empty)
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_im": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_member": True,
            "created": self.created,
        }


@dataclass
class StoredMessage:
    """One message as the emulator stores it (top-level or thread reply)."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None  # set on replies (the parent's ts)
    parent_user_id: str | None = None  # set on replies
    bot_id: str | None = None
    unfurl_links: bool | None = None
    unfurl_media: bool | None = None
    reply_broadcast: bool = False
    edited_ts: str | None = None
    edits: int = 0  # how many times chat.update changed it
    subtype: str | None = None
    # reaction name -> user ids in the order they reacted
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[dict[str, Any]] | None = None  # shared files (files.completeUploadExternal)
    replies: list[StoredMessage] = field(default_factory=list, repr=False)  # on parents only

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None

    def reaction_list(self, *, users_cap: int | None = None) -> list[dict[str, Any]]:
        return [
            {"name": name, "users": list(users[:users_cap] if users_cap else users), "count": len(users)}
            for name, users in self.reactions.items()
            if users
        ]

    def to_api(self, *, team_id: str, app_id: str, include_metadata: bool = True) -> dict[str, Any]:
        """The message in the shape Slack returns it from history/replies/postMessage."""
        msg: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        if self.subtype:
            msg["subtype"] = self.subtype
        if self.bot_id:
            msg["bot_id"] = self.bot_id
            msg["app_id"] = app_id
        msg["team"] = team_id
        if self.blocks is not None:
            msg["blocks"] = self.blocks
        if self.metadata is not None and include_metadata:
            msg["metadata"] = self.metadata
        if self.edited_ts:
            msg["edited"] = {"user": self.user, "ts": self.edited_ts}
        if self.thread_ts is not None:
            msg["thread_ts"] = self.thread_ts
            msg["parent_user_id"] = self.parent_user_id
        elif self.replies:
            users = list(dict.fromkeys(r.user for r in self.replies))
            msg.update(
                thread_ts=self.ts,
                reply_count=len(self.replies),
                reply_users_count=len(users),
                reply_users=users[:5],
                latest_reply=self.replies[-1].ts,
                is_locked=False,
                subscribed=False,
            )
        if self.reactions:
            msg["reactions"] = self.reaction_list()
        return msg


@dataclass
class Ephemeral:
    """An ephemeral message: via ``chat.postEphemeral`` ("api"), a ``response_url`` post or an ack body."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    via: str  # "api" | "response_url" | "ack"
    ts: str
    thread_ts: str | None = None
    trigger_id: str | None = None


@dataclass
class CommandResponse:
    """Something the app sent back for a slash command (ack body or a ``response_url`` post)."""

    trigger_id: str
    via: str  # "ack" | "response_url"
    body: dict[str, Any]
    response_type: str  # "ephemeral" | "in_channel"
    at: float


@dataclass
class CommandInvocation:
    trigger_id: str
    command: str
    text: str
    user_id: str
    channel_id: str
    response_url: str
    response_id: str
    fields: dict[str, str]
    responses: list[CommandResponse] = field(default_factory=list)
    response_url_uses: int = 0


@dataclass(frozen=True)
class AppResponse:
    """What the app answered to a delivery from the emulator.

    Iterating yields ``(status, body)`` so ``status, body = await emu.deliver_event(...)`` works.
    ``elapsed`` is the wall time from sending the request to reading the full answer (the ack latency).
    """

    status: int
    body: str
    headers: Mapping[str, str]
    elapsed: float
    trigger_id: str | None = None
    event_id: str | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.body))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SocketAck:
    envelope_id: str
    envelope_type: str
    payload: dict[str, Any] | None
    elapsed: float  # seconds from pushing the envelope to receiving the ack
    raw: dict[str, Any]


@dataclass
class EventDelivery:
    """One event the emulator sent to the app, by HTTP or Socket Mode."""

    event_id: str
    envelope: dict[str, Any]
    transport: str  # "http" | "socket"
    response: AppResponse | None = None
    ack: SocketAck | None = None
    envelope_id: str | None = None

    @property
    def event(self) -> dict[str, Any]:
        return self.envelope["event"]


@dataclass
class _SocketConnection:
    id: str
    ws: web.WebSocketResponse
    opened_at: float
    received: list[dict[str, Any]] = field(default_factory=list)
