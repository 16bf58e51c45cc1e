"""Interactions: slash commands and components dispatched by a test, the bot's callbacks, follow-ups and
edits of its answers."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from tests.emulators.discord_emulator.model import ApiError, _invalid_form, _iso, _unknown
from tests.emulators.discord_emulator.plumbing import InteractionHandle, InteractionReply, _Request


class InteractionsMixin:
    """Interactions dispatched to the bot and the webhooks it answers on."""

    def _find_command(self, guild_id: int, name: str) -> tuple[dict[str, Any] | None, bool]:
        for cmd in self.guild_commands.get(guild_id, {}).values():
            if cmd["name"] == name and cmd["type"] == 1:
                return cmd, True
        for cmd in self.global_commands.values():
            if cmd["name"] == name and cmd["type"] == 1:
                return cmd, False
        return None, False

    @staticmethod
    def _option_values(spec: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
        types = {o["name"]: int(o["type"]) for o in spec}
        out = []
        for name, value in values.items():
            if name in types:
                type_ = types[name]
            elif isinstance(value, bool):
                type_ = 5
            elif isinstance(value, int):
                type_ = 4
            elif isinstance(value, float):
                type_ = 10
            else:
                type_ = 3
            out.append({"name": name, "type": type_, "value": value})
        return out

    async def dispatch_slash_command(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        permissions: int | str | None = None,
        require_registered: bool = True,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user runs ``/name`` (``"digest top"`` for a sub-command) in ``channel_id``.

        ``options`` maps option names to values; their types come from the registered command.
        ``permissions`` overrides the member's computed permissions (e.g. ``str(Permissions.MANAGE_GUILD)``).
        The command must have been registered (synced) unless ``require_registered=False``.
        Returns an :class:`InteractionHandle` to await the bot's callback on."""
        words = name.split()
        top, path = words[0], words[1:]
        cmd, is_guild_cmd = self._find_command(guild_id, top)
        if cmd is None and require_registered:
            raise LookupError(f"/{top} is not registered for guild {guild_id} nor globally")
        spec = (cmd or {}).get("options") or []
        opts = self._option_values(
            [o for o in spec if int(o["type"]) not in (1, 2)] if not path else [], options or {}
        )
        for depth, word in enumerate(reversed(path)):
            # build from the innermost sub-command outwards
            level = spec
            for outer in path[: len(path) - 1 - depth]:
                level = next((o.get("options") or [] for o in level if o["name"] == outer), [])
            entry = next((o for o in level if o["name"] == word), None)
            type_ = int(entry["type"]) if entry else (1 if depth == 0 else 2)
            if depth == 0:
                opts = self._option_values((entry or {}).get("options") or [], options or {})
            opts = [{"name": word, "type": type_, "options": opts}]

        data: dict[str, Any] = {
            "id": (cmd or {}).get("id", str(self._snowflake())),
            "name": top,
            "type": 1,
        }
        if opts:
            data["options"] = opts
        if is_guild_cmd:
            data["guild_id"] = str(guild_id)
        bot_perms = self.member_permissions(guild_id, self.application_id) & ~self._bot_denies.get(
            channel_id, 0
        )
        return await self._dispatch_interaction(
            2, guild_id, channel_id, user_id, permissions, data,
            locale=locale, app_permissions=bot_perms, entitlement_sku_ids=[],
        )  # fmt: skip

    async def dispatch_component(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        permissions: int | str | None = None,
    ) -> InteractionHandle:
        """A user presses a button (``values`` None) or picks from a string select (``values``) with
        ``custom_id`` on a message of the bot in ``channel_id``; returns the handle to await answers on."""
        self._channel(channel_id)  # it must exist
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 3 if values is not None else 2}
        if values is not None:
            data["values"] = list(values)
        message = self._ephemeral_message(channel_id, 20, {}, 64)
        return await self._dispatch_interaction(
            3, guild_id, channel_id, user_id, permissions, data,
            locale="en-US", app_permissions=self.member_permissions(guild_id, self.application_id),
            message=message,
        )  # fmt: skip

    async def _dispatch_interaction(
        self,
        type_: int,
        guild_id: int,
        channel_id: int,
        user_id: int,
        permissions: int | str | None,
        data: dict[str, Any],
        *,
        locale: str,
        app_permissions: int,
        **extra: Any,
    ) -> InteractionHandle:
        """Build an interaction of ``type_`` (2: command, 3: component) by ``user_id`` in ``channel_id``,
        register it (so its callback can be answered) and send it over the gateway."""
        channel = self._channel(channel_id)
        perms = self.member_permissions(guild_id, user_id) if permissions is None else int(permissions)
        member = self._member_payload(guild_id, user_id)
        member["permissions"] = str(perms)
        iid = self._snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload = {
            "version": 1,
            "type": type_,
            "id": str(iid),
            "application_id": str(self.application_id),
            "token": token,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "channel_id": str(channel_id),
            "channel": {**copy.deepcopy(channel), "permissions": str(perms)},
            "member": member,
            "data": data,
            "locale": locale,
            "app_permissions": str(app_permissions),
            "entitlements": [],
            **extra,
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        payload["channel"].pop("member", None)
        handle = InteractionHandle(iid, token, payload, time.monotonic())
        self.interactions[iid] = handle
        self._interactions_by_token[token] = handle
        await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    def _ephemeral_message(
        self, channel_id: int, type_: int, body: dict[str, Any], flags: int
    ) -> dict[str, Any]:
        """A message of the bot that only one user sees (never stored): its payload."""
        return {
            "id": str(self._snowflake()),
            "type": type_,
            "content": body.get("content") or "",
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self.bot_user),
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": _iso(),
            "edited_timestamp": None,
            "flags": flags,
            "components": body.get("components") or [],
        }

    def _interaction_message(
        self, handle: InteractionHandle, body: dict[str, Any], *, type_: int, flags: int = 0
    ) -> dict[str, Any]:
        """Create the message a response/follow-up produces. Ephemeral ones are not stored in the
        channel (only the invoking user can see them)."""
        payload = handle.payload
        cid = int(payload["channel_id"])
        user = payload["member"]["user"]
        metadata = {
            "id": payload["id"],
            "type": 2,
            "user": user,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
            "name": payload["data"].get("name", ""),
        }
        flags = flags | int(body.get("flags") or 0)
        if flags & 64:
            return {
                **self._ephemeral_message(cid, type_, body, flags),
                "interaction_metadata": metadata,
                "webhook_id": str(self.application_id),
                "application_id": str(self.application_id),
            }
        return self._store_message(
            cid,
            self.application_id,
            body,
            type_=type_,
            flags=flags,
            interaction_metadata=metadata,
            webhook_id=str(self.application_id),
            application_id=str(self.application_id),
        )

    def _handle_by(self, req: _Request, *, key: str) -> InteractionHandle:
        if key == "interaction_id":
            iid = req.params["interaction_id"]
            handle = self.interactions.get(int(iid)) if iid.isdigit() else None
            if handle is None or handle.token != req.params["token"]:
                raise ApiError(404, 10062, "Unknown interaction")
        else:
            handle = self._interactions_by_token.get(req.params["token"])
            if handle is None or req.params["application_id"] != str(self.application_id):
                raise ApiError(404, 10015, "Unknown Webhook")
            if time.monotonic() - handle.dispatched_at > 15 * 60:
                raise ApiError(401, 50027, "Invalid Webhook Token")
        return handle

    async def _interaction_callback(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="interaction_id")
        elapsed = time.monotonic() - handle.dispatched_at
        if handle.callback is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > self.interaction_timeout:
            raise ApiError(404, 10062, "Unknown interaction")
        body = req.body if isinstance(req.body, dict) else {}
        type_ = int(body.get("type") or 0)
        data = body.get("data") or {}
        if type_ not in (1, 4, 5, 6, 7, 8, 9, 12):
            raise _invalid_form(
                {"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "invalid type"}]}}
            )
        if type_ in (6, 7) and handle.payload["type"] == 2:
            raise ApiError(400, 40043, "Interaction callback type is not valid for this interaction type")
        if type_ == 4:
            self._validate_message(data)
        message: dict[str, Any] | None = None
        if type_ == 4:
            message = self._interaction_message(handle, data, type_=20)
        elif type_ == 5:
            message = self._interaction_message(
                handle, {"content": ""}, type_=20, flags=128 | int(data.get("flags") or 0)
            )
        handle.original_message = message
        handle.callback = InteractionReply(type_, copy.deepcopy(data), elapsed)
        handle._notify()
        self._changed()
        if message is not None and not message["flags"] & 64:
            await self._dispatch_message_create(message)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None
        out: dict[str, Any] = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.payload["type"],
                "response_message_loading": type_ == 5,
                "response_message_ephemeral": bool((message or {}).get("flags", 0) & 64),
            }
        }
        if message is not None:
            out["interaction"]["response_message_id"] = message["id"]
            out["resource"] = {"type": type_, "message": self._message_payload(message)}
        return out

    async def _followup(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        if handle.callback is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body)
        msg = self._interaction_message(handle, body, type_=0)
        handle.followups.append(
            InteractionReply(0, copy.deepcopy(body), time.monotonic() - handle.dispatched_at)
        )
        handle._notify()
        if not msg["flags"] & 64:
            await self._dispatch_message_create(msg)
        self._maybe_drop()
        return self._message_payload(msg)

    async def _get_original(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        if handle.original_message is None:
            raise _unknown("Message", 10008)
        return self._message_payload(handle.original_message)

    async def _edit_original(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        if handle.original_message is None:
            raise _unknown("Message", 10008)
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=False)
        msg = handle.original_message
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        msg["flags"] = int(msg.get("flags", 0)) & ~128
        msg["edited_timestamp"] = _iso()
        handle.edits.append(
            InteractionReply(
                0, {**copy.deepcopy(body), "flags": msg["flags"]}, time.monotonic() - handle.dispatched_at
            )
        )
        handle._notify()
        self._changed()
        return self._message_payload(msg)

    async def _edit_followup(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        mid = req.params["message_id"]
        msg = self.messages.get(int(mid)) if mid.isdigit() else None
        if msg is None:
            raise _unknown("Message", 10008)
        body = req.body if isinstance(req.body, dict) else {}
        self._validate_message(body, require_something=False)
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key]
        handle._notify()
        return self._message_payload(msg)

    async def _delete_original(self, req: _Request) -> Any:
        handle = self._handle_by(req, key="token")
        msg = handle.original_message
        if msg is None:
            raise _unknown("Message", 10008)
        mid = int(msg["id"])
        if mid in self.messages:
            del self.messages[mid]
            self._channel_message_ids[int(msg["channel_id"])].remove(mid)
        handle.original_message = None
        return None
