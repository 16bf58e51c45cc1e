"""Application commands: global and guild commands registered (synced) by the bot."""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.emulators.discord_emulator.model import ApiError, _invalid_form, _max_len_error
from tests.emulators.discord_emulator.plumbing import _Request


class CommandsMixin:
    """The application command routes."""

    def _check_app(self, req: _Request) -> int | None:
        if req.params["application_id"] != str(self.application_id):
            raise ApiError(403, 50001, "Missing Access")
        return self._guild(req.params["guild_id"]) if "guild_id" in req.params else None

    def _command_table(self, guild_id: int | None) -> dict[int, dict[str, Any]]:
        return self.global_commands if guild_id is None else self.guild_commands[guild_id]

    def _validate_command(self, index: int | None, cmd: Any) -> dict[str, Any]:
        prefix = (lambda e: {str(index): e}) if index is not None else (lambda e: e)
        if not isinstance(cmd, dict):
            raise _invalid_form(
                prefix({"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries"}]})
            )
        type_ = int(cmd.get("type") or 1)
        name = cmd.get("name") or ""
        if type_ == 1 and (not re.match(r"^[-_\w]{1,32}$", name) or name != name.lower()):
            raise _invalid_form(
                prefix(
                    {
                        "name": {
                            "_errors": [
                                {"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Invalid name"}
                            ]
                        }
                    }
                )
            )
        description = cmd.get("description") or ""
        if type_ == 1 and not 1 <= len(description) <= 100:
            raise _invalid_form(prefix({"description": _max_len_error(100)}))
        if len(cmd.get("options") or []) > 25:
            raise _invalid_form(prefix({"options": _max_len_error(25)}))
        return cmd

    def _store_command(
        self, guild_id: int | None, cmd: dict[str, Any], existing: dict[int, dict[str, Any]]
    ) -> dict:
        type_ = int(cmd.get("type") or 1)
        same = next((c for c in existing.values() if c["name"] == cmd["name"] and c["type"] == type_), None)
        cid = int(same["id"]) if same else self._snowflake()
        stored = {
            "id": str(cid),
            "application_id": str(self.application_id),
            "version": str(self._snowflake()),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "type": type_,
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description", ""),
            "description_localizations": cmd.get("description_localizations"),
            "options": copy.deepcopy(cmd.get("options") or []),
            "nsfw": bool(cmd.get("nsfw", False)),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored["dm_permission"] = cmd.get("dm_permission", True)
        return stored

    async def _list_commands(self, req: _Request) -> Any:
        return copy.deepcopy(list(self._command_table(self._check_app(req)).values()))

    async def _bulk_commands(self, req: _Request) -> Any:
        gid = self._check_app(req)
        if not isinstance(req.body, list):
            raise _invalid_form({"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Only iterables"}]})
        if len(req.body) > 100:
            raise ApiError(400, 30032, "Maximum number of application commands reached (100)")
        cmds = [self._validate_command(i, c) for i, c in enumerate(req.body)]
        table = self._command_table(gid)
        new = [self._store_command(gid, c, table) for c in cmds]
        table.clear()
        table.update({int(c["id"]): c for c in new})
        self._changed()
        return copy.deepcopy(new)

    async def _upsert_command(self, req: _Request) -> Any:
        gid = self._check_app(req)
        table = self._command_table(gid)
        cmd = self._store_command(gid, self._validate_command(None, req.body), table)
        table[int(cmd["id"])] = cmd
        self._changed()
        return copy.deepcopy(cmd)

    async def _delete_command(self, req: _Request) -> Any:
        table = self._command_table(self._check_app(req))
        cid = req.params["command_id"]
        if not cid.isdigit() or int(cid) not in table:
            raise ApiError(404, 10063, "Unknown application command")
        del table[int(cid)]
        return None
