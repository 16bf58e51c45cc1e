"""The chat platforms' sections of the configuration: ``slack``, ``discord`` and the web server's ``http``.

Kept apart from :mod:`bot.config` (which re-exports them) so that neither module outgrows 400 lines.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

# What digestbot asks a workspace for when it is installed by OAuth (deploy/slack-app-manifest.yaml).
SLACK_BOT_SCOPES = (
    "chat:write",
    "commands",
    "reactions:read",
    "channels:history",
    "groups:history",
    "files:write",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _blank_is_unset(value: object) -> object:
    return None if value == "" else value


# A token or secret. Blank counts as unset, so ``${SLACK_APP_TOKEN:-}`` (or a variable set to nothing)
# leaves it out.
Secret = Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)]


class HttpConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)


class SlackConfig(Strict):
    bot_token: Secret = None
    signing_secret: Secret = None
    app_token: Secret = None
    api_url: str = "https://slack.com/api/"
    http: HttpConfig = HttpConfig()
    # Set both to serve Slack's OAuth flow (/slack/install): each workspace that installs gets its own token.
    client_id: str | None = None
    client_secret: Secret = None
    scopes: tuple[str, ...] = SLACK_BOT_SCOPES
    redirect_uri: str | None = None  # https://<bot>/slack/oauth_redirect, as in the app's Redirect URLs
    authorize_url: str = "https://slack.com/oauth/v2/authorize"
    # chat.postMessage pacing per channel: Slack allows about one message a second with short bursts.
    messages_per_second: float = Field(default=1.0, gt=0)
    burst: int = Field(default=3, ge=1)

    @field_validator("client_id", "redirect_uri", mode="before")
    @classmethod
    def _blank_text_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("authorize_url")
    @classmethod
    def _authorize_url_is_http(cls, value: str) -> str:
        require_http_url(value)
        return value

    @model_validator(mode="after")
    def _oauth_needs_both(self) -> SlackConfig:
        if (self.client_id is None) != (self.client_secret is None):
            missing = "client_secret" if self.client_secret is None else "client_id"
            raise ValueError(
                f"slack.{missing} is needed too: OAuth takes slack.client_id and slack.client_secret"
            )
        if self.oauth and self.app_token is not None:
            raise ValueError(
                "slack.app_token: OAuth installs are served over HTTP, not Socket Mode; leave it unset"
            )
        return self

    @property
    def oauth(self) -> bool:
        """Installs by OAuth into many workspaces, each with its own token from the installation store."""
        return self.client_id is not None and self.client_secret is not None

    @field_validator("api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        require_http_url(value)
        return value if value.endswith("/") else value + "/"

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None or self.client_id is not None


class DiscordConfig(Strict):
    token: Secret = None
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str | None = None
    sync_commands: bool = True
    # Discord's global limit for a bot (raised for large bots on request); requests are spread under it.
    requests_per_second: float = Field(default=50.0, gt=0)

    @field_validator("api_url")
    @classmethod
    def _api_url_has_no_trailing_slash(cls, value: str) -> str:
        require_http_url(value)
        return value.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self.token is not None


def require_http_url(value: str) -> None:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
