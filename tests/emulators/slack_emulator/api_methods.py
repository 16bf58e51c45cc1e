"""The Web API methods digestbot calls: chat.*, conversations.*, reactions.*, users.info, auth.test."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from tests.emulators.slack_emulator.blocks import validate_blocks
from tests.emulators.slack_emulator.limits import (
    _REACTION_NAME,
    MAX_MESSAGE_TEXT,
    REACTION_USERS_WITHOUT_FULL,
    _ApiError,
    _decode_cursor,
    _encode_cursor,
    _parse_json_field,
    _truthy,
    _ts_key,
)
from tests.emulators.slack_emulator.records import Ephemeral, StoredMessage


class ApiMethodsMixin:
    """The Web API methods."""

    def _api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("error"):
            raise _ApiError(str(params["error"]))
        return {"args": params}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self._current().domain}.slack.com/",
            "team": self._current().domain,
            "user": self.bot_name,
            "team_id": self._current().id,
            "user_id": self._current().bot_user_id,
            "bot_id": self._current().bot_id,
            "is_enterprise_install": False,
        }

    def _message_fields(self, params: dict[str, Any], *, require_content: bool = True) -> dict[str, Any]:
        text = params.get("text")
        text = "" if text is None else str(text)
        blocks = _parse_json_field(params.get("blocks"), "invalid_blocks_format")
        attachments = _parse_json_field(params.get("attachments"), "invalid_attachments")
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                raise _ApiError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            if not blocks:
                blocks = None
        if require_content and not text and blocks is None and not attachments:
            raise _ApiError("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        metadata = _parse_json_field(params.get("metadata"), "invalid_metadata_format")
        if metadata is not None and (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not metadata["event_type"]
            or not isinstance(metadata.get("event_payload", {}), dict)
        ):
            raise _ApiError("invalid_metadata_schema")
        if metadata is not None:
            metadata = {
                "event_type": metadata["event_type"],
                "event_payload": metadata.get("event_payload", {}),
            }
        return {"text": text, "blocks": blocks, "metadata": metadata}

    def _store(self, msg: StoredMessage) -> StoredMessage:
        self._messages[msg.channel].append(msg)
        self._by_ts[(msg.channel, msg.ts)] = msg
        if msg.thread_ts is not None:
            parent = self._by_ts[(msg.channel, msg.thread_ts)]
            parent.replies.append(msg)
            msg.parent_user_id = parent.user
        return msg

    def _store_bot_message(self, channel: str, **fields: Any) -> StoredMessage:
        """Store a message the app's bot user posted in ``channel``."""
        return self._store(
            StoredMessage(
                channel=channel,
                ts=self.next_ts(),
                user=self._current().bot_user_id,
                bot_id=self._current().bot_id,
                **fields,
            )
        )

    def _api_message(self, msg: StoredMessage) -> dict[str, Any]:
        return msg.to_api(team_id=self.team_id, app_id=self.api_app_id)

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._check_post_limit(channel)
        fields = self._message_fields(params)
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None:
            parent = self._by_ts.get((channel, str(thread_ts)))
            if parent is None or parent.is_reply:
                raise _ApiError("thread_not_found")
            thread_ts = parent.ts
        msg = self._store_bot_message(
            channel,
            thread_ts=thread_ts,
            unfurl_links=_truthy(params["unfurl_links"]) if "unfurl_links" in params else None,
            unfurl_media=_truthy(params["unfurl_media"]) if "unfurl_media" in params else None,
            reply_broadcast=_truthy(params.get("reply_broadcast")),
            **fields,
        )
        self.accepted_post_times.setdefault(channel, []).append(self.clock())
        return {"channel": channel, "ts": msg.ts, "message": self._api_message(msg)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        user = params.get("user")
        if not user or user not in self.users:
            raise _ApiError("user_not_found")
        fields = self._message_fields(params)
        ts = self.next_ts()
        self.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=str(user),
                text=fields["text"],
                blocks=fields["blocks"],
                via="api",
                ts=ts,
                thread_ts=params.get("thread_ts") or None,
            )
        )
        return {"message_ts": ts}

    def _find_message(self, params: dict[str, Any], ts_key: str = "ts") -> StoredMessage:
        channel = self._resolve_channel(params.get("channel"))
        msg = self._by_ts.get((channel, str(params.get(ts_key) or "")))
        if msg is None:
            raise _ApiError("message_not_found")
        return msg

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params)
        if msg.user != self._current().bot_user_id:
            raise _ApiError("cant_update_message")
        fields = self._message_fields(params, require_content=False)
        if not fields["text"] and fields["blocks"] is None and "blocks" not in params:
            raise _ApiError("no_text")
        msg.text = fields["text"]
        if "blocks" in params:
            msg.blocks = fields["blocks"]
        if "metadata" in params:
            msg.metadata = fields["metadata"]
        msg.edited_ts = self.next_ts()
        msg.edits += 1
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text, "message": self._api_message(msg)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params)
        if msg.user != self._current().bot_user_id:
            raise _ApiError("cant_delete_message")
        if msg.replies:  # Slack keeps a tombstone so the thread survives
            msg.subtype, msg.text, msg.blocks, msg.metadata = (
                "tombstone",
                "This message was deleted.",
                None,
                None,
            )
        else:
            self._messages[msg.channel].remove(msg)
            del self._by_ts[(msg.channel, msg.ts)]
            if msg.thread_ts is not None:
                self._by_ts[(msg.channel, msg.thread_ts)].replies.remove(msg)
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params, "message_ts")
        link = f"https://{self.team_domain}.slack.com/archives/{msg.channel}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts:
            link += f"?thread_ts={msg.thread_ts}&cid={msg.channel}"
        return {"channel": msg.channel, "permalink": link}

    @staticmethod
    def _limit(params: dict[str, Any], default: int, maximum: int) -> int:
        try:
            limit = int(params.get("limit") or default)
        except ValueError as exc:
            raise _ApiError("invalid_limit") from exc
        return default if limit <= 0 else min(limit, maximum)

    @staticmethod
    def _in_range(ts: str, params: dict[str, Any]) -> bool:
        inclusive = _truthy(params.get("inclusive"))
        key = _ts_key(ts)
        if params.get("oldest"):
            oldest = _ts_key(str(params["oldest"]))
            if key < oldest or (key == oldest and not inclusive):
                return False
        if params.get("latest"):
            latest = _ts_key(str(params["latest"]))
            if key > latest or (key == latest and not inclusive):
                return False
        return True

    def _page(
        self, items: list[StoredMessage], params: dict[str, Any], limit: int, *, newest_first: bool
    ) -> tuple[list[StoredMessage], str]:
        if params.get("cursor"):
            start = _ts_key(_decode_cursor(str(params["cursor"])))
            items = [m for m in items if (_ts_key(m.ts) <= start if newest_first else _ts_key(m.ts) >= start)]
        page, rest = items[:limit], items[limit:]
        return page, _encode_cursor(rest[0].ts) if rest else ""

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        include_md = _truthy(params.get("include_all_metadata"))
        items = [
            m
            for m in reversed(self._messages[channel])
            if (not m.is_reply or m.reply_broadcast) and self._in_range(m.ts, params)
        ]
        page, cursor = self._page(items, params, self._limit(params, 100, 999), newest_first=True)
        return {
            "messages": [
                m.to_api(team_id=self.team_id, app_id=self.api_app_id, include_metadata=include_md)
                for m in page
            ],
            "has_more": bool(cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        msg = self._by_ts.get((channel, str(params.get("ts") or "")))
        if msg is None:
            raise _ApiError("thread_not_found")
        parent = self._by_ts[(channel, msg.thread_ts)] if msg.thread_ts else msg
        include_md = _truthy(params.get("include_all_metadata"))
        replies = [r for r in parent.replies if self._in_range(r.ts, params)]
        page, cursor = self._page(replies, params, self._limit(params, 1000, 1000), newest_first=False)
        # Like Slack, the parent comes first on every page.
        messages = [parent, *page]
        return {
            "messages": [
                m.to_api(team_id=self.team_id, app_id=self.api_app_id, include_metadata=include_md)
                for m in messages
            ],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.channels[self._resolve_channel(params.get("channel"))].to_api()}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "channels": [c.to_api() for c in self.channels.values()],
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.channels[self._resolve_channel(params.get("channel"))].to_api()}

    def _reaction_target(self, params: dict[str, Any]) -> tuple[StoredMessage, str]:
        msg = self._find_message(params, "timestamp")
        name = str(params.get("name") or "")
        if not _REACTION_NAME.match(name):
            raise _ApiError("invalid_name")
        return msg, name

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        msg, name = self._reaction_target(params)
        self._apply_reaction(msg, self._current().bot_user_id, name, add=True)
        return {}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        msg, name = self._reaction_target(params)
        self._apply_reaction(msg, self._current().bot_user_id, name, add=False)
        return {}

    def _reactions_get(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_message(params, "timestamp")
        api = self._api_message(msg)
        api.pop("reactions", None)
        cap = None if _truthy(params.get("full")) else REACTION_USERS_WITHOUT_FULL
        if msg.reactions:
            api["reactions"] = msg.reaction_list(users_cap=cap)
        return {"type": "message", "channel": msg.channel, "message": api}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": user.to_api(self.team_id)}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._socket_tickets.add(ticket)
        query = urlencode({"ticket": ticket, "app_id": self.api_app_id})
        return {"url": f"ws://{self.host}:{self.port}/socket-mode/link/?{query}"}
