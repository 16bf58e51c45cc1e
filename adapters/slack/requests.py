"""What reaches bolt from ``POST /slack/events``: checked first, parsed second, never a traceback.

Slack signs every request: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` with the app's signing
secret, and a timestamp older than five minutes is a replay. A request whose signature or timestamp is
missing, malformed or wrong gets 401 before a byte of its body is parsed; one that is signed but cannot
be read (not UTF-8, not JSON, a JSON array or ``null``, a broken ``payload=``) gets 400. Each refusal is one
short log line, and at most a few a second (``RefusalLog``), so a flood of junk cannot fill a disk.

bolt's own body parser (``slack_bolt.request.internals.parse_body``) takes any form body that contains the
word "payload" anywhere, say a ``/suggest https://example.com/payload-tuning-guide`` or a channel called
#payloads, for an interactivity payload, finds no ``payload`` field and dispatches an empty request: the
command is answered 404 and lost. ``SlackRequest`` is bolt's request with the body parsed by its fields.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.web import metrics

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
TIMESTAMP = re.compile(r"[0-9]{1,12}")
MAX_CLOCK_SKEW_SECONDS = 5 * 60


class UnreadableBody(ValueError):
    """A signed body that is not a Slack payload."""


def parse_slack_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request body as bolt expects it: the JSON object of an event, the decoded ``payload``
    field of an interaction, or the fields of a slash command. ``UnreadableBody`` for anything else,
    including what bolt's own parser would fail on."""
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        if content_type == FORM:
            raise UnreadableBody("a form body that is not a form")
        return _json_object(raw)
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    return _json_object(fields["payload"]) if "payload" in fields else fields


def content_type_of(headers: Mapping[str, str | Sequence[str]]) -> str | None:
    """The media type of a request, from aiohttp's headers or bolt's normalised ones."""
    for name, value in headers.items():
        if name.lower() == "content-type":
            first = value if isinstance(value, str) else next(iter(value), "")
            return first.split(";")[0].strip().lower() or None
    return None


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise UnreadableBody("not JSON") from None
    if not isinstance(value, dict):
        raise UnreadableBody(f"JSON {type(value).__name__}, not an object")
    return value


class SlackRequest(AsyncBoltRequest):
    """bolt's request, with the body parsed by ``parse_slack_body`` (``UnreadableBody`` if it cannot be)."""

    def __init__(
        self,
        *,
        body: str,
        query: str | Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        parsed = parse_slack_body(body, content_type_of(headers or {}))  # raises before bolt's parser can
        super().__init__(
            body=body,
            query=query,  # type: ignore[arg-type]
            headers=dict(headers) if headers is not None else None,
            context=context,
        )
        self.body = parsed
        self.context = build_async_context(AsyncBoltContext(context or {}), parsed)

    def to_copyable(self) -> SlackRequest:
        return SlackRequest(
            body=self.raw_body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
        )


class RefusalLog:
    """One short line per refused request, at most ``per_second`` a second (bursts of ``burst``); the
    lines left out are counted and said in the next line that is written."""

    def __init__(self, *, per_second: float = 1.0, burst: int = 5) -> None:
        self.per_second = per_second
        self.burst = burst
        self._allowance = float(burst)
        self._last = time.monotonic()
        self.suppressed = 0

    def refused(self, status: int, reason: str, remote: str | None) -> None:
        metrics.SLACK_REQUESTS_REFUSED.labels(status=str(status)).inc()
        now = time.monotonic()
        self._allowance = min(self.burst, self._allowance + (now - self._last) * self.per_second)
        self._last = now
        if self._allowance < 1:
            self.suppressed += 1
            return
        self._allowance -= 1
        more = f" (and {self.suppressed} more refused requests not logged)" if self.suppressed else ""
        self.suppressed = 0
        log.warning("slack: refused a request from %s with %d: %s%s", remote or "?", status, reason, more)


def signed_by_slack(secret: bytes, raw: bytes, timestamp: str, signature: str, *, now: float) -> bool:
    """Slack's request signature over the body's bytes, within five minutes of ``now``.

    slack_sdk's ``SignatureVerifier`` decodes the body as UTF-8 first and raises on bytes that are not,
    so the check is made here on the bytes themselves."""
    if not TIMESTAMP.fullmatch(timestamp) or not SIGNATURE.fullmatch(signature):
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest("v0=" + expected, signature)


class SlackRequestGate:
    """Turns an aiohttp request to ``/slack/events`` into a ``SlackRequest`` or a 4xx response."""

    def __init__(self, signing_secret: str | None) -> None:
        self.secret = signing_secret.encode() if signing_secret else None
        self.refusals = RefusalLog()

    async def admit(self, request: web.Request) -> SlackRequest | web.Response:
        raw = await request.read()
        if self.secret is not None and not signed_by_slack(
            self.secret,
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
            now=time.time(),
        ):
            return self._refuse(
                request, 401, "no valid Slack signature, or a timestamp more than 5 minutes off"
            )
        try:
            return SlackRequest(body=raw.decode("utf-8"), query=request.query_string, headers=request.headers)
        except UnicodeDecodeError:
            return self._refuse(request, 400, "body is not UTF-8")
        except UnreadableBody as error:
            return self._refuse(request, 400, f"body is not a Slack payload ({error})")

    def _refuse(self, request: web.Request, status: int, reason: str) -> web.Response:
        self.refusals.refused(status, reason, request.remote)
        return web.json_response({"error": "invalid request"}, status=status)
