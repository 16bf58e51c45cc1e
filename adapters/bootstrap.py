"""The composition root: the one place that wires configuration, storage, platforms and core services."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.console.channel import ConsolePlatform
from bot.community.commands import DigestCommands, PostRequest
from bot.community.newsletters import NewsletterDirectory
from bot.community.suggestions import SuggestionService
from bot.community.titles import TitleFetcher
from bot.community.triage import Notifier, TriageService
from bot.community.votes import VoteService
from bot.config import Config, ConfigError
from bot.model import Channel, Platform
from bot.ports import ChatPlatform, Clock, SystemClock, UnitOfWorkFactory
from bot.posting.poster import Poster, PostReport, RetryPolicy
from storage.database import create_engine, upgrade
from storage.spool import FileSpool
from storage.unit_of_work import make_uow_factory

log = logging.getLogger(__name__)

PlatformFactory = Callable[["Application"], ChatPlatform]


@dataclass
class Application:
    config: Config
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory
    clock: Clock
    votes: VoteService
    suggestions: SuggestionService
    platform_factories: Mapping[Platform, PlatformFactory]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    _platforms: dict[Platform, ChatPlatform] = field(default_factory=dict)
    request_post: PostRequest | None = None
    report_observers: list[Callable[[PostReport], None]] = field(default_factory=list)

    def platform(self, which: Platform) -> ChatPlatform:
        if which not in self._platforms:
            factory = self.platform_factories.get(which)
            if factory is None:
                raise ConfigError(f"the {which.value} adapter is not available in this build")
            self._platforms[which] = factory(self)
        return self._platforms[which]

    def observe(self, report: PostReport) -> None:
        """Tell the observers (the /metrics counters under ``digestbot run``) how a post went."""
        for observer in self.report_observers:
            observer(report)

    def use_platform(self, platform: ChatPlatform) -> None:
        self._platforms[platform.platform] = platform

    def poster(self, channel: Channel) -> Poster:
        return Poster(self.uow_factory, self.platform(channel.platform), self.clock, retry=self.retry)

    def commands(self, request_post: PostRequest | None = None) -> DigestCommands:
        return DigestCommands(
            self.uow_factory,
            self.votes,
            self.suggestions,
            request_post or self.request_post,
            triage=self.triage,
            newsletters=NewsletterDirectory.from_config(self.config),
        )

    @property
    def triage(self) -> TriageService:
        """Suggestion triage; suggesters are told through the platforms that can notify."""

        def notifier(which: Platform) -> Notifier | None:
            if which not in self.platform_factories and which not in self._platforms:
                return None
            try:
                platform = self.platform(which)
            except ConfigError:
                return None
            return platform if callable(getattr(platform, "notify", None)) else None  # type: ignore[return-value]

        return TriageService(self.uow_factory, self.clock, notifier)

    async def unavailable(self, channel: Channel) -> str | None:
        """Why nothing can be posted to ``channel`` for now (its Slack workspace uninstalled digestbot)."""
        try:
            check = getattr(self.platform(channel.platform), "unavailable", None)
            return await check(channel) if check is not None else None
        except Exception as error:  # the post itself will meet the trouble and retry as usual
            log.warning("%s: could not tell whether it can be posted to: %s", channel.name, error)
            return None

    def channels(self, names: tuple[str, ...] = ()) -> list[Channel]:
        if names:
            return [self.config.channel(name).to_channel() for name in names]
        return [c.to_channel() for c in self.config.channels]

    async def aclose(self) -> None:
        await self.suggestions.drain(within=2.0)
        await self.votes.aclose()
        for platform in self._platforms.values():
            close = getattr(platform, "aclose", None)
            if close is not None:
                await close()
        await self.engine.dispose()


async def reconcile_on_start(app: Application, platform: Platform) -> None:
    """Catch up on the votes given (or withdrawn) while the bot was down, as a platform starts listening."""
    try:
        report = await app.votes.reconcile(app.platform(platform))
    except Exception as error:  # the bot keeps serving even if the catch-up read fails
        log.warning("%s: could not recover votes given while down: %s", platform.value, error)
        return
    if report.added or report.removed:
        log.info("%s: recovered %d votes, withdrew %d", platform.value, report.added, report.removed)


def _slack(app: Application) -> ChatPlatform:
    from adapters.slack.platform import make_slack_platform

    return make_slack_platform(app.config.slack, app.engine)


def _discord(app: Application) -> ChatPlatform:
    from adapters.discord.platform import make_discord_platform

    return make_discord_platform(app.config.discord, app.uow_factory)


class LazyTitleFetcher:
    """Builds the HTTP title fetcher on the first suggestion: aiohttp is a third of `post`'s start-up."""

    def __init__(self, build: Callable[[], TitleFetcher]) -> None:
        self._build = build
        self._fetcher: TitleFetcher | None = None

    async def fetch_title(self, url: str) -> str | None:
        if self._fetcher is None:
            self._fetcher = self._build()
        return await self._fetcher.fetch_title(url)


def make_title_fetcher(config: Config) -> TitleFetcher | None:
    if not config.suggestions.fetch_titles:
        return None
    settings = config.suggestions

    def build() -> TitleFetcher:
        from adapters.outbound.title_fetcher import HttpTitleFetcher, any_address, public_only

        return HttpTitleFetcher(
            timeout=settings.title_timeout_seconds,
            max_bytes=settings.title_max_bytes,
            policy=any_address if settings.allow_private_addresses else public_only,
        )

    return LazyTitleFetcher(build)


def default_platform_factories() -> dict[Platform, PlatformFactory]:
    """Each platform's SDK is imported only when a channel on it is used (discord.py alone takes ~1 s).

    The platforms take what they need (their config section, the unit of work) and never import this module.
    """
    return {
        Platform.CONSOLE: lambda app: ConsolePlatform(),
        Platform.SLACK: _slack,
        Platform.DISCORD: _discord,
    }


async def bootstrap(
    config: Config,
    *,
    clock: Clock | None = None,
    platform_factories: Mapping[Platform, PlatformFactory] | None = None,
    migrate: bool = True,
    **overrides: Any,
) -> Application:
    """Build the application; migrations are applied first so every command sees the current schema."""
    if migrate:
        await upgrade(config.database.url)
    engine = create_engine(config.database.url)
    uow_factory = make_uow_factory(engine)
    clock = clock or SystemClock()
    return Application(
        config=config,
        engine=engine,
        uow_factory=uow_factory,
        clock=clock,
        # One writer lane on SQLite (one writer at a time anyway); several on PostgreSQL.
        votes=VoteService(
            # A backlog of reactions to store waits for the replies people are waiting on.
            make_uow_factory(engine, background=True),
            clock,
            config.votes,
            lanes=1 if engine.dialect.name == "sqlite" else 8,
            spool=FileSpool(config.database.spool_dir, max_bytes=config.database.spool_max_bytes),
            newsletter_policies={n.id: n.votes for n in config.newsletters if n.votes is not None},
        ),
        suggestions=SuggestionService(
            uow_factory,
            clock,
            config=config.suggestions,
            titles=make_title_fetcher(config),
            newsletters=NewsletterDirectory.from_config(config),
        ),
        platform_factories=platform_factories or default_platform_factories(),
        **overrides,
    )
