"""Suggestions triaged into the next issue: admins approve or reject them (buttons in Slack and Discord),
approved ones go into ``digestbot draft``, and when an issue that links to them is ingested they are marked
featured. Suggesters are told when theirs is approved and again when it is featured, where the bot can
reach them (:class:`Notifier`, one per platform).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.community.suggestions import Actor, Reply, TriageCard
from bot.model import (
    DEFAULT_NEWSLETTER,
    Decision,
    Issue,
    Platform,
    Suggestion,
    SuggestionStatus,
    Supporter,
    issue_label,
)
from bot.ports import Clock, UnitOfWorkFactory
from bot.posting.messages import section_display_title
from bot.urls import canonical_url

log = logging.getLogger(__name__)

MAX_CARDS = 20
REFUSED = "Sorry, only digestbot admins can approve or reject suggestions."


class Notifier(Protocol):
    async def notify(self, supporter: Supporter, text: str) -> bool:
        """Tell one person something privately (a direct or ephemeral message); False if it could not."""
        ...


NotifierLookup = Callable[[Platform], Notifier | None]


def describe(suggestion: Suggestion) -> str:
    title = suggestion.title or suggestion.url
    supporters = len(suggestion.supporters)
    parts = [f"{title} — {suggestion.url}" if suggestion.title else title]
    parts.append(f"{supporters} supporter{'s' if supporters != 1 else ''}")
    if suggestion.newsletter_id != DEFAULT_NEWSLETTER:
        parts.append(f"for {suggestion.newsletter_id}")
    if suggestion.section:
        parts.append(f"section: {suggestion.section}")
    text = " · ".join(parts)
    return f"{text}\n{suggestion.note}" if suggestion.note else text


class TriageService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, notifiers: NotifierLookup | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._notifiers = notifiers or (lambda platform: None)

    async def sections(self, newsletter: str = DEFAULT_NEWSLETTER) -> tuple[str, ...]:
        """The sections of the newsletter's latest issue: what a suggestion for it can be filed under."""
        async with self._uow_factory() as uow:
            number = await uow.issues.latest_number(newsletter=newsletter)
            issue = await uow.issues.get(number, newsletter=newsletter) if number is not None else None
        if issue is None:
            return ()
        return tuple(dict.fromkeys(section_display_title(s) for s in issue.sections))

    async def pending_reply(self, actor: Actor) -> Reply:
        """``/digest suggestions``: the pending suggestions, most supported first, as cards with buttons."""
        if not actor.is_admin:
            return Reply("Sorry, /digest suggestions is for digestbot admins only.", ok=False)
        async with self._uow_factory() as uow:
            pending = await uow.suggestions.list(SuggestionStatus.PENDING)
        if not pending:
            return Reply("No pending suggestions.")
        shown = [s for s in pending[:MAX_CARDS] if s.id is not None]
        sections = {n: await self.sections(n) for n in dict.fromkeys(s.newsletter_id for s in shown)}
        cards = tuple(
            TriageCard(s.id, describe(s), sections[s.newsletter_id]) for s in shown if s.id is not None
        )
        lines = [f"{len(pending)} pending suggestion(s), most supported first:"]
        lines.extend(f"• {card.text}" for card in cards)
        return Reply("\n".join(lines), cards=cards)

    async def choose_section(self, actor: Actor, suggestion_id: int, section: str | None) -> Reply:
        if not actor.is_admin:
            return Reply(REFUSED, ok=False)
        async with self._uow_factory() as uow:
            suggestion = await uow.suggestions.get(suggestion_id)
            if suggestion is None:
                return Reply("That suggestion no longer exists.", ok=False)
            await uow.suggestions.set_section(suggestion_id, section)
            await uow.commit()
        return Reply(
            f"{suggestion.url} will go under {section!r} when approved." if section else "Section cleared."
        )

    async def decide(
        self, actor: Actor, suggestion_id: int, *, approve: bool, section: str | None = None
    ) -> Reply:
        """Approve or reject one suggestion (admins only); the suggester is told of an approval."""
        if not actor.is_admin:
            return Reply(REFUSED, ok=False)
        status = SuggestionStatus.APPROVED if approve else SuggestionStatus.REJECTED
        decision = Decision(status, f"{actor.platform.value}:{actor.user_id}", self._clock.now(), section)
        async with self._uow_factory() as uow:
            decided = await uow.suggestions.decide(suggestion_id, decision)
            suggestion = await uow.suggestions.get(suggestion_id)
            await uow.commit()
        if suggestion is None:
            return Reply("That suggestion no longer exists.", ok=False)
        if not decided:
            return Reply(f"{suggestion.url} is {suggestion.status.value} already.", ok=False)
        if approve:
            await self._tell(
                suggestion.submitted_by,
                f"Good news: your suggestion {suggestion.url} was approved for the next issue. Thank you!",
            )
            where = f" under {suggestion.section}" if suggestion.section else ""
            return Reply(f"Approved {suggestion.url}{where}; it goes into the next draft.")
        return Reply(f"Rejected {suggestion.url}.")

    async def mark_featured(self, issue: Issue) -> list[Suggestion]:
        """Mark the suggestions whose links ``issue`` features; tell their suggesters. Returns them."""
        assert issue.number is not None
        urls = {canonical_url(item.url) for item in issue.items if item.url}
        async with self._uow_factory() as uow:
            candidates = [
                s
                for status in (SuggestionStatus.APPROVED, SuggestionStatus.PENDING)
                for s in await uow.suggestions.list(status, newsletter=issue.newsletter_id)
                if canonical_url(s.url) in urls
            ]
            for suggestion in candidates:
                assert suggestion.id is not None
                await uow.suggestions.set_status(
                    suggestion.id, SuggestionStatus.FEATURED, featured_in=issue.number
                )
            await uow.commit()
        for suggestion in candidates:
            await self._tell(
                suggestion.submitted_by,
                f"Your suggestion {suggestion.url} is featured in issue "
                f"{issue_label(issue.newsletter_id, issue.number)}: "
                f"{issue.title}. Thanks!",
            )
        return candidates

    async def _tell(self, supporter: Supporter, text: str) -> bool:
        notifier = self._notifiers(supporter.platform)
        if notifier is None:
            return False
        try:
            return await notifier.notify(supporter, text)
        except Exception as error:  # a lost notification must not undo the decision
            log.warning(
                "could not tell %s:%s: %s: %s",
                supporter.platform.value,
                supporter.user_id,
                error.__class__.__name__,
                error,
            )
            return False


def approved_in_order(suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    return [s for s in suggestions if s.status is SuggestionStatus.APPROVED]
