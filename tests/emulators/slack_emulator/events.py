"""The Events API over HTTP: signed event envelopes POSTed to the app, redeliveries, URL verification."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any, Unpack

import aiohttp

from tests.emulators.slack_emulator.limits import Signing, SlackEmulatorError, sign_request
from tests.emulators.slack_emulator.records import AppResponse, EventDelivery


class EventsMixin:
    """Events sent to the app's Request URL."""

    def _new_event_id(self) -> str:
        return f"Ev{next(self._ids):010d}"

    def event_envelope(
        self, event: dict[str, Any], *, event_id: str | None = None, team_id: str | None = None
    ) -> dict[str, Any]:
        """Slack's ``event_callback`` envelope around ``event``, from ``team_id`` (else the channel's)."""
        channel = (event.get("item") or {}).get("channel") or event.get("channel") or ""
        team = self.teams[team_id or self.team_of_channel(channel)]
        context = {"et": event.get("type"), "tid": team.id, "aid": self.api_app_id, "cid": channel}
        context_raw = base64.b64encode(json.dumps(context, separators=(",", ":")).encode()).decode()
        return {
            "token": self.verification_token,
            "team_id": team.id,
            "context_team_id": team.id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._new_event_id(),
            "event_time": int(float(event.get("event_ts") or time.time())),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team.id,
                    "user_id": team.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + context_raw.rstrip("="),
        }

    def signed_headers(
        self,
        body: str,
        *,
        signing_secret: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
        content_type: str = "application/json",
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = sign_request(signing_secret or self.signing_secret, ts, body)
        if bad_signature:
            signature = sign_request("forged-" + (signing_secret or self.signing_secret), ts, body)
        return {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }

    async def _post_to_app(
        self, url: str, body: str, headers: dict[str, str], timeout_s: float
    ) -> AppResponse:
        if self._session is None:
            raise SlackEmulatorError("emulator not started")
        started = time.perf_counter()
        async with self._session.post(
            url, data=body.encode(), headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            text = await resp.text()
            return AppResponse(resp.status, text, dict(resp.headers), time.perf_counter() - started)

    async def deliver_event(
        self,
        url: str,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timeout_s: float = 10.0,
        team_id: str | None = None,
        **signing: Unpack[Signing],
    ) -> AppResponse:
        """POST a signed ``event_callback`` envelope to the app's Request URL.

        ``retry_num``/``retry_reason`` add ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` (use the
        original ``event_id`` for a redelivery). ``timestamp`` overrides the signed timestamp
        (e.g. ``time.time() - 301`` for a stale request), ``bad_signature`` signs with a wrong
        secret. Slack itself gives the app 3 s to answer; ``AppResponse.elapsed`` reports the time.
        """
        envelope = self.event_envelope(event, event_id=event_id, team_id=team_id)
        body = json.dumps(envelope)
        headers = self.signed_headers(body, **signing)
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        response = await self._post_to_app(url, body, headers, timeout_s)
        response = AppResponse(
            response.status, response.body, response.headers, response.elapsed, event_id=envelope["event_id"]
        )
        self.deliveries.append(EventDelivery(envelope["event_id"], envelope, "http", response=response))
        return response

    async def redeliver(
        self, url: str, delivery: EventDelivery, *, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> AppResponse:
        """Send ``delivery``'s event again with the same ``event_id``, as Slack's retries do."""
        return await self.deliver_event(
            url, delivery.event, event_id=delivery.event_id, retry_num=retry_num, retry_reason=retry_reason
        )

    async def verify_request_url(self, url: str, *, challenge: str | None = None) -> AppResponse:
        """Send Slack's signed ``url_verification`` challenge."""
        body = json.dumps(
            {
                "token": self.verification_token,
                "challenge": challenge or uuid.uuid4().hex,
                "type": "url_verification",
            }
        )
        return await self._post_to_app(url, body, self.signed_headers(body), 10.0)
