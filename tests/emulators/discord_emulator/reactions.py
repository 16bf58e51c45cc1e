"""Reactions: the bot's own, the list of reactors, and users' reactions dispatched over the gateway."""

from __future__ import annotations

import copy
from typing import Any

from tests.emulators.discord_emulator.model import Permissions, _invalid_form
from tests.emulators.discord_emulator.plumbing import _Request


class ReactionsMixin:
    """The reaction routes and the reaction events a test dispatches."""

    def _reaction_route(self, req: _Request, *, needs: int = 0) -> tuple[dict[str, Any], str]:
        """The message and the emoji key a reaction route names. A route that ``needs`` permissions checks
        the bot has them in the channel before it resolves the emoji."""
        channel = self._channel(req.params["channel_id"])
        msg = self._message(int(channel["id"]), req.params["message_id"])
        if needs:
            self._check_bot(channel, needs)
        return msg, self._emoji_key(req.params["emoji"])

    async def _react(self, req: _Request) -> Any:
        msg, key = self._reaction_route(
            req, needs=Permissions.ADD_REACTIONS | Permissions.READ_MESSAGE_HISTORY
        )
        await self._apply_reaction(msg, self.application_id, key, add=True)
        return None

    async def _unreact(self, req: _Request) -> Any:
        msg, key = self._reaction_route(req)
        await self._apply_reaction(msg, self.application_id, key, add=False)
        return None

    async def _list_reactors(self, req: _Request) -> Any:
        msg, key = self._reaction_route(req)
        limit = int(req.query.get("limit", 25))
        if not 1 <= limit <= 100:
            raise _invalid_form({"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX", "message": "bad limit"}]}})
        after = int(req.query.get("after", 0))
        users = sorted(u for u in self.reactions.get(int(msg["id"]), {}).get(key, []) if u > after)
        return [copy.deepcopy(self.users[u]) for u in users[:limit]]

    async def _apply_reaction(
        self, msg: dict[str, Any], user_id: int, key: str, *, add: bool, burst: bool = False
    ) -> dict[str, Any] | None:
        """Update reaction state and dispatch the gateway event; ``None`` if it was a no-op."""
        mid = int(msg["id"])
        users = self.reactions.setdefault(mid, {}).setdefault(key, [])
        if add == (user_id in users):
            return None
        if add:
            users.append(user_id)
        else:
            users.remove(user_id)
        self._changed()
        channel = self.channels[int(msg["channel_id"])]
        gid = self._guild_of(channel)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "guild_id": str(gid),
            "emoji": self._emoji_payload(key),
            "burst": burst,
            "type": 1 if burst else 0,
        }
        if add:
            if user_id in self.members.get(gid, {}):
                data["member"] = self._member_payload(gid, user_id)
            data["message_author_id"] = msg["author"]["id"]
            if burst:
                data["burst_colors"] = ["#ffcc4d"]
        await self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data)
        return data

    async def dispatch_reaction_add(
        self, channel_id: int, message_id: int, user_id: int, emoji: str, *, burst: bool = False
    ) -> dict[str, Any] | None:
        """A user reacts: updates reaction state and dispatches ``MESSAGE_REACTION_ADD``.

        ``emoji`` is a unicode emoji (``"👍"``) or a custom one as ``"name:id"`` (see
        :meth:`add_custom_emoji`). Returns the dispatched payload, or ``None`` if the user had
        already reacted with that emoji (Discord sends nothing then)."""
        msg = self._message(channel_id, message_id)
        return await self._apply_reaction(msg, user_id, self._emoji_key(emoji), add=True, burst=burst)

    async def dispatch_reaction_remove(
        self, channel_id: int, message_id: int, user_id: int, emoji: str
    ) -> dict[str, Any] | None:
        """A user removes a reaction: updates state and dispatches ``MESSAGE_REACTION_REMOVE``."""
        msg = self._message(channel_id, message_id)
        return await self._apply_reaction(msg, user_id, self._emoji_key(emoji), add=False)
