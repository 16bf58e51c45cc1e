"""The gateway: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats, resume, compression, dispatches."""

from __future__ import annotations

import copy
import json
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

from tests.emulators.discord_emulator.model import Intents
from tests.emulators.discord_emulator.plumbing import _Connection, _Session


class GatewayMixin:
    """The gateway's WebSocket sessions and the events dispatched on them."""

    @property
    def connected_sessions(self) -> list[str]:
        return [s.id for s in self._sessions.values() if s.valid and s.conn is not None]

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a dispatch (op 0) to every live session that has the required intent.

        Sessions that are momentarily disconnected (but resumable) queue it for replay on RESUME.
        Returns how many sessions it was delivered or queued to."""
        count = 0
        for session in list(self._sessions.values()):
            if not session.valid or not session.wants(event):
                continue
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": self._filter_content(session, event, data)}
            session.log.append(frame)
            if session.conn is not None:
                await session.conn.send(frame)
            count += 1
        return count

    def _filter_content(self, session: _Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        if (
            event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and not session.intents & Intents.MESSAGE_CONTENT
            and (data.get("author") or {}).get("id") not in (None, str(self.application_id))
        ):
            data.update(content="", embeds=[], attachments=[], components=[])
        return data

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT on every connection (the client should reconnect and RESUME)."""
        for conn in list(self._connections):
            await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def send_invalid_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless ``resumable`` the sessions are discarded (fresh IDENTIFY)."""
        for conn in list(self._connections):
            if conn.session is not None and not resumable:
                conn.session.valid = False
            await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def close_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection from the server side with ``code``."""
        for conn in list(self._connections):
            await conn.ws.close(code=code, message=b"closed by emulator")

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress") if self.compression == "auto" else None
        conn = _Connection(ws, compress)
        self._connections.add(conn)
        self.gateway_compression.append(conn.compress)
        self.counters["gateway_connections"] += 1
        self._changed()
        try:
            if request.query.get("encoding", "json") != "json":
                await ws.close(code=4002, message=b"Error while decoding payload.")
                return ws
            await conn.send(
                {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                    continue
                try:
                    frame = json.loads(msg.data)
                    op = frame["op"]
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_gateway_op(conn, op, frame.get("d"))
        finally:
            self._connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if ws.close_code in (1000, 1001):
                    session.valid = False  # a clean close ends the session, as on Discord
            self._changed()
        return ws

    async def _on_gateway_op(self, conn: _Connection, op: int, d: Any) -> None:
        self.gateway_received.append((time.monotonic(), op, d))
        self._changed()
        if op == 1:
            self.counters["heartbeats"] += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif op == 8:
            await self._request_members(conn, d or {})
        elif op in (3, 4):
            return
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    def _token_ok(self, token: Any) -> bool:
        return isinstance(token, str) and token.removeprefix("Bot ") == self.token

    async def _identify(self, conn: _Connection, d: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if not self._token_ok(d.get("token")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        self.counters["identifies"] += 1
        self.identify_intents.append(intents)
        session = _Session(secrets.token_hex(16), intents, self.replay_size)
        session.conn = conn
        conn.session = session
        self._sessions[session.id] = session
        ready: dict[str, Any] = {
            "v": 10,
            "user_settings": {},
            "user": copy.deepcopy(self.bot_user),
            "session_type": "normal",
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "geo_ordered_rtc_regions": ["local"],
            "guild_join_requests": [],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "auth": {},
            "application": {"id": str(self.application_id), "flags": self._application_payload()["flags"]},
            "_trace": ['["discord-emulator",{"micros":0}]'],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        session.seq += 1
        frame = {"op": 0, "t": "READY", "s": session.seq, "d": ready}
        session.log.append(frame)
        await conn.send(frame)
        for gid in list(self.guilds):
            if session.wants("GUILD_CREATE"):
                session.seq += 1
                frame = {
                    "op": 0,
                    "t": "GUILD_CREATE",
                    "s": session.seq,
                    "d": self._guild_create_payload(gid, intents),
                }
                session.log.append(frame)
                await conn.send(frame)

    async def _resume(self, conn: _Connection, d: dict[str, Any]) -> None:
        if not self._token_ok(d.get("token")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = self._sessions.get(str(d.get("session_id")))
        seq = d.get("seq")
        if session is None or not session.valid:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        oldest = session.log[0]["s"] if session.log else session.seq + 1
        if isinstance(seq, int) and seq < oldest - 1:
            session.valid = False
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            await session.conn.ws.close(code=4000, message=b"Session resumed elsewhere.")
        session.conn = conn
        conn.session = session
        self.counters["resumes"] += 1
        last = seq if isinstance(seq, int) else 0
        for frame in list(session.log):
            if frame["s"] > last:
                self.counters["replayed_dispatches"] += 1
                await conn.send(frame)
        session.seq += 1
        await conn.send(
            {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ['["discord-emulator"]']}}
        )
        self._changed()

    async def _request_members(self, conn: _Connection, d: dict[str, Any]) -> None:
        gid = int(d.get("guild_id", 0) or 0)
        if gid not in self.guilds or conn.session is None:
            return
        members = [copy.deepcopy(m) for m in self.members[gid].values()]
        data = {"guild_id": str(gid), "members": members, "chunk_index": 0, "chunk_count": 1, "not_found": []}
        if d.get("nonce") is not None:
            data["nonce"] = d["nonce"]
        session = conn.session
        session.seq += 1
        frame = {"op": 0, "t": "GUILD_MEMBERS_CHUNK", "s": session.seq, "d": data}
        session.log.append(frame)
        await conn.send(frame)
