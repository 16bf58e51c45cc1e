"""Slack's limits and rules as the emulator enforces them: method tiers, block sizes, signatures, errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any, TypedDict

# Slack's published tiers, per minute (Tier 1 = 1+, Tier 2 = 20+, Tier 3 = 50+, Tier 4 = 100+).
_TIER2, _TIER3, _TIER4 = 20.0, 50.0, 100.0


DEFAULT_METHOD_LIMITS_PER_MINUTE: dict[str, float | None] = {
    "auth.test": _TIER4,  # "special" at Slack: hundreds per minute
    "api.test": _TIER4,
    "apps.connections.open": _TIER2,  # Tier 1 at Slack, loosened (see module docstring)
    "chat.postEphemeral": _TIER4,
    "chat.update": _TIER3,
    "chat.delete": _TIER3,
    "chat.getPermalink": _TIER4,
    "conversations.history": _TIER3,
    "conversations.replies": _TIER3,
    "conversations.info": _TIER3,
    "conversations.list": _TIER2,
    "conversations.join": _TIER3,
    "reactions.add": _TIER3,
    "reactions.remove": _TIER2,
    "reactions.get": _TIER3,
    "users.info": _TIER4,
}


MAX_BLOCKS = 50


MAX_SECTION_TEXT = 3000


MAX_SECTION_FIELDS = 10


MAX_SECTION_FIELD_TEXT = 2000


MAX_HEADER_TEXT = 150


MAX_MESSAGE_TEXT = 40_000


MAX_BLOCK_ID = 255


MAX_CONTEXT_ELEMENTS = 10

# A context block's text element.
MAX_CONTEXT_TEXT = 2000


RESPONSE_URL_MAX_USES = 5


REACTION_USERS_WITHOUT_FULL = 50


SIGNATURE_VERSION = "v0"


_KNOWN_BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "divider",
        "context",
        "actions",
        "image",
        "rich_text",
        "input",
        "file",
        "video",
        "markdown",
        "table",
        "context_actions",
    }
)


_REACTION_NAME = re.compile(r"^[a-z0-9_+\-']+(::skin-tone-[2-6])?$")


class SlackEmulatorError(Exception):
    """Raised by inspection/state helpers when asked for something that does not exist."""


@dataclass
class _Fault:
    remaining: int
    status: int
    error: str | None
    retry_after: int | None = None


class _TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.updated = now

    def take(self, now: float) -> float:
        """Take a token. Returns 0.0 on success, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class _ApiError(Exception):
    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in {"1", "true", "yes"}


def _parse_json_field(value: Any, error: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _ApiError(error) from exc
    return value


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _ApiError("invalid_cursor") from exc
    if not raw.startswith("next_ts:"):
        raise _ApiError("invalid_cursor")
    return raw.removeprefix("next_ts:")


def _ts_key(ts: str) -> tuple[int, int]:
    sec, _, frac = ts.partition(".")
    return int(sec), int(frac or 0)


class Signing(TypedDict, total=False):
    """How a request to the app is signed (``signed_headers``): with ``signing_secret`` (the emulator's by
    default), at ``timestamp`` (now by default; ``time.time() - 301`` for a stale request), or, with
    ``bad_signature``, with a wrong secret."""

    signing_secret: str | None
    timestamp: int | None
    bad_signature: bool


def sign_request(signing_secret: str, timestamp: str | int, body: str | bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""
    raw = body if isinstance(body, bytes) else body.encode()
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + raw
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"
