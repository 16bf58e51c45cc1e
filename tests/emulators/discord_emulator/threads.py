"""Threads started from a message or in a channel, forum posts, active threads."""

from __future__ import annotations

import copy
from typing import Any

from tests.emulators.discord_emulator.model import (
    CHANNEL_FORUM,
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    ApiError,
    Permissions,
    _invalid_form,
    _iso,
)
from tests.emulators.discord_emulator.plumbing import _Request


class ThreadsMixin:
    """The thread routes."""

    def _validate_thread_name(self, body: dict[str, Any]) -> str:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _invalid_form(
                {
                    "name": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_BAD_LENGTH",
                                "message": "Must be between 1 and 100 in length.",
                            }
                        ]
                    }
                }
            )
        return name

    def _new_thread(
        self, thread_id: int, parent: dict[str, Any], name: str, body: dict[str, Any], type_: int
    ) -> dict:
        archive = int(
            body.get("auto_archive_duration") or parent.get("default_auto_archive_duration") or 1440
        )
        thread = {
            "id": str(thread_id),
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.application_id),
            "type": type_,
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "archive_timestamp": _iso(),
                "auto_archive_duration": archive,
                "locked": False,
                "create_timestamp": _iso(),
                **(
                    {"invitable": bool(body.get("invitable", True))}
                    if type_ == CHANNEL_PRIVATE_THREAD
                    else {}
                ),
            },
            "member": {
                "id": str(thread_id),
                "user_id": str(self.application_id),
                "join_timestamp": _iso(),
                "flags": 1,
            },
        }
        if parent["type"] == CHANNEL_FORUM:
            thread["applied_tags"] = [str(t) for t in body.get("applied_tags") or []]
        self.channels[thread_id] = thread
        self.threads[thread_id] = thread
        self._channel_message_ids.setdefault(thread_id, [])
        self._changed()
        return thread

    async def _dispatch_thread_create(self, thread: dict[str, Any]) -> None:
        await self.dispatch("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})

    async def _thread_from_message(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        if channel["type"] != CHANNEL_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        msg = self._message(int(channel["id"]), req.params["message_id"])
        self._check_bot(channel, Permissions.CREATE_PUBLIC_THREADS)
        body = req.body if isinstance(req.body, dict) else {}
        name = self._validate_thread_name(body)
        mid = int(msg["id"])
        if mid in self.threads:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(mid, channel, name, body, CHANNEL_PUBLIC_THREAD)
        await self._dispatch_thread_create(thread)
        return copy.deepcopy(thread)

    async def _thread_in_channel(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        body = req.body if isinstance(req.body, dict) else {}
        if channel["type"] == CHANNEL_FORUM:
            self._check_bot(channel, Permissions.SEND_MESSAGES)
            name = self._validate_thread_name(body)
            message_body = body.get("message")
            if not isinstance(message_body, dict):
                raise _invalid_form(
                    {"message": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "required"}]}}
                )
            self._validate_message(message_body)
            thread_id = self._snowflake()
            thread = self._new_thread(thread_id, channel, name, body, CHANNEL_PUBLIC_THREAD)
            # In a forum the starter message's id is the thread id.
            msg = self._store_message_with_id(thread_id, thread_id, message_body)
            channel["last_message_id"] = str(thread_id)
            self.counters["messages_created"] += 1
            self.message_times.setdefault(thread_id, []).append(req.admitted_at)
            await self._dispatch_thread_create(thread)
            await self._dispatch_message_create(msg)
            self._maybe_drop()
            return {**copy.deepcopy(thread), "message": self._message_payload(msg)}
        if channel["type"] != CHANNEL_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        type_ = int(body.get("type") or CHANNEL_PRIVATE_THREAD)
        self._check_bot(
            channel,
            Permissions.CREATE_PUBLIC_THREADS
            if type_ == CHANNEL_PUBLIC_THREAD
            else Permissions.CREATE_PRIVATE_THREADS,
        )
        name = self._validate_thread_name(body)
        thread = self._new_thread(self._snowflake(), channel, name, body, type_)
        await self._dispatch_thread_create(thread)
        return copy.deepcopy(thread)

    def _store_message_with_id(
        self, channel_id: int, message_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        msg = self._store_message(channel_id, self.application_id, body)
        old = int(msg["id"])
        ids = self._channel_message_ids[channel_id]
        ids[ids.index(old)] = message_id
        del self.messages[old]
        msg["id"] = str(message_id)
        self.messages[message_id] = msg
        self.channels[channel_id]["last_message_id"] = str(message_id)
        return msg

    async def _join_thread(self, req: _Request) -> Any:
        self._channel(req.params["channel_id"])
        return None

    async def _get_active_threads(self, req: _Request) -> Any:
        gid = req.params["guild_id"]
        threads = [
            copy.deepcopy(t)
            for t in self.threads.values()
            if t["guild_id"] == gid and not t["thread_metadata"]["archived"]
        ]
        members = [t.pop("member") for t in threads if "member" in t]
        return {"threads": threads, "members": members}
