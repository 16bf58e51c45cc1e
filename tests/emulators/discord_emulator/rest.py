"""The REST API's plumbing: routes, authentication, rate-limit buckets, faults, the request loop."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from tests.emulators.discord_emulator.model import _JSON, ApiError, _DropConnection
from tests.emulators.discord_emulator.plumbing import _MESSAGE_ROUTE, RequestRecord, _Bucket, _Request, _Route


class RestMixin:
    """Routes each REST request to its handler under Discord's rate limits."""

    def _build_routes(self) -> list[_Route]:
        Handler = Callable[[_Request], Awaitable[Any]]
        # With the bot token, under the global rate limit.
        bot: dict[str, Handler] = {
            "GET /users/@me": self._get_me,
            "POST /users/@me/channels": self._open_dm,
            "GET /users/{user_id}": self._get_user,
            "GET /oauth2/applications/@me": self._get_application,
            "GET /applications/@me": self._get_application,
            "GET /gateway/bot": self._get_gateway_bot,
            "GET /guilds/{guild_id}": self._get_guild,
            "GET /guilds/{guild_id}/channels": self._get_guild_channels,
            "GET /guilds/{guild_id}/threads/active": self._get_active_threads,
            "GET /guilds/{guild_id}/members/{user_id}": self._get_member,
            "GET /guilds/{guild_id}/roles": self._get_roles,
            "GET /channels/{channel_id}": self._get_channel,
            "GET /channels/{channel_id}/messages": self._list_messages,
            "POST /channels/{channel_id}/messages": self._create_message,
            "GET /channels/{channel_id}/messages/{message_id}": self._get_message,
            "PATCH /channels/{channel_id}/messages/{message_id}": self._edit_message,
            "DELETE /channels/{channel_id}/messages/{message_id}": self._delete_message,
            "POST /channels/{channel_id}/messages/{message_id}/threads": self._thread_from_message,
            "POST /channels/{channel_id}/threads": self._thread_in_channel,
            "GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji}": self._list_reactors,
            "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": self._react,
            "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": self._unreact,
            "PUT /channels/{channel_id}/thread-members/@me": self._join_thread,
            "GET /applications/{application_id}/commands": self._list_commands,
            "PUT /applications/{application_id}/commands": self._bulk_commands,
            "POST /applications/{application_id}/commands": self._upsert_command,
            "DELETE /applications/{application_id}/commands/{command_id}": self._delete_command,
            "GET /applications/{application_id}/guilds/{guild_id}/commands": self._list_commands,
            "PUT /applications/{application_id}/guilds/{guild_id}/commands": self._bulk_commands,
            "POST /applications/{application_id}/guilds/{guild_id}/commands": self._upsert_command,
            "DELETE /applications/{application_id}/guilds/{guild_id}/commands/{command_id}": (
                self._delete_command
            ),
        }
        # Without a token, under the global rate limit.
        anonymous: dict[str, Handler] = {
            "GET /gateway": self._get_gateway,
        }
        # Interaction callbacks and webhooks: the interaction token is the credential; no global limit.
        tokened: dict[str, Handler] = {
            "POST /interactions/{interaction_id}/{token}/callback": self._interaction_callback,
            "POST /webhooks/{application_id}/{token}": self._followup,
            "GET /webhooks/{application_id}/{token}/messages/@original": self._get_original,
            "PATCH /webhooks/{application_id}/{token}/messages/@original": self._edit_original,
            "DELETE /webhooks/{application_id}/{token}/messages/@original": self._delete_original,
            "PATCH /webhooks/{application_id}/{token}/messages/{message_id}": self._edit_followup,
        }
        table = [
            (*route.split(" ", 1), handler, auth, global_limited)
            for routes, auth, global_limited in (
                (bot, True, True),
                (anonymous, False, True),
                (tokened, False, False),
            )
            for route, handler in routes.items()
        ]
        routes = []
        for method, template, handler, auth, global_limited in table:
            pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
            routes.append(
                _Route(method, template, re.compile(f"^{pattern}/?$"), handler, auth, global_limited)
            )
        return routes

    @staticmethod
    def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        hdrs = {"Via": "1.1 google", **(headers or {})}
        if status == 204:
            return web.Response(status=204, headers=hdrs)
        text = json.dumps(body, ensure_ascii=False)
        return web.Response(status=status, body=text.encode(), headers={**hdrs, "Content-Type": _JSON})

    def _bucket_for(self, route: _Route, params: dict[str, str]) -> _Bucket:
        route_key = f"{route.method} {route.template}"
        major = "+".join(params[k] for k in ("channel_id", "guild_id", "token") if k in params)
        key = (route_key, major)
        bucket = self._buckets.get(key)
        if bucket is None:
            if route_key == _MESSAGE_ROUTE:
                limit, per = self.message_rate
            else:
                limit, per = self.route_rates.get(route_key, self.default_rate)
            bucket_hash = hashlib.sha1(route_key.encode(), usedforsecurity=False).hexdigest()[:32]
            bucket = self._buckets[key] = _Bucket(limit, per, bucket_hash)
        return bucket

    def _rate_limited(
        self, retry_after: float, *, is_global: bool, scope: str, extra: dict[str, str]
    ) -> web.Response:
        self.counters["rate_limited"] += 1
        headers = {"Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Scope": scope, **extra}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        return self._json(429, body, headers)

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0]
        m = re.match(r"^/api/v\d+(/.*)$", raw_path)
        if not m:
            return self._json(404, {"message": "404: Not Found", "code": 0})
        path = m.group(1)
        record = RequestRecord(time.monotonic(), request.method, unquote(path), f"{request.method} ?")
        self.requests.append(record)
        self.counters["requests"] += 1
        matched = self._match(request.method, path)
        if matched is None:
            record.status = 404
            return self._json(404, {"message": "404: Not Found", "code": 0})
        route, params = matched
        record.route = f"{route.method} {route.template}"
        response = await self._process(request, route, params, record)
        if response is not None:
            record.status = response.status
        self._changed()
        return response

    async def _process(
        self, request: web.Request, route: _Route, params: dict[str, str], record: RequestRecord
    ) -> web.StreamResponse:
        now = time.monotonic()
        if route.auth and request.headers.get("Authorization", "") not in (f"Bot {self.token}", self.token):
            return self._json(401, {"message": "401: Unauthorized", "code": 0})

        if route.global_limited:
            end, count = self._global_window
            if now >= end:
                end, count = now + 1.0, 0
            if count >= self.global_rate:
                self.counters["rate_limited_global"] += 1
                return self._rate_limited(end - now, is_global=True, scope="global", extra={})
            self._global_window = (end, count + 1)

        for fault in self._faults:
            if fault.remaining > 0 and (
                fnmatch.fnmatchcase(f"{route.method} {record.path}", fault.pattern)
                or fnmatch.fnmatchcase(record.route, fault.pattern)
            ):
                fault.remaining -= 1
                self.counters["faults_injected"] += 1
                return self._json(fault.status, {"message": fault.message, "code": fault.code})
        self._faults = [f for f in self._faults if f.remaining > 0]

        channel_id = int(params["channel_id"]) if params.get("channel_id", "").isdigit() else None
        if channel_id is not None and self._storms.get(channel_id, 0) > 0:
            self._storms[channel_id] -= 1
            self.counters["rate_limited_storm"] += 1
            return self._rate_limited(self._storm_retry_after, is_global=False, scope="shared", extra={})

        bucket = self._bucket_for(route, params)
        if not bucket.try_acquire(now):
            self.counters["rate_limited_route"] += 1
            return self._rate_limited(
                bucket.reset_after(now), is_global=False, scope="user", extra=bucket.headers(now)
            )
        rl_headers = bucket.headers(now)

        body: Any = None
        if request.can_read_body and request.content_type == "multipart/form-data":
            body, files = {}, []
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    try:
                        body = json.loads(data)
                    except ValueError:
                        return self._json(400, {"message": "400: Bad Request", "code": 50109})
                elif part.name and part.name.startswith("files["):
                    content_type = part.headers.get("Content-Type", "application/octet-stream")
                    files.append((part.filename or "file", content_type, bytes(data)))
            if isinstance(body, dict):
                body["__files__"] = files
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._json(400, {"message": "400: Bad Request", "code": 50109})
        req = _Request(
            route.method, record.path, route.template, params, dict(request.query), body, request, now
        )
        try:
            result = await route.handler(req)
        except ApiError as exc:
            return self._json(exc.status, exc.body(), rl_headers)
        except _DropConnection:
            self.counters["connections_dropped"] += 1
            if request.transport is not None:
                request.transport.abort()
            record.status = -1
            return web.Response(status=500)
        if result is None:
            return self._json(204, None, rl_headers)
        return self._json(200, result, rl_headers)

    def _maybe_drop(self) -> None:
        if self._drops > 0:
            self._drops -= 1
            raise _DropConnection
