"""Slash commands and block actions sent to the app, and the response_url it answers on."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, Unpack
from urllib.parse import urlencode

from aiohttp import web

from tests.emulators.slack_emulator.limits import RESPONSE_URL_MAX_USES, Signing, SlackEmulatorError
from tests.emulators.slack_emulator.records import (
    AppResponse,
    CommandInvocation,
    CommandResponse,
    Ephemeral,
    StoredMessage,
)


class CommandsMixin:
    """Slash commands, block actions and their responses."""

    def _new_command(
        self, command: str, text: str, user_id: str | None, channel_id: str | None, trigger_id: str | None
    ) -> CommandInvocation:
        user_id = user_id or self.default_user_id
        channel_id = channel_id or self.default_channel_id
        if user_id is None or user_id not in self.users:
            raise SlackEmulatorError(f"unknown user {user_id}")
        if channel_id is None or channel_id not in self.channels:
            raise SlackEmulatorError(f"unknown channel {channel_id}")
        n = next(self._ids)
        trigger_id = trigger_id or f"{n}.{int(time.time() * 1000)}.{uuid.uuid4().hex}"
        response_id = uuid.uuid4().hex
        response_url = f"{self.base_url}commands/response/{response_id}"
        fields = {
            "token": self.verification_token,
            "team_id": self.team_of_channel(channel_id),
            "team_domain": self.teams[self.team_of_channel(channel_id)].domain,
            "channel_id": channel_id,
            "channel_name": self.channels[channel_id].name,
            "user_id": user_id,
            "user_name": self.users[user_id].name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        inv = CommandInvocation(
            trigger_id=trigger_id,
            command=command,
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
            response_id=response_id,
            fields=fields,
        )
        self.commands[trigger_id] = inv
        self._commands_by_response_id[response_id] = inv
        return inv

    def _record_command_response(self, inv: CommandInvocation, body: dict[str, Any], via: str) -> None:
        response_type = str(body.get("response_type") or "ephemeral")
        inv.responses.append(CommandResponse(inv.trigger_id, via, body, response_type, time.time()))
        blocks = body.get("blocks") if isinstance(body.get("blocks"), list) else None
        text = str(body.get("text") or "")
        if response_type == "in_channel":
            self._store(
                StoredMessage(
                    channel=inv.channel_id,
                    ts=self.next_ts(),
                    user=self.bot_user_id,
                    bot_id=self.bot_id,
                    text=text,
                    blocks=blocks,
                    thread_ts=body.get("thread_ts") or None,
                )
            )
        else:
            self.ephemerals.append(
                Ephemeral(
                    inv.channel_id, inv.user_id, text, blocks, via, self.next_ts(), trigger_id=inv.trigger_id
                )
            )

    def _record_ack_body(self, inv: CommandInvocation, body: str | dict[str, Any] | None) -> None:
        if not body:
            return
        if isinstance(body, str):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = {"text": body}
            body = parsed if isinstance(parsed, dict) else {"text": body}
        self._record_command_response(inv, body, "ack")

    async def send_slash_command(
        self,
        url: str,
        command: str = "/suggest",
        text: str = "",
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        trigger_id: str | None = None,
        timeout_s: float = 10.0,
        encode_form: Callable[[dict[str, str]], str] = urlencode,
        **signing: Unpack[Signing],
    ) -> AppResponse:
        """POST a signed, form-encoded slash command as Slack does (all of Slack's fields).

        ``response_url`` points at this emulator; what the app posts there and any non-empty
        ack body are recorded (:meth:`responses_for` with ``AppResponse.trigger_id``).
        ``AppResponse.elapsed`` is the ack latency (Slack shows an error after 3 s). ``encode_form``
        writes the body from the fields (real bodies differ: ``+`` or ``%20`` for spaces, ``/`` and ``:``
        left as they are or escaped).
        """
        inv = self._new_command(command, text, user_id, channel_id, trigger_id)
        body = encode_form(inv.fields)
        headers = self.signed_headers(body, content_type="application/x-www-form-urlencoded", **signing)
        response = await self._post_to_app(url, body, headers, timeout_s)
        if response.status == 200:
            self._record_ack_body(inv, response.body)
        return AppResponse(
            response.status, response.body, response.headers, response.elapsed, trigger_id=inv.trigger_id
        )

    async def send_block_action(
        self,
        url: str,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | None = None,
        block_id: str = "actions",
        user_id: str | None = None,
        channel_id: str | None = None,
        timeout_s: float = 10.0,
    ) -> AppResponse:
        """A user clicks a button (``value``) or picks a ``static_select`` option (``selected``) in a
        message: POST a signed ``block_actions`` payload as Slack's interactivity does. Responses the app
        sends to the payload's ``response_url`` are recorded under ``AppResponse.trigger_id``."""
        inv = self._new_command("block_actions", "", user_id, channel_id, None)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": self.next_ts(),
        }
        if selected is not None:
            action.update(
                type="static_select",
                selected_option={"text": {"type": "plain_text", "text": selected}, "value": selected},
            )
        else:
            action.update(type="button", value=value or "", text={"type": "plain_text", "text": action_id})
        user = self.users[inv.user_id]
        payload = {
            "type": "block_actions",
            "token": self.verification_token,
            "api_app_id": self.api_app_id,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": self.team_id},
            "channel": {"id": inv.channel_id, "name": self.channels[inv.channel_id].name},
            "container": {"type": "message", "channel_id": inv.channel_id, "is_ephemeral": True},
            "trigger_id": inv.trigger_id,
            "response_url": inv.response_url,
            "actions": [action],
        }
        body = urlencode({"payload": json.dumps(payload)})
        headers = self.signed_headers(body, content_type="application/x-www-form-urlencoded")
        response = await self._post_to_app(url, body, headers, timeout_s)
        return AppResponse(
            response.status, response.body, response.headers, response.elapsed, trigger_id=inv.trigger_id
        )

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        inv = self._commands_by_response_id.get(request.match_info["response_id"])
        if inv is None:
            return web.Response(status=404, text="invalid_url")
        inv.response_url_uses += 1
        if inv.response_url_uses > RESPONSE_URL_MAX_USES:
            return web.Response(status=404, text="used_url")
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict) or not (
            body.get("text") or body.get("blocks") or body.get("delete_original")
        ):
            return web.Response(status=400, text="no_text")
        self._record_command_response(inv, body, "response_url")
        return web.json_response({"ok": True})
