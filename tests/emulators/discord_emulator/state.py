"""Setting the emulated Discord up, looking into it, and injecting faults."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
from collections.abc import Callable
from typing import Any

from tests.emulators.discord_emulator.model import CHANNEL_FORUM, CHANNEL_TEXT, Permissions, _iso
from tests.emulators.discord_emulator.plumbing import RequestRecord, _Fault


class StateMixin:
    """Guilds, roles, members, channels and messages set up by a test; queries; faults."""

    def _user(self, username: str, *, bot: bool = False) -> int:
        uid = self._snowflake()
        self.users[uid] = {
            "id": str(uid),
            "username": username,
            "global_name": username,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
            "flags": 0,
        }
        return uid

    def add_guild(self, name: str, *, owner_id: int | None = None) -> int:
        """Create a guild the bot is a member of; returns its id. ``@everyone`` has the guild id."""
        gid = self._snowflake()
        owner = owner_id or self._user(f"{name}-owner")
        self.guilds[gid] = {
            "id": str(gid),
            "name": name,
            "owner_id": str(owner),
            "icon": None,
            "features": [],
            "preferred_locale": "en-US",
            "joined_at": _iso(),
        }
        self.roles[gid] = {
            "id": str(gid),
            "guild_id": gid,
            "name": "@everyone",
            "permissions": str(Permissions.EVERYONE_DEFAULT),
            "position": 0,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        self.members[gid] = {}
        self.guild_commands[gid] = {}
        bot_role = self.add_role(gid, self.bot_user["username"], permissions=Permissions.BOT_DEFAULT)
        self.roles[bot_role]["managed"] = True
        self.roles[bot_role]["tags"] = {"bot_id": str(self.application_id)}
        self._add_member_record(gid, self.application_id, roles=[bot_role])
        self._add_member_record(gid, owner, roles=[])
        return gid

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> int:
        rid = self._snowflake()
        self.roles[rid] = {
            **self.roles[guild_id],
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": sum(1 for r in self.roles.values() if r["guild_id"] == guild_id),
        }
        return rid

    def _add_member_record(self, guild_id: int, user_id: int, roles: list[int]) -> None:
        self.members[guild_id][user_id] = {
            "user": self.users[user_id],
            "roles": [str(r) for r in roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": _iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def add_member(
        self, guild_id: int, username: str, *, permissions: int | None = None, roles: list[int] | None = None
    ) -> int:
        """Add a (human) member; returns the user id. ``permissions`` creates a role granting them
        (e.g. ``Permissions.MANAGE_GUILD``); without it the member only has ``@everyone``."""
        uid = self._user(username)
        member_roles = list(roles or [])
        if permissions:
            member_roles.append(self.add_role(guild_id, f"{username}-perms", permissions=permissions))
        self._add_member_record(guild_id, uid, member_roles)
        return uid

    def member_permissions(self, guild_id: int, user_id: int) -> int:
        if int(self.guilds[guild_id]["owner_id"]) == user_id:
            return Permissions.ALL
        member = self.members[guild_id].get(user_id)
        perms = int(self.roles[guild_id]["permissions"])
        for rid in member["roles"] if member else []:
            perms |= int(self.roles[int(rid)]["permissions"])
        return Permissions.ALL if perms & Permissions.ADMINISTRATOR else perms

    def add_custom_emoji(self, guild_id: int, name: str, *, animated: bool = False) -> int:
        eid = self._snowflake()
        self.custom_emojis[eid] = {
            "id": str(eid),
            "name": name,
            "animated": animated,
            "roles": [],
            "require_colons": True,
            "managed": False,
            "available": True,
            "guild_id": guild_id,
        }
        return eid

    def _new_channel(self, guild_id: int, name: str, type_: int, **extra: Any) -> int:
        cid = self._snowflake()
        position = sum(1 for c in self.channels.values() if c.get("guild_id") == str(guild_id))
        self.channels[cid] = {
            "id": str(cid),
            "type": type_,
            "guild_id": str(guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
            **extra,
        }
        self._channel_message_ids[cid] = []
        return cid

    def add_text_channel(self, guild_id: int, name: str, *, topic: str | None = None) -> int:
        return self._new_channel(
            guild_id, name, CHANNEL_TEXT, topic=topic, default_auto_archive_duration=1440
        )

    def add_forum_channel(self, guild_id: int, name: str, *, topic: str | None = None) -> int:
        return self._new_channel(
            guild_id,
            name,
            CHANNEL_FORUM,
            topic=topic,
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_auto_archive_duration=4320,
            default_thread_rate_limit_per_user=0,
            template="",
        )

    def deny_bot(self, channel_id: int, permissions: int) -> None:
        """Deny the bot ``permissions`` in a channel (→ 403 Missing Permissions / Missing Access)."""
        self._bot_denies[channel_id] = self._bot_denies.get(channel_id, 0) | permissions
        self.channels[channel_id]["permission_overwrites"] = [
            {
                "id": str(self.application_id),
                "type": 1,
                "allow": "0",
                "deny": str(self._bot_denies[channel_id]),
            }
        ]

    def seed_message(
        self, channel_id: int, author_id: int, content: str = "", **extra: Any
    ) -> dict[str, Any]:
        """Store a message as if ``author_id`` had posted it earlier (no dispatch)."""
        return self._store_message(channel_id, author_id, {"content": content, **extra})

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages of a channel or thread, oldest first."""
        return [self.messages[m] for m in self._channel_message_ids.get(channel_id, [])]

    def reactions_on(self, message_id: int) -> dict[str, list[int]]:
        """``{emoji key: [user ids]}`` - keys are the unicode emoji or ``name:id``."""
        return {k: list(v) for k, v in self.reactions.get(message_id, {}).items() if v}

    def commands_for(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        table = self.global_commands if guild_id is None else self.guild_commands.get(guild_id, {})
        return list(table.values())

    @property
    def rate_limited_count(self) -> int:
        return self.counters["rate_limited"]

    def requests_to(self, route: str) -> list[RequestRecord]:
        """Requests whose ``"METHOD /template"`` matches ``route`` (fnmatch pattern)."""
        return [r for r in self.requests if fnmatch.fnmatchcase(r.route, route)]

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` is true (re-checked whenever emulator state changes)."""
        async with asyncio.timeout(within):
            while not predicate():
                self._state_changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._state_changed.wait()

    def _changed(self) -> None:
        self._state_changed.set()

    def fail_next(
        self,
        route_pattern: str,
        times: int = 1,
        status: int = 500,
        *,
        code: int = 0,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``route_pattern`` with ``status``.

        ``route_pattern`` is an fnmatch pattern over ``"METHOD /path"`` with the concrete path after
        ``/api/v10`` (e.g. ``"POST /channels/*/messages"``) *or* the route template
        (``"POST /channels/{channel_id}/messages"``). Note that discord.py silently retries 500, 502,
        504 and 524 (sleeping 1 s, 3 s, ...) but raises on other statuses."""
        default = {
            500: "500: Internal Server Error",
            502: "502: Bad Gateway",
            503: "503: Service Unavailable",
        }
        self._faults.append(
            _Fault(route_pattern, times, status, code, message or default.get(status, f"{status}: Error"))
        )

    def drop_after_accept(self, n: int = 1) -> None:
        """The next ``n`` message creations (channel messages, forum posts, follow-ups) are stored
        - and dispatched - but the HTTP connection is then aborted without a response."""
        self._drops += n

    def rate_limit_storm(self, channel_id: int, n: int, *, retry_after: float = 0.05) -> None:
        """Force the next ``n`` requests to any route of ``channel_id`` to get a 429 (shared scope).

        discord.py makes at most 5 attempts per request, so more than 4 consecutive 429s for a
        single call makes it raise ``HTTPException`` (status 429)."""
        self._storms[channel_id] = self._storms.get(channel_id, 0) + n
        self._storm_retry_after = retry_after
