"""Reactions: their state on messages and the reaction events a test sends to the app."""

from __future__ import annotations

from typing import Any

from tests.emulators.slack_emulator.limits import SlackEmulatorError, _ApiError
from tests.emulators.slack_emulator.records import EventDelivery, StoredMessage


class ReactionsMixin:
    """Reactions and their events."""

    def _apply_reaction(self, msg: StoredMessage, user: str, name: str, *, add: bool) -> None:
        users = msg.reactions.get(name, [])
        if add:
            if user in users:
                raise _ApiError("already_reacted")
            msg.reactions[name] = [*users, user]
        else:
            if user not in users:
                raise _ApiError("no_reaction")
            users = [u for u in users if u != user]
            if users:
                msg.reactions[name] = users
            else:
                del msg.reactions[name]

    def _reaction_event(self, kind: str, channel: str, ts: str, user: str, name: str) -> dict[str, Any]:
        stored = self._by_ts.get((channel, ts))
        return {
            "type": kind,
            "user": user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "reaction": name,
            "item_user": stored.user
            if stored is not None
            else self.teams[self.team_of_channel(channel)].bot_user_id,
            "event_ts": self.next_ts(),
        }

    def reaction_added_event(self, channel: str, ts: str, user: str, name: str) -> dict[str, Any]:
        """A ``reaction_added`` event in Slack's shape (no state change)."""
        return self._reaction_event("reaction_added", channel, ts, user, name)

    def reaction_removed_event(self, channel: str, ts: str, user: str, name: str) -> dict[str, Any]:
        """A ``reaction_removed`` event in Slack's shape (no state change)."""
        return self._reaction_event("reaction_removed", channel, ts, user, name)

    async def add_reaction(
        self, channel: str, ts: str, user: str, name: str, *, emit: bool = True
    ) -> EventDelivery | None:
        """A user reacts: state changes (``SlackEmulatorError`` on ``already_reacted`` etc.) and, if
        ``emit`` and an event target exists (:attr:`event_request_url`, else an open Socket Mode
        connection), a ``reaction_added`` event is delivered. Returns the delivery, if any."""
        return await self._user_reaction(channel, ts, user, name, add=True, emit=emit)

    async def remove_reaction(
        self, channel: str, ts: str, user: str, name: str, *, emit: bool = True
    ) -> EventDelivery | None:
        """Counterpart of :meth:`add_reaction` (``reaction_removed``)."""
        return await self._user_reaction(channel, ts, user, name, add=False, emit=emit)

    async def _user_reaction(
        self, channel: str, ts: str, user: str, name: str, *, add: bool, emit: bool
    ) -> EventDelivery | None:
        if user not in self.users:
            raise SlackEmulatorError(f"unknown user {user}")
        team = self.team_of_channel(channel)
        homes = {t.id for t in self.teams.values() if user in t.users} or {self.team_id}
        if team not in homes and not self.users[user].is_bot:
            raise SlackEmulatorError(f"user {user} is not in workspace {team}")
        msg = self.message(channel, ts)
        try:
            self._apply_reaction(msg, user, name, add=add)
        except _ApiError as exc:
            raise SlackEmulatorError(exc.error) from None
        if not emit:
            return None
        event = (self.reaction_added_event if add else self.reaction_removed_event)(channel, ts, user, name)
        return await self.emit_event(event)

    async def emit_event(self, event: dict[str, Any], *, team_id: str | None = None) -> EventDelivery | None:
        """Deliver an event to the configured target: :attr:`event_request_url` (HTTP) if set,
        else the newest open Socket Mode connection, else nowhere (returns ``None``)."""
        if self.event_request_url is not None:
            await self.deliver_event(self.event_request_url, event, team_id=team_id)
            return self.deliveries[-1]
        if self._open_socket_connections():
            return await self.push_socket_event(event)
        return None
