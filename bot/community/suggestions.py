"""``/suggest <link> [note]``: validated, canonicalised, de-duplicated suggestions for the next issue."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.community.newsletters import NewsletterDirectory, UnknownNewsletter
from bot.community.titles import TitleFetcher
from bot.config import SuggestionsConfig
from bot.model import (
    DEFAULT_NEWSLETTER,
    Person,
    Suggestion,
    SuggestionStatus,
    Supporter,
    issue_label,
)
from bot.ports import Clock, StorageError, UnitOfWorkFactory
from bot.text import storable
from bot.urls import canonical_url, is_http_url

log = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 500
MAX_URL_LENGTH = 2000
UNAVAILABLE = (
    "Sorry, I couldn't save your suggestion: digestbot's database is not answering right now. "
    "Nothing was saved; please try again in a minute."
)
USAGE = "Usage: /suggest <link> [note], for example /suggest https://example.com/article A great read"
FOR_USAGE = "/suggest --for ID <link>"


@dataclass(frozen=True, slots=True)
class Actor(Person):
    """Who sent a command, and from where."""

    is_admin: bool = False
    display_name: str | None = None

    def supporter(self, at: datetime) -> Supporter:
        """This person as the supporter of a link from ``at``."""
        return Supporter(self.platform, self.user_id, self.workspace_id, self.channel_id, at)


@dataclass(frozen=True, slots=True)
class TriageCard:
    """One pending suggestion as an admin sees it in ``/digest suggestions``: adapters add Approve and
    Reject buttons and a section picker (``sections``) to it."""

    suggestion_id: int
    text: str
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    ephemeral: bool = True
    ok: bool = True
    cards: tuple[TriageCard, ...] = ()


# Slack (<!channel>, <!here>, <!everyone>, <!subteam^S1|@team>, <@U123>) and Discord (<@123>, <@!123>,
# <@&role>) mentions, and the bare words that ping everyone.
_MENTIONS = re.compile(r"<[!@][^>]*>|(?<![\w.])@(?:here|everyone|channel)\b", re.IGNORECASE)


def strip_mentions(text: str) -> str:
    """The note without anything that would notify people when it is shown in a channel."""
    return " ".join(_MENTIONS.sub(" ", text).split())


_FOR = re.compile(r"\s*--for(?:=(\S*)|\s+(\S+)|(?=\s*$))\s*(.*)", re.DOTALL)


def take_for_option(text: str) -> tuple[str | None, str]:
    """A leading ``--for ID`` (or ``--for=ID``) of ``/suggest``: the newsletter it names, and the rest."""
    found = _FOR.match(text)
    if found is None:
        return None, text
    return found.group(1) or found.group(2) or "", found.group(3)


def split_suggest_text(text: str) -> tuple[str, str | None]:
    """Slack sends ``/suggest`` arguments as one string: the link, then an optional note."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", None
    link = parts[0].strip("<>")  # Slack wraps links it recognises as <url> or <url|label>
    link = link.split("|", 1)[0]
    note = parts[1].strip() if len(parts) > 1 else None
    return link, note or None


class SuggestionService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        config: SuggestionsConfig | None = None,
        titles: TitleFetcher | None = None,
        newsletters: NewsletterDirectory | None = None,
    ) -> None:
        self._newsletters = newsletters or NewsletterDirectory()
        self._uow_factory = uow_factory
        self._clock = clock
        self._config = config or SuggestionsConfig()
        self._titles = titles
        self._fetching: set[asyncio.Task[None]] = set()

    async def drain(self, within: float = 10.0) -> None:
        """Wait (bounded) for the title fetches under way, e.g. before shutting down or in tests."""
        if self._fetching:
            await asyncio.wait(set(self._fetching), timeout=within)

    def _fetch_title_later(self, suggestion_id: int, url: str) -> None:
        """Fetch the page title after the reply went out, and keep it with the suggestion."""
        if self._titles is None or not self._config.fetch_titles:
            return
        task = asyncio.get_running_loop().create_task(self._fetch_title(suggestion_id, url))
        self._fetching.add(task)
        task.add_done_callback(self._fetching.discard)

    async def _fetch_title(self, suggestion_id: int, url: str) -> None:
        assert self._titles is not None
        try:
            title = await self._titles.fetch_title(url)
            if title:
                async with self._uow_factory() as uow:
                    await uow.suggestions.set_title(suggestion_id, title)
                    await uow.commit()
        except Exception as error:  # a title is a nicety: never let it take anything down
            log.warning("could not fetch the title of %s: %s: %s", url, error.__class__.__name__, error)

    async def suggest_text(self, actor: Actor, text: str) -> Reply:
        """``/suggest [--for ID] <link> [note]`` as one string (Slack, the console)."""
        given, rest = take_for_option(text)
        link, note = split_suggest_text(rest)
        return await self.suggest(actor, link, note, newsletter=given)

    async def suggest(
        self, actor: Actor, link: str, note: str | None, *, newsletter: str | None = None
    ) -> Reply:
        """Suggest ``link`` for ``newsletter`` (an id; None: the one of the channel it came from)."""
        try:
            newsletter_id = self._newsletters.resolve(newsletter, actor.platform, actor.channel_id, FOR_USAGE)
        except UnknownNewsletter as error:
            return Reply(f"{error} Nothing was saved.", ok=False)
        link = link.strip()
        note = strip_mentions(storable(note)) if note else None
        note = note or None
        if not link:
            return Reply(USAGE, ok=False)
        if len(link) > MAX_URL_LENGTH:
            return Reply(f"That link is longer than {MAX_URL_LENGTH} characters.", ok=False)
        if not is_http_url(link):
            return Reply(
                f"That is not a web link: only http:// and https:// links can be suggested. {USAGE}", ok=False
            )
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            return Reply(
                f"The note is {len(note)} characters; keep it to {MAX_NOTE_LENGTH} or fewer. "
                "Nothing was saved.",
                ok=False,
            )
        url = canonical_url(link)
        supporter = actor.supporter(self._clock.now())
        try:
            return await self._store(actor, url, note, supporter, newsletter_id)
        except StorageError as error:  # one transaction: nothing of it was stored
            log.warning("could not store a suggestion: %s", error)
            return Reply(UNAVAILABLE, ok=False)

    async def _store(
        self, actor: Actor, url: str, note: str | None, supporter: Supporter, newsletter: str
    ) -> Reply:
        async with self._uow_factory() as uow:
            # The quota is counted, then a suggestion added: one user's commands take turns from here.
            await uow.suggestions.serialise_user(actor.platform, actor.user_id)
            featured = await uow.issues.number_featuring(url, newsletter=newsletter)
            if featured is not None:
                return Reply(
                    f"Thanks, but {url} was already featured in {issue_label(newsletter, featured)}.",
                    ok=False,
                )
            existing = await uow.suggestions.by_url(url, newsletter=newsletter)
            if existing is not None and any(
                s.platform is actor.platform and s.user_id == actor.user_id for s in existing.supporters
            ):
                return Reply(f"You have already suggested {url}; it is {existing.status.value}.")
            quota = self._config.daily_quota
            if quota and (
                await uow.suggestions.supported_since(
                    actor.platform, actor.user_id, self._clock.now() - timedelta(days=1)
                )
                >= quota
            ):
                return Reply(
                    f"You have made {quota} suggestions in the last 24 hours, the most allowed; "
                    "please try again tomorrow. Nothing was saved.",
                    ok=False,
                )
            if existing is None:
                stored = await uow.suggestions.add(
                    Suggestion(
                        url=url,
                        note=note,
                        submitted_by=supporter,
                        created_at=self._clock.now(),
                        newsletter_id=newsletter,
                    )
                )
                await uow.commit()
                if stored.id is not None and stored.title is None:
                    self._fetch_title_later(stored.id, url)
                of = (
                    ""
                    if newsletter == DEFAULT_NEWSLETTER
                    else f" of {self._newsletters.get(newsletter).title}"
                )
                return Reply(f"Thanks! {url} is suggested for the next issue{of}.")
            assert existing.id is not None
            if existing.status is SuggestionStatus.FEATURED and existing.featured_in is not None:
                featured_in = issue_label(newsletter, existing.featured_in)
                return Reply(f"Thanks, but {url} was already featured in {featured_in}.", ok=False)
            added = await uow.suggestions.add_supporter(existing.id, supporter)
            await uow.commit()
        if not added:
            return Reply(f"You have already suggested {url}; it is {existing.status.value}.")
        count = len(existing.supporters) + 1
        return Reply(f"Someone suggested {url} already; you are its supporter number {count}.")

    async def pending(self) -> list[Suggestion]:
        async with self._uow_factory() as uow:
            return await uow.suggestions.list(SuggestionStatus.PENDING)

    async def all(self) -> list[Suggestion]:
        async with self._uow_factory() as uow:
            return await uow.suggestions.list()
