"""digestbot's discord.py client (intents, no prefix commands, requests spread under the global limit),
where it connects, and how its failures read to the core."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from adapters.outbound.pacing import SlidingWindowLimiter
from bot.config import DiscordConfig
from bot.ports import PlatformError

INTENTS = discord.Intents(guilds=True, guild_messages=True, guild_reactions=True)
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
# Discord error codes that retrying will not cure (the channel, token or permissions must change first).
PERMANENT_CODES = {10003, 10004, 10008, 50001, 50013, 50035, 50006, 50008, 50024, 50083}


def configure_endpoints(config: DiscordConfig) -> None:
    """Point discord.py at ``discord.api_url`` and ``discord.gateway_url`` (a proxy, or an emulator).

    Both are class attributes of discord.py, so this applies to every client in the process.
    """
    discord.http.Route.BASE = config.api_url
    gateway = config.gateway_url or DEFAULT_GATEWAY
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway.rstrip("/") + "/")


class DigestBot(commands.Bot):
    """digestbot's discord.py client: the non-privileged intents it needs, and no prefix commands.

    discord.py keeps each route's bucket but only reacts to the global limit once Discord answers 429,
    which stalls every request in flight; the bot spreads its requests under the global budget instead.
    """

    def __init__(
        self,
        *,
        guild_ready_timeout: float = 2.0,
        identify_delay: bool = True,
        requests_per_second: float = 50.0,
    ) -> None:
        # digestbot never joins voice: discord.py's warnings about missing voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        if hasattr(discord.VoiceClient, "warn_dave"):  # discord.py 2.7.1 and later
            discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=INTENTS,
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            chunk_guilds_at_startup=False,
        )
        self.identify_delay = identify_delay
        self._spread_requests(requests_per_second)

    def _spread_requests(self, per_second: float) -> None:
        # A little over a second per window: Discord counts on its own clock, a few ms away from ours.
        budget = SlidingWindowLimiter(max(1, int(per_second)), 1.02)
        request = self.http.request

        async def within_budget(route: discord.http.Route, **kwargs: Any) -> Any:
            # Interaction responses and webhooks do not count against the global limit.
            if not route.path.startswith(("/interactions/", "/webhooks/")):
                await budget.acquire()
            return await request(route, **kwargs)

        self.http.request = within_budget  # type: ignore[method-assign]

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every IDENTIFY after the first (Discord's identify limit); a test
        # against an emulator may skip that.
        if self.identify_delay:
            await super().before_identify_hook(shard_id, initial=initial)


def map_error(error: BaseException, doing: str) -> PlatformError:
    """The core's view of a discord.py or aiohttp failure: permanent, or worth retrying."""
    if isinstance(error, discord.LoginFailure):
        return PlatformError(f"Discord refused the bot token while {doing}", permanent=True)
    if isinstance(error, discord.RateLimited):
        return PlatformError(f"Discord rate limit while {doing}: retry in {error.retry_after:.0f}s")
    if isinstance(error, discord.HTTPException):
        code = f" (code {error.code})" if error.code else ""
        text = error.text.splitlines()[0] if error.text else ""
        message = f"Discord answered {error.status}{code} while {doing}: {text}".rstrip(": ")
        permanent = (
            error.status in (400, 401, 403, 404) or error.code in PERMANENT_CODES
        ) and error.status != 429
        return PlatformError(message, permanent=permanent)
    if isinstance(error, (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordException)):
        return PlatformError(f"Discord did not answer while {doing}: {error.__class__.__name__}")
    return PlatformError(f"Discord request failed while {doing}: {error.__class__.__name__}")
