"""The Web API's plumbing: parameters, authentication, tier and per-channel rate limits, dispatch."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from aiohttp import web

from tests.emulators.slack_emulator.limits import _ApiError, _TokenBucket


class WebApiMixin:
    """Routes each Web API call to its method under Slack's limits."""

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                raw = await request.text()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError as exc:
                        raise _ApiError("invalid_json") from exc
                    if not isinstance(body, dict):
                        raise _ApiError("invalid_json")
                    params.update(body)
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    def _authenticate(self, method: str, request: web.Request, params: dict[str, Any]) -> str:
        if method == "oauth.v2.access":  # the app's client id and secret, not a token
            return self._oauth_client(request, params)
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.pop("token", None)
        params.pop("token", None)
        if not token:
            raise _ApiError("not_authed")
        if method == "apps.connections.open":
            if token in self._app_tokens:
                return token
            if token in self._bot_tokens:
                raise _ApiError("not_allowed_token_type")
            raise _ApiError("invalid_auth")
        self._refuse_revoked(token)
        if token in self._bot_tokens:
            self._set_current_team(token)
            return token
        if token in self._app_tokens:
            raise _ApiError("not_allowed_token_type")
        raise _ApiError("invalid_auth")

    def _ratelimited(self, retry_after: float, *, method: str, channel: str | None = None) -> _ApiError:
        self.rate_limited_count += 1
        self.rate_limited_by_method[method] += 1
        if channel is not None:
            self.rate_limited_by_channel[channel] += 1
        seconds = max(1, math.ceil(retry_after - 1e-9))
        return _ApiError("ratelimited", status=429, headers={"Retry-After": str(seconds)})

    def _check_method_limit(self, method: str) -> None:
        if not self.enforce_method_limits:
            return
        per_minute = self.method_limits_per_minute.get(method)
        if per_minute is None:
            return
        now = self.clock()
        bucket = self._method_buckets.get(method)
        if bucket is None:
            bucket = self._method_buckets[method] = _TokenBucket(per_minute / 60.0, per_minute, now)
        wait = bucket.take(now)
        if wait > 0:
            raise self._ratelimited(wait, method=method)

    def _check_post_limit(self, channel: str) -> None:
        storm = self._storms.get(channel)
        if storm and storm[0] > 0:
            storm[0] -= 1
            if storm[0] == 0:
                del self._storms[channel]
            raise self._ratelimited(storm[1], method="chat.postMessage", channel=channel)
        if self.post_rate_per_second is None:
            return
        now = self.clock()
        bucket = self._post_buckets.get(channel)
        if bucket is None:
            bucket = self._post_buckets[channel] = _TokenBucket(
                self.post_rate_per_second, self.post_burst, now
            )
        wait = bucket.take(now)
        if wait > 0:
            raise self._ratelimited(wait, method="chat.postMessage", channel=channel)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
            handler = self._API_METHODS.get(method)
            if handler is None:
                raise _ApiError("unknown_method", req_method=method)
            token = self._authenticate(method, request, params)
            self.calls.append((method, dict(params)))
            self.call_counts[method] += 1
            delays = self._delays.get(method)
            if delays:
                await asyncio.sleep(delays.pop(0))
            faults = self._faults.get(method)
            if faults:
                fault = faults[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.pop(0)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                raise _ApiError(fault.error or "internal_error", status=fault.status, headers=headers)
            if method != "chat.postMessage":
                self._check_method_limit(method)
            self._set_current_team(token)  # the handler acts as this token's workspace
            result = handler(self, params)
        except _ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
            return web.json_response(body, status=exc.status, headers=exc.headers)
        if self._drops[method] > 0:
            self._drops[method] -= 1
            transport = request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)
        return web.json_response({"ok": True, **result})
