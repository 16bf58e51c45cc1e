"""Several workspaces and Slack's OAuth v2 install flow.

The emulator starts with one workspace (``team_id``), whose bot token is ``bot_token``. :meth:`add_team`
makes more; each has its own bot user, channels (``add_channel(..., team=…)``) and users. A workspace gets
a bot token by installing the app: :meth:`set_oauth_app` registers the app's ``client_id``/``client_secret``
and redirect URL, ``GET /oauth/v2/authorize?client_id=…&scope=…&state=…&team=T…`` stands for a person of
workspace ``team`` approving the install (Slack's ``team`` parameter picks the workspace) and redirects to
``redirect_uri?code=…&state=…``, and ``oauth.v2.access`` exchanges the code, once, for that workspace's
bot token. A token reaches only its own workspace: another workspace's channel is ``channel_not_found``.
:meth:`uninstall` revokes a workspace's token (``token_revoked`` from then on) and sends ``app_uninstalled``.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.emulators.slack_emulator.limits import SlackEmulatorError, _ApiError
from tests.emulators.slack_emulator.records import EventDelivery


@dataclass
class Team:
    id: str
    domain: str
    bot_user_id: str
    bot_id: str
    bot_token: str | None = None
    users: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uri: str | None


@dataclass(frozen=True)
class _Grant:
    team_id: str
    client_id: str
    redirect_uri: str | None
    scope: str
    user_id: str


class TeamsMixin:
    """Workspaces, their tokens, and the install flow that hands tokens out."""

    def _init_teams(self) -> None:
        self._team_numbers = itertools.count(2)
        self.teams: dict[str, Team] = {
            self.team_id: Team(self.team_id, self.team_domain, self.bot_user_id, self.bot_id, self.bot_token)
        }
        self._token_teams: dict[str, str] = {self.bot_token: self.team_id}
        self._revoked_tokens: set[str] = set()
        self._current_team = self.team_id
        self.oauth_app: OAuthApp | None = None
        self._grants: dict[str, _Grant] = {}
        self.oauth_exchanges: list[str] = []  # the codes exchanged, in order (used or refused)

    def add_team(self, team_id: str, *, domain: str | None = None) -> Team:
        """A workspace that has not installed the app yet (no bot token until it does)."""
        if team_id in self.teams:
            raise SlackEmulatorError(f"team {team_id} exists")
        n = next(self._team_numbers)
        team = Team(team_id, domain or team_id.lower(), f"U0BOTUSER{n}", f"B0BOTUSER{n}")
        self.teams[team_id] = team
        self.users.setdefault(team.bot_user_id, self._bot_user_record(team))
        return team

    def _bot_user_record(self, team: Team) -> Any:
        from tests.emulators.slack_emulator.records import User

        return User(team.bot_user_id, self.bot_name, self.bot_name, is_bot=True)

    def team_of_channel(self, channel_id: str) -> str:
        channel = self.channels.get(channel_id)
        return channel.team if channel is not None and channel.team else self.team_id

    def _current(self) -> Team:
        return self.teams[self._current_team]

    def _set_current_team(self, token: str) -> None:
        self._current_team = self._token_teams.get(token, self.team_id)

    def _channel_in_current_team(self, channel_id: str) -> bool:
        return self.team_of_channel(channel_id) == self._current_team

    def set_oauth_app(self, client_id: str, client_secret: str, *, redirect_uri: str | None = None) -> None:
        """The app as Slack knows it: its credentials and its registered Redirect URL."""
        self.oauth_app = OAuthApp(client_id, client_secret, redirect_uri)

    @property
    def authorize_url(self) -> str:
        """Pass as the app's authorize URL instead of ``https://slack.com/oauth/v2/authorize``."""
        return self.base_url + "oauth/v2/authorize"

    async def _handle_authorize(self, request: web.Request) -> web.Response:
        app = self.oauth_app
        query = request.query
        if app is None or query.get("client_id") != app.client_id:
            return web.Response(status=400, text="invalid_client_id")
        redirect_uri = query.get("redirect_uri") or app.redirect_uri
        if redirect_uri is None or (app.redirect_uri is not None and redirect_uri != app.redirect_uri):
            return web.Response(status=400, text="bad_redirect_uri")
        team_id = query.get("team", self.team_id)
        if team_id not in self.teams:
            return web.Response(status=400, text="invalid_team")
        state = query.get("state", "")
        if query.get("deny"):
            location = f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}"
            raise web.HTTPFound(location)
        code = f"{next(self._ids)}.{uuid.uuid4().hex}"
        installer = query.get("user") or self.default_user_id or "U0INSTALLER"
        self._grants[code] = _Grant(
            team_id, app.client_id, query.get("redirect_uri"), query.get("scope", ""), installer
        )
        raise web.HTTPFound(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    def _oauth_client(self, request: web.Request, params: dict[str, Any]) -> str:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        else:
            client_id, secret = str(params.get("client_id", "")), str(params.get("client_secret", ""))
        app = self.oauth_app
        if app is None or client_id != app.client_id:
            raise _ApiError("invalid_client_id")
        if secret != app.client_secret:
            raise _ApiError("bad_client_secret")
        return client_id

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        code = str(params.get("code", ""))
        self.oauth_exchanges.append(code)
        grant = self._grants.pop(code, None)  # a code is good once
        if grant is None:
            raise _ApiError("invalid_code")
        if grant.redirect_uri is not None and params.get("redirect_uri") != grant.redirect_uri:
            raise _ApiError("bad_redirect_uri")
        team = self.teams[grant.team_id]
        if team.bot_token is not None:
            self._revoked_tokens.add(team.bot_token)  # a reinstall replaces the token
            self._bot_tokens.discard(team.bot_token)
        team.bot_token = f"xoxb-{team.id}-{next(self._ids)}-{uuid.uuid4().hex[:12]}"
        self._bot_tokens.add(team.bot_token)
        self._token_teams[team.bot_token] = team.id
        return {
            "access_token": team.bot_token,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": team.bot_user_id,
            "app_id": self.api_app_id,
            "team": {"id": team.id, "name": team.domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.user_id},
        }

    def _refuse_revoked(self, token: str) -> None:
        if token in self._revoked_tokens:
            raise _ApiError("token_revoked")

    async def uninstall(self, team_id: str, *, emit: bool = True) -> EventDelivery | None:
        """The workspace removes the app: its token stops working and ``app_uninstalled`` is sent."""
        team = self.teams[team_id]
        if team.bot_token is not None:
            self._revoked_tokens.add(team.bot_token)
            self._bot_tokens.discard(team.bot_token)
            team.bot_token = None
        if not emit:
            return None
        return await self.emit_event({"type": "app_uninstalled", "event_ts": self.next_ts()}, team_id=team_id)

    async def revoke_bot_token(self, team_id: str) -> EventDelivery | None:
        """The workspace's bot token is revoked: ``tokens_revoked`` names the bot user."""
        team = self.teams[team_id]
        if team.bot_token is not None:
            self._revoked_tokens.add(team.bot_token)
            self._bot_tokens.discard(team.bot_token)
            team.bot_token = None
        event = {"type": "tokens_revoked", "tokens": {"bot": [team.bot_user_id]}, "event_ts": self.next_ts()}
        return await self.emit_event(event, team_id=team_id)
