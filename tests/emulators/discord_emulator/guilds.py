"""Users, guilds, channels, roles, members and the application, as the bot reads them."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tests.emulators.discord_emulator.model import ApiError, Intents
from tests.emulators.discord_emulator.plumbing import _Request


class GuildsMixin:
    """The read routes of users, guilds, channels and the application."""

    async def _get_me(self, req: _Request) -> Any:
        return copy.deepcopy(self.bot_user)

    async def _get_user(self, req: _Request) -> Any:
        uid = req.params["user_id"]
        user = self.users.get(int(uid)) if uid.isdigit() else None
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return copy.deepcopy(user)

    def _application_payload(self) -> dict[str, Any]:
        owner = {k: v for k, v in self.users[self.application_id].items() if k != "email"}
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32),
            "flags": (1 << 13) | (1 << 15) | (1 << 19),  # gateway intents (limited) flags
            "owner": owner,
            "team": None,
            "bot": copy.deepcopy(self.bot_user),
            "hook": True,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "rpc_origins": [],
            "tags": [],
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }

    async def _get_application(self, req: _Request) -> Any:
        return self._application_payload()

    async def _get_gateway(self, req: _Request) -> Any:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, req: _Request) -> Any:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    def _guild(self, guild_id: str | int) -> int:
        try:
            gid = int(guild_id)
        except ValueError:
            raise ApiError(404, 10004, "Unknown Guild") from None
        if gid not in self.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        return gid

    def _roles_payload(self, gid: int) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in r.items() if k != "guild_id"}
            for r in self.roles.values()
            if r["guild_id"] == gid
        ]

    async def _get_guild(self, req: _Request) -> Any:
        gid = self._guild(req.params["guild_id"])
        return {
            **copy.deepcopy(self.guilds[gid]),
            "roles": self._roles_payload(gid),
            "emojis": [],
            "stickers": [],
        }

    async def _get_guild_channels(self, req: _Request) -> Any:
        gid = str(self._guild(req.params["guild_id"]))
        return [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c["guild_id"] == gid and c["id"] not in self._thread_ids()
        ]

    def _thread_ids(self) -> set[str]:
        return {t["id"] for t in self.threads.values()}

    async def _get_member(self, req: _Request) -> Any:
        gid = self._guild(req.params["guild_id"])
        uid = req.params["user_id"]
        return self._member_payload(gid, int(uid) if uid.isdigit() else -1)

    async def _get_roles(self, req: _Request) -> Any:
        return self._roles_payload(self._guild(req.params["guild_id"]))

    async def _get_channel(self, req: _Request) -> Any:
        channel = self._channel(req.params["channel_id"])
        return {k: v for k, v in copy.deepcopy(channel).items() if k != "member"}

    def _guild_create_payload(self, gid: int, intents: int) -> dict[str, Any]:
        guild = copy.deepcopy(self.guilds[gid])
        sgid = str(gid)
        members = self.members[gid]
        shown = (
            members
            if intents & Intents.GUILD_MEMBERS
            else {self.application_id: members[self.application_id]}
        )
        return {
            **guild,
            "unavailable": False,
            "large": False,
            "lazy": True,
            "member_count": len(members),
            "roles": self._roles_payload(gid),
            "emojis": [
                {k: v for k, v in e.items() if k != "guild_id"}
                for e in self.custom_emojis.values()
                if e["guild_id"] == gid
            ],
            "stickers": [],
            "channels": [
                {k: v for k, v in copy.deepcopy(c).items() if k != "guild_id"}
                for c in self.channels.values()
                if c["guild_id"] == sgid and int(c["id"]) not in self.threads
            ],
            "threads": [copy.deepcopy(t) for t in self.threads.values() if t["guild_id"] == sgid],
            "members": [copy.deepcopy(m) for m in shown.values()],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "system_channel_id": None,
            "rules_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "application_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "premium_progress_bar_enabled": False,
        }
