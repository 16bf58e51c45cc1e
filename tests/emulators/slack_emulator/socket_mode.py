"""Socket Mode: the app's WebSocket connections, envelopes pushed on them and their acks."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulators.slack_emulator.limits import SlackEmulatorError
from tests.emulators.slack_emulator.records import (
    CommandInvocation,
    EventDelivery,
    SocketAck,
    _SocketConnection,
)


class SocketModeMixin:
    """Socket Mode connections and envelopes."""

    def _open_socket_connections(self) -> list[_SocketConnection]:
        return [c for c in self._socket_conns if not c.ws.closed]

    @property
    def socket_connections(self) -> int:
        """Number of currently open Socket Mode connections."""
        return len(self._open_socket_connections())

    async def wait_for_socket_connection(self, count: int = 1, timeout_s: float = 5.0) -> None:
        """Wait until at least ``count`` Socket Mode connections have been opened in total."""
        async with self._socket_changed:
            await asyncio.wait_for(
                self._socket_changed.wait_for(lambda: self.socket_connection_count >= count), timeout_s
            )

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self._closing or ticket not in self._socket_tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _SocketConnection(uuid.uuid4().hex, ws, self.clock())
        self._socket_conns.append(conn)
        self.socket_connection_count += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._open_socket_connections()),
                "debug_info": {"host": "emulator", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.api_app_id},
            }
        )
        async with self._socket_changed:
            self._socket_changed.notify_all()
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
                continue
            conn.received.append(data)
            envelope_id = data.get("envelope_id") if isinstance(data, dict) else None
            if envelope_id:
                self._record_socket_ack(envelope_id, data)
        return ws

    def _record_socket_ack(self, envelope_id: str, data: dict[str, Any]) -> None:
        pending = self._pending_acks.pop(envelope_id, None)
        started, kind = (pending[1], pending[2]) if pending else (self.clock(), "unknown")
        ack = SocketAck(envelope_id, kind, data.get("payload"), self.clock() - started, data)
        self.socket_acks.append(ack)
        inv = self._socket_commands.pop(envelope_id, None)
        if inv is not None:
            self._record_ack_body(inv, data.get("payload"))
        if pending and not pending[0].done():
            pending[0].set_result(ack)

    async def push_socket_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        envelope_id: str | None = None,
        wait_ack: bool = True,
        timeout_s: float = 5.0,
    ) -> SocketAck | str:
        """Send an envelope over the newest open connection. With ``wait_ack`` returns the
        client's :class:`SocketAck` (``TimeoutError`` if none), else the ``envelope_id``."""
        conns = self._open_socket_connections()
        if not conns:
            raise SlackEmulatorError("no open Socket Mode connection")
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or ""
        future: asyncio.Future[SocketAck] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = (future, self.clock(), envelope_type)
        await conns[-1].ws.send_json(envelope)
        if not wait_ack:
            return envelope_id
        return await self.wait_for_ack(envelope_id, timeout_s)

    async def wait_for_ack(self, envelope_id: str, timeout_s: float = 5.0) -> SocketAck:
        for ack in self.socket_acks:
            if ack.envelope_id == envelope_id:
                return ack
        pending = self._pending_acks.get(envelope_id)
        if pending is None:
            raise SlackEmulatorError(f"unknown envelope {envelope_id}")
        return await asyncio.wait_for(asyncio.shield(pending[0]), timeout_s)

    async def push_socket_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        wait_ack: bool = True,
        timeout_s: float = 5.0,
    ) -> EventDelivery:
        """Push an ``events_api`` envelope (payload = the same ``event_callback`` envelope as HTTP)."""
        envelope = self.event_envelope(event, event_id=event_id)
        envelope_id = str(uuid.uuid4())
        delivery = EventDelivery(envelope["event_id"], envelope, "socket", envelope_id=envelope_id)
        self.deliveries.append(delivery)
        result = await self.push_socket_envelope(
            "events_api",
            envelope,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            envelope_id=envelope_id,
            wait_ack=wait_ack,
            timeout_s=timeout_s,
        )
        if isinstance(result, SocketAck):
            delivery.ack = result
        return delivery

    async def push_socket_command(
        self,
        command: str = "/suggest",
        text: str = "",
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        wait_ack: bool = True,
        timeout_s: float = 5.0,
    ) -> tuple[CommandInvocation, SocketAck | str]:
        """Push a ``slash_commands`` envelope. Returns the invocation (``trigger_id``,
        ``response_url``…) and the ack (or ``envelope_id`` when ``wait_ack=False``). A non-empty
        ack ``payload`` is recorded like an HTTP ack body."""
        inv = self._new_command(command, text, user_id, channel_id, None)
        envelope_id = str(uuid.uuid4())
        self._socket_commands[envelope_id] = inv
        result = await self.push_socket_envelope(
            "slash_commands",
            dict(inv.fields),
            accepts_response_payload=True,
            envelope_id=envelope_id,
            wait_ack=wait_ack,
            timeout_s=timeout_s,
        )
        return inv, result

    async def disconnect_socket(self, reason: str = "refresh_requested", *, close: bool = False) -> None:
        """Send Slack's ``disconnect`` message to every open connection (slack_sdk then opens a new
        connection via ``apps.connections.open``); ``close=True`` also closes them server-side."""
        for conn in self._open_socket_connections():
            await conn.ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "emulator"}}
            )
            if close:
                await conn.ws.close()
