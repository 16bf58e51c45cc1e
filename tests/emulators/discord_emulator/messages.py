"""Messages: create (JSON or multipart with files), read, list, edit, delete; direct messages."""

from __future__ import annotations

import copy
import time
from typing import Any

from tests.emulators.discord_emulator.model import (
    CHANNEL_DM,
    CHANNEL_FORUM,
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    ApiError,
    Permissions,
    _invalid_form,
    _iso,
)
from tests.emulators.discord_emulator.plumbing import _Request


class MessagesMixin:
    """The message routes."""

    def _store_message(
        self,
        channel_id: int,
        author_id: int,
        body: dict[str, Any],
        *,
        type_: int = 0,
        flags: int = 0,
        **extra: Any,
    ) -> dict[str, Any]:
        channel = self._channel(channel_id)
        mid = self._snowflake()
        embeds = []
        for e in body.get("embeds") or []:
            embed = {k: v for k, v in e.items() if v is not None}
            embed.setdefault("type", "rich")
            embeds.append(embed)
        msg: dict[str, Any] = {
            "id": str(mid),
            "type": type_,
            "content": body.get("content") or "",
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self.users[author_id]),
            "attachments": [],
            "embeds": embeds,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": _iso(),
            "edited_timestamp": None,
            "flags": flags | int(body.get("flags") or 0),
            "components": body.get("components") or [],
            **extra,
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if channel["type"] in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD):
            msg["position"] = channel["total_message_sent"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        self.messages[mid] = msg
        self._channel_message_ids.setdefault(channel_id, []).append(mid)
        channel["last_message_id"] = str(mid)
        self._changed()
        return msg

    async def _dispatch_message_create(self, msg: dict[str, Any]) -> None:
        channel = self.channels[int(msg["channel_id"])]
        gid = self._guild_of(channel)
        data = self._message_payload(msg)
        data["guild_id"] = str(gid)
        author_id = int(msg["author"]["id"])
        if author_id in self.members.get(gid, {}):
            data["member"] = self._member_payload(gid, author_id, with_user=False)
        await self.dispatch("MESSAGE_CREATE", data)

    async def _open_dm(self, req: _Request) -> Any:
        body = req.body if isinstance(req.body, dict) else {}
        recipient = str(body.get("recipient_id") or "")
        if not recipient.isdigit() or int(recipient) not in self.users:
            raise ApiError(400, 50007, "Cannot send messages to this user")
        uid = int(recipient)
        cid = self.dm_channels.get(uid)
        if cid is None:
            cid = self._snowflake()
            self.dm_channels[uid] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": CHANNEL_DM,
                "last_message_id": None,
                "recipients": [copy.deepcopy(self.users[uid])],
            }
        return copy.deepcopy(self.channels[cid])

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to ``user_id`` directly (oldest first)."""
        cid = self.dm_channels.get(int(user_id))
        return [] if cid is None else self.channel_messages(cid)

    def _attach(self, msg: dict[str, Any], files: list[tuple[str, str, bytes]]) -> None:
        for filename, content_type, data in files:
            aid = self._snowflake()
            self.attachments[aid] = data
            url = f"https://cdn.emulator.invalid/attachments/{msg['channel_id']}/{aid}/{filename}"
            msg["attachments"].append(
                {
                    "id": str(aid),
                    "filename": filename,
                    "size": len(data),
                    "content_type": content_type,
                    "url": url,  # not served: the bytes are in DiscordEmulator.attachments
                    "proxy_url": url,
                }
            )

    async def _create_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        cid = int(channel["id"])
        files = req.body.pop("__files__", []) if isinstance(req.body, dict) else []
        if channel["type"] == CHANNEL_DM:
            body = req.body if isinstance(req.body, dict) else {}
            self._validate_message(body, require_something=not files)
            msg = self._store_message(cid, self.application_id, body)
            self._attach(msg, files)
            return self._message_payload(msg)
        if channel["type"] == CHANNEL_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        is_thread = channel["type"] in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD)
        self._check_bot(
            channel, Permissions.SEND_MESSAGES_IN_THREADS if is_thread else Permissions.SEND_MESSAGES
        )
        if is_thread and channel["thread_metadata"].get("locked"):
            raise ApiError(403, 50083, "Thread is archived")
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=not files)
        now = time.monotonic()
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (self.application_id, cid, str(nonce))
            seen = self._nonces.get(key)
            if seen is not None and now - seen[0] <= self.nonce_window and seen[1] in self.messages:
                self.counters["messages_deduplicated"] += 1
                return self._message_payload(self.messages[seen[1]])
        msg = self._store_message(cid, self.application_id, body)
        self._attach(msg, files)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(self.application_id, cid, str(nonce))] = (now, int(msg["id"]))
        self.counters["messages_created"] += 1
        self.message_times.setdefault(cid, []).append(req.admitted_at)
        await self._dispatch_message_create(msg)
        self._maybe_drop()
        return self._message_payload(msg)

    async def _get_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        self._check_bot(channel, Permissions.READ_MESSAGE_HISTORY)
        return self._message_payload(self._message(int(channel["id"]), req.params["message_id"]))

    async def _list_messages(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        self._check_bot(channel, Permissions.READ_MESSAGE_HISTORY)
        try:
            limit = int(req.query.get("limit", 50))
        except ValueError:
            raise _invalid_form({"limit": {"_errors": [{"code": "NUMBER_TYPE_COERCE"}]}}) from None
        if not 1 <= limit <= 100:
            raise _invalid_form({"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX", "message": "bad limit"}]}})
        ids = sorted(self._channel_message_ids.get(int(channel["id"]), []))
        if "after" in req.query:
            after = int(req.query["after"])
            picked = [i for i in ids if i > after][:limit]
        else:
            before = int(req.query["before"]) if "before" in req.query else None
            picked = [i for i in ids if before is None or i < before][-limit:]
        return [self._message_payload(self.messages[i]) for i in reversed(picked)]

    async def _edit_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(int(channel["id"]), req.params["message_id"])
        if int(msg["author"]["id"]) != self.application_id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=False)
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        msg["edited_timestamp"] = _iso()
        data = self._message_payload(msg)
        data["guild_id"] = channel["guild_id"]
        await self.dispatch("MESSAGE_UPDATE", data)
        return self._message_payload(msg)

    async def _delete_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        cid = int(channel["id"])
        msg = self._message(cid, req.params["message_id"])
        if int(msg["author"]["id"]) != self.application_id:
            self._check_bot(channel, Permissions.MANAGE_MESSAGES)
        mid = int(msg["id"])
        del self.messages[mid]
        self._channel_message_ids[cid].remove(mid)
        self.reactions.pop(mid, None)
        await self.dispatch(
            "MESSAGE_DELETE", {"id": str(mid), "channel_id": str(cid), "guild_id": channel["guild_id"]}
        )
        return None
