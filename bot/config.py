"""Configuration: a YAML file validated by pydantic, with ``${ENV}`` interpolation for secrets.

Secrets are held as :class:`pydantic.SecretStr`, so printing or logging a config never shows them, and an
error message names the key that is wrong, never the value that was in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time as time_of_day
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter
from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.emoji import normalise_emoji
from bot.model import Channel, ChannelFilter, Platform
from bot.platform_config import DiscordConfig, HttpConfig, SlackConfig
from bot.platform_config import Strict as _Strict

CONFIG_ENV_VAR = "DIGESTBOT_CONFIG"
DEFAULT_CONFIG_PATH = Path("config.yaml")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why, without secret values."""


class DatabaseConfig(_Strict):
    url: str = "sqlite:///digestbot.db"
    spool_dir: str = "digestbot-spool"  # where reactions wait out a database outage (README: Reliability)
    spool_max_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)


class AdminsConfig(_Strict):
    slack: tuple[str, ...] = ()
    discord: tuple[str, ...] = ()


class WeeklySchedule(_Strict):
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    time: time_of_day
    timezone: str = "UTC"

    @field_validator("weekday", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _require_zone(value)


class CronSchedule(_Strict):
    cron: str
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _require_zone(value)


def _schedule_kind(value: Any) -> str:
    cron = isinstance(value, CronSchedule) or (isinstance(value, dict) and "cron" in value)
    return "cron" if cron else "weekly"


Schedule = Annotated[
    Annotated[WeeklySchedule, Tag("weekly")] | Annotated[CronSchedule, Tag("cron")],
    Discriminator(_schedule_kind),
]


class IncludeExclude(_Strict):
    include: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    exclude: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)


class FilterConfig(_Strict):
    """``sections``: section titles (``*`` wildcards, any case); ``keywords``: words in an item's title or
    blurb; ``sponsored: false`` leaves sponsored items out."""

    sections: IncludeExclude = Field(default_factory=IncludeExclude)
    keywords: IncludeExclude = Field(default_factory=IncludeExclude)
    sponsored: bool = True

    def to_filter(self) -> ChannelFilter:
        return ChannelFilter(
            include_sections=tuple(self.sections.include),
            exclude_sections=tuple(self.sections.exclude),
            include_keywords=tuple(self.keywords.include),
            exclude_keywords=tuple(self.keywords.exclude),
            sponsored=self.sponsored,
        )


class ChannelConfig(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.-]+$")]
    platform: Platform
    id: str = ""
    guild: str | None = None
    team: str | None = None  # the Slack workspace (T…) of the channel, when digestbot is in several
    schedule: Schedule | None = None
    filter: FilterConfig = Field(default_factory=FilterConfig)

    @model_validator(mode="after")
    def _id_required_on_chat_platforms(self) -> ChannelConfig:
        if self.platform is not Platform.CONSOLE and not self.id:
            raise ValueError(f"channel {self.name!r} needs the {self.platform.value} channel id")
        if self.team is not None and self.platform is not Platform.SLACK:
            raise ValueError(
                f"channel {self.name!r}: team names a Slack workspace, not a {self.platform.value} one"
            )
        return self

    def to_channel(self) -> Channel:
        return Channel(
            name=self.name,
            platform=self.platform,
            id=self.id or self.name,
            guild_id=self.team or self.guild,
            filter=self.filter.to_filter(),
        )


class VotesConfig(_Strict):
    """Which reactions count as votes and what each weighs. Empty: every emoji counts once."""

    emoji: dict[str, float] = Field(default_factory=dict)
    count_sponsored: bool = False
    # Before a channel's new issue, "last week's top N" with a bar chart (bot/community/results.py).
    results_post: bool = False
    results_top: int = Field(default=5, ge=1, le=10)

    @field_validator("emoji")
    @classmethod
    def _normalise(cls, value: dict[str, float]) -> dict[str, float]:
        return {normalise_emoji(str(name)): weight for name, weight in value.items()}

    def weight(self, emoji: str) -> float | None:
        """The weight of a normalised emoji, or None when it does not count."""
        if not self.emoji:
            return 1.0
        return self.emoji.get(emoji)


class SuggestionsConfig(_Strict):
    """``/suggest`` limits and the page titles fetched for suggested links."""

    daily_quota: int = Field(default=10, ge=0)  # suggestions (or supports) per user in 24 hours; 0: none
    fetch_titles: bool = True
    title_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    title_max_bytes: int = Field(default=512 * 1024, ge=1024)
    # Fetch titles from private, loopback and link-local addresses too (tests only: never in production).
    allow_private_addresses: bool = False


class SourceConfig(_Strict):
    feed: str | None = None
    folder: str | None = None
    poll_minutes: int = Field(default=30, ge=1)


class SchedulingConfig(_Strict):
    """How replicas share the scheduled posts: how often each looks for due work, and how long a claim
    lasts without renewal (a replica that dies gives its work up after this long)."""

    tick_seconds: float = Field(default=30.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    retry_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)


class Config(_Strict):
    database: DatabaseConfig = DatabaseConfig()
    admins: AdminsConfig = AdminsConfig()
    slack: SlackConfig = SlackConfig()
    discord: DiscordConfig = DiscordConfig()
    votes: VotesConfig = VotesConfig()
    suggestions: SuggestionsConfig = SuggestionsConfig()
    source: SourceConfig = SourceConfig()
    grace_hours: float = Field(default=12.0, ge=0)
    scheduling: SchedulingConfig = SchedulingConfig()
    # The bot's web server (/healthz, /metrics, and /slack/events in Slack HTTP mode); unset: slack.http.
    http: HttpConfig | None = None
    channels: tuple[ChannelConfig, ...] = ()

    @model_validator(mode="after")
    def _channel_names_unique(self) -> Config:
        names = [c.name for c in self.channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"channel names must be unique, repeated: {', '.join(duplicates)}")
        return self

    def secret_values(self) -> list[str]:
        """Every secret in the config, so that log output can be masked for them."""
        secrets = [
            self.slack.bot_token,
            self.slack.signing_secret,
            self.slack.app_token,
            self.slack.client_secret,
            self.discord.token,
        ]
        return [secret.get_secret_value() for secret in secrets if secret is not None]

    def channel(self, name: str) -> ChannelConfig:
        for channel in self.channels:
            if channel.name == name:
                return channel
        known = ", ".join(c.name for c in self.channels) or "none configured"
        raise ConfigError(f"no channel named {name!r} (channels: {known})")


DEFAULT_CONFIG: dict[str, Any] = {
    "database": {"url": "sqlite:///digestbot.db"},
    "channels": [{"name": "console", "platform": "console"}],
}

_ENV_PATTERN = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def interpolate(value: Any, environ: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in every string of a parsed YAML document."""
    if isinstance(value, dict):
        return {
            key: interpolate(item, environ, f"{path}.{key}" if path else str(key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [interpolate(item, environ, f"{path}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{path}: environment variable {name} is not set")

    return _ENV_PATTERN.sub(substitute, value)


def parse_config(
    document: Any, environ: Mapping[str, str] | None = None, *, origin: str = "config"
) -> Config:
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise ConfigError(f"{origin}: expected a mapping of settings at the top level")
    resolved = interpolate(document, os.environ if environ is None else environ)
    try:
        return Config.model_validate(resolved)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(
            str(part) for part in first["loc"] if not str(part).startswith(("function-", "tagged-"))
        )
        where = re.sub(r"\.(weekly|cron)(?=\.|$)", "", where, count=1) if "schedule" in where else where
        message = first["msg"].removeprefix("Value error, ")
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise ConfigError(f"{origin}: {where or 'config'}: {message}{more}") from None


def resolve_config_path(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """``--config``, else ``$DIGESTBOT_CONFIG``, else ``./config.yaml`` if present, else the built-in one."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR])
    if DEFAULT_CONFIG_PATH.is_file():
        return DEFAULT_CONFIG_PATH
    return None


def load_config(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    path = resolve_config_path(explicit, environ)
    if path is None:
        return parse_config(DEFAULT_CONFIG, environ, origin="built-in default config")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read config file: {error.__class__.__name__}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    return parse_config(document, environ, origin=str(path))


def _require_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value


__all__ = [
    "WEEKDAYS",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "CronSchedule",
    "DiscordConfig",
    "HttpConfig",
    "Schedule",
    "SlackConfig",
    "WeeklySchedule",
    "load_config",
    "parse_config",
]
