"""Configuration: a YAML file validated by pydantic, with ``${ENV}`` interpolation for secrets.

Secrets are held as :class:`pydantic.SecretStr`, so printing or logging a config never shows them, and an
error message names the key that is wrong, never the value that was in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.emoji import normalise_emoji
from bot.model import DEFAULT_NEWSLETTER, Channel, ChannelFilter, Newsletter, Platform
from bot.platform_config import DiscordConfig, HttpConfig, SlackConfig
from bot.platform_config import Strict as _Strict
from bot.schedule_config import WEEKDAYS, CronSchedule, Schedule, WeeklySchedule

CONFIG_ENV_VAR = "DIGESTBOT_CONFIG"
DEFAULT_CONFIG_PATH = Path("config.yaml")


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why, without secret values."""


class DatabaseConfig(_Strict):
    url: str = "sqlite:///digestbot.db"
    spool_dir: str = "digestbot-spool"  # where reactions wait out a database outage (README: Reliability)
    spool_max_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)


class AdminsConfig(_Strict):
    slack: tuple[str, ...] = ()
    discord: tuple[str, ...] = ()


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


class ChannelNewsletterConfig(_Strict):
    """A newsletter a channel gets, with its own schedule (none: posted by hand only)."""

    id: str
    schedule: Schedule | None = None


class ChannelConfig(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.-]+$")]
    platform: Platform
    id: str = ""
    guild: str | None = None
    team: str | None = None  # the Slack workspace (T…) of the channel, when digestbot is in several
    schedule: Schedule | None = None  # of the one newsletter, when there is one
    filter: FilterConfig = Field(default_factory=FilterConfig)
    newsletters: tuple[ChannelNewsletterConfig, ...] = ()  # none listed: every newsletter, by hand

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


class NewsletterConfig(_Strict):
    """A newsletter the bot follows (``newsletters:``); without the list, one named ``default``."""

    id: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    name: str = ""
    source: SourceConfig | None = None
    emoji: str | None = None  # shown before its rankings (/digest top)
    votes: VotesConfig | None = None  # its own vote emoji, weights and results post; else the bot's

    def to_newsletter(self) -> Newsletter:
        return Newsletter(id=self.id, name=self.name, emoji=self.emoji)


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
    newsletters: tuple[NewsletterConfig, ...] = ()

    @model_validator(mode="after")
    def _channel_names_unique(self) -> Config:
        names = [c.name for c in self.channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"channel names must be unique, repeated: {', '.join(duplicates)}")
        return _check_newsletters(self)

    def newsletter_configs(self) -> tuple[NewsletterConfig, ...]:
        """The configured newsletters, or the implicit ``default`` one with the top-level source."""
        if self.newsletters:
            return self.newsletters
        return (NewsletterConfig(id=DEFAULT_NEWSLETTER, source=self.source),)

    def newsletter(self, newsletter_id: str | None) -> NewsletterConfig:
        """The newsletter ``newsletter_id`` names; None: the only one. ConfigError lists the ids."""
        known = self.newsletter_configs()
        if newsletter_id is None and len(known) == 1:
            return known[0]
        ids = ", ".join(n.id for n in known)
        if newsletter_id is None:
            raise ConfigError(f"several newsletters: say which with --newsletter ({ids})")
        for newsletter in known:
            if newsletter.id == newsletter_id:
                return newsletter
        raise ConfigError(f"no newsletter {newsletter_id!r} (newsletters: {ids})")

    def votes_of(self, newsletter_id: str) -> VotesConfig:
        """A newsletter's vote settings: its own ``votes:``, else the bot's."""
        own = next((n.votes for n in self.newsletters if n.id == newsletter_id), None)
        return own or self.votes

    def channel_newsletters(self, channel: ChannelConfig) -> tuple[ChannelNewsletterConfig, ...]:
        """What a channel gets: its ``newsletters:``, or every newsletter (the only one on its schedule)."""
        if channel.newsletters:
            return channel.newsletters
        known = self.newsletter_configs()
        if len(known) == 1:
            return (ChannelNewsletterConfig(id=known[0].id, schedule=channel.schedule),)
        return tuple(ChannelNewsletterConfig(id=n.id) for n in known)

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


def _check_newsletters(config: Config) -> Config:
    ids = [n.id for n in config.newsletters]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"newsletter ids must be unique, repeated: {', '.join(repeated)}")
    known = {n.id for n in config.newsletter_configs()}
    for channel in config.channels:
        listed = [n.id for n in channel.newsletters]
        unknown = sorted(set(listed) - known)
        if unknown:
            raise ValueError(
                f"channel {channel.name!r}: unknown newsletter {unknown[0]!r} (newsletters: "
                f"{', '.join(sorted(known))})"
            )
        if len(listed) != len(set(listed)):
            raise ValueError(f"channel {channel.name!r} lists a newsletter twice")
        if channel.schedule is not None and (channel.newsletters or len(known) > 1):
            raise ValueError(
                f"channel {channel.name!r}: with several newsletters, give each its schedule under the "
                "channel's newsletters:"
            )
    if len(config.newsletters) > 1 and (config.source.feed or config.source.folder):
        raise ValueError("with several newsletters, give each its source under newsletters:")
    return config


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


__all__ = [
    "WEEKDAYS",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "CronSchedule",
    "DiscordConfig",
    "HttpConfig",
    "NewsletterConfig",
    "Schedule",
    "SlackConfig",
    "WeeklySchedule",
    "load_config",
    "parse_config",
]
