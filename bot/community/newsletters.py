"""Which newsletter a chat command means: the one it names, else the one of the channel it came from.

Both platforms' ``/digest`` and ``/suggest`` resolve through :class:`NewsletterDirectory`, so a wrong id
gets the same clear (ephemeral) answer everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config
from bot.model import DEFAULT_NEWSLETTER, Newsletter, Platform


class UnknownNewsletter(Exception):
    """The command named no newsletter, or one the bot does not follow: the message says which exist."""


@dataclass(frozen=True, slots=True)
class NewsletterDirectory:
    newsletters: tuple[Newsletter, ...] = (Newsletter(),)
    # What each configured channel gets, by (platform, channel id).
    by_channel: dict[tuple[Platform, str], tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Config) -> NewsletterDirectory:
        return cls(
            tuple(n.to_newsletter() for n in config.newsletter_configs()),
            {
                (c.platform, c.to_channel().id): tuple(n.id for n in config.channel_newsletters(c))
                for c in config.channels
            },
        )

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.newsletters)

    @property
    def implicit(self) -> bool:
        """Only the default newsletter of a config without ``newsletters:``: nothing to name."""
        return self.ids == (DEFAULT_NEWSLETTER,)

    def knows(self, newsletter_id: str) -> bool:
        return newsletter_id in self.ids

    def get(self, newsletter_id: str) -> Newsletter:
        return next((n for n in self.newsletters if n.id == newsletter_id), Newsletter(newsletter_id))

    def resolve(self, given: str | None, platform: Platform, channel_id: str | None, example: str) -> str:
        """The newsletter ``given`` names, else the channel's only one, else the bot's only one."""
        listed = ", ".join(self.ids)
        if given is not None:
            if not self.knows(given):
                raise UnknownNewsletter(f"There is no newsletter {given!r}. Newsletters: {listed}.")
            return given
        channel = self.by_channel.get((platform, channel_id or ""), self.ids)
        if len(channel) == 1:
            return channel[0]
        raise UnknownNewsletter(f"Several newsletters here: say which, for example {example} ({listed}).")
