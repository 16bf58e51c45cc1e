"""``/suggest <link> [note]``: validated, canonicalised, de-duplicated suggestions for the next issue."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Platform, Suggestion, SuggestionStatus, Supporter
from bot.ports import Clock, UnitOfWorkFactory
from bot.urls import canonical_url, is_http_url

MAX_NOTE_LENGTH = 500
MAX_URL_LENGTH = 2000
USAGE = "Usage: /suggest <link> [note], for example /suggest https://example.com/article A great read"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sent a command, and from where."""

    platform: Platform
    user_id: str
    workspace_id: str | None = None
    channel_id: str | None = None
    is_admin: bool = False
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    ephemeral: bool = True
    ok: bool = True


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
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def suggest(self, actor: Actor, link: str, note: str | None) -> Reply:
        link = link.strip()
        note = note.strip() if note else None
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
        supporter = Supporter(
            platform=actor.platform,
            user_id=actor.user_id,
            workspace_id=actor.workspace_id,
            channel_id=actor.channel_id,
            at=self._clock.now(),
        )
        async with self._uow_factory() as uow:
            featured = await uow.issues.number_featuring(url)
            if featured is not None:
                return Reply(f"Thanks, but {url} was already featured in #{featured}.", ok=False)
            existing = await uow.suggestions.by_url(url)
            if existing is None:
                await uow.suggestions.add(
                    Suggestion(url=url, note=note, submitted_by=supporter, created_at=self._clock.now())
                )
                await uow.commit()
                return Reply(f"Thanks! {url} is suggested for the next issue.")
            assert existing.id is not None
            if existing.status is SuggestionStatus.FEATURED and existing.featured_in is not None:
                return Reply(f"Thanks, but {url} was already featured in #{existing.featured_in}.", ok=False)
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
