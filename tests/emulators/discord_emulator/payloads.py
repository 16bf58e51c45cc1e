"""Payloads as Discord shapes them, and the validation of what a bot sends."""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.emulators.discord_emulator.model import (
    _UNICODE_EMOJI_HINT,
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    ApiError,
    Permissions,
    _invalid_form,
    _max_len_error,
    _unknown,
)


class PayloadsMixin:
    """Lookups, payload builders and message validation."""

    def _channel(self, channel_id: str | int) -> dict[str, Any]:
        try:
            return self.channels[int(channel_id)]
        except (KeyError, ValueError):
            raise _unknown("Channel", 10003) from None

    def _message(self, channel_id: int, message_id: str | int) -> dict[str, Any]:
        try:
            msg = self.messages[int(message_id)]
        except (KeyError, ValueError):
            raise _unknown("Message", 10008) from None
        if int(msg["channel_id"]) != channel_id:
            raise _unknown("Message", 10008)
        return msg

    def _guild_of(self, channel: dict[str, Any]) -> int:
        return int(channel["guild_id"])

    def _check_bot(self, channel: dict[str, Any], needed: int) -> None:
        cid = int(channel["id"])
        denied = self._bot_denies.get(cid, 0)
        if channel["type"] in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD):
            denied |= self._bot_denies.get(int(channel["parent_id"]), 0)
        perms = self.member_permissions(self._guild_of(channel), self.application_id) & ~denied
        if not perms & Permissions.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if perms & needed != needed:
            raise ApiError(403, 50013, "Missing Permissions")

    def _member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True) -> dict[str, Any]:
        member = self.members.get(guild_id, {}).get(user_id)
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        out = copy.deepcopy(member)
        if not with_user:
            out.pop("user", None)
        return out

    def _message_payload(self, msg: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in msg.items() if not k.startswith("_")}
        reactions = self.reactions.get(int(msg["id"]), {})
        if any(reactions.values()):
            out["reactions"] = [
                {
                    "emoji": self._emoji_payload(key),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "burst_colors": [],
                    "me": self.application_id in users,
                    "me_burst": False,
                    "burst_me": False,
                    "burst_count": 0,
                }
                for key, users in reactions.items()
                if users
            ]
        thread = self.threads.get(int(msg["id"]))
        if thread is not None and int(thread["parent_id"]) == int(msg["channel_id"]):
            out["thread"] = copy.deepcopy(thread)
        return copy.deepcopy(out)

    def _emoji_key(self, emoji: str) -> str:
        emoji = emoji.strip("<>")
        if emoji.startswith("a:"):
            emoji = emoji[2:]
        if ":" in emoji:
            name, _, eid = emoji.partition(":")
            custom = self.custom_emojis.get(int(eid)) if eid.isdigit() else None
            if custom is None or custom["name"] != name:
                raise ApiError(400, 10014, "Unknown Emoji")
            return f"{name}:{eid}"
        if not emoji or _UNICODE_EMOJI_HINT.match(emoji):
            raise ApiError(400, 10014, "Unknown Emoji")
        return emoji

    def _emoji_payload(self, key: str) -> dict[str, Any]:
        if ":" in key:
            name, _, eid = key.partition(":")
            animated = bool(self.custom_emojis.get(int(eid), {}).get("animated", False))
            return {"id": eid, "name": name, "animated": animated}
        return {"id": None, "name": key}

    @staticmethod
    def _validate_message(body: dict[str, Any], *, require_something: bool = True) -> None:
        errors: dict[str, Any] = {}
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            errors["content"] = {
                "_errors": [{"code": "STRING_TYPE_CONVERT", "message": "Could not interpret."}]
            }
        elif content is not None and len(content) > 2000:
            errors["content"] = _max_len_error(2000)
        nonce = body.get("nonce")
        if isinstance(nonce, str) and len(nonce) > 25:
            errors["nonce"] = _max_len_error(25)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            errors["embeds"] = _max_len_error(10)
        total = 0
        for i, embed in enumerate(embeds[:10]):
            e_err: dict[str, Any] = {}
            for key, limit in (("title", 256), ("description", 4096)):
                value = embed.get(key) or ""
                total += len(value)
                if len(value) > limit:
                    e_err[key] = _max_len_error(limit)
            url = embed.get("url")
            if url and not re.match(r"^(https?|attachment)://\S+$", url):
                e_err["url"] = {
                    "_errors": [{"code": "URL_TYPE_INVALID_URL", "message": "Not a well formed URL."}]
                }
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            total += len(footer) + len(author)
            if len(footer) > 2048:
                e_err["footer"] = {"text": _max_len_error(2048)}
            if len(author) > 256:
                e_err["author"] = {"name": _max_len_error(256)}
            fields = embed.get("fields") or []
            if len(fields) > 25:
                e_err["fields"] = _max_len_error(25)
            for j, fld in enumerate(fields):
                name, value = fld.get("name") or "", fld.get("value") or ""
                total += len(name) + len(value)
                f_err = {}
                if len(name) > 256:
                    f_err["name"] = _max_len_error(256)
                if len(value) > 1024:
                    f_err["value"] = _max_len_error(1024)
                if f_err:
                    e_err.setdefault("fields", {})[str(j)] = f_err
            if e_err:
                errors.setdefault("embeds", {})[str(i)] = e_err
        if total > 6000 and "embeds" not in errors:
            errors["embeds"] = {
                "_errors": [
                    {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
                ]
            }
        if errors:
            raise _invalid_form(errors)
        if (
            require_something
            and not content
            and not embeds
            and not body.get("sticker_ids")
            and not body.get("poll")
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")
