"""``/digest`` sub-commands, answered the same way on every platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.community.newsletters import NewsletterDirectory, UnknownNewsletter
from bot.community.suggestions import Actor, Reply, SuggestionService
from bot.community.triage import TriageService
from bot.community.votes import VoteService, ranked
from bot.model import DEFAULT_NEWSLETTER, DeliveryState, issue_label
from bot.ports import UnitOfWorkFactory
from bot.search import MAX_QUERY_LENGTH, query_terms

# Post issue N (None: the latest) of a newsletter to the channel the command came from.
PostRequest = Callable[[Actor, int | None, str], Awaitable[Reply]]

HELP = (
    "/digest top [N] — the top items of issue N (default: the latest)\n"
    "/digest suggestions — pending suggestions (admins)\n"
    "/digest post [N] — post issue N (default: the latest) to this channel (admins)\n"
    "/digest status — what was posted where (admins)\n"
    "/digest search words — find items of the posted issues (only you see the answer)"
)
NEWSLETTER_HELP = "\nWith several newsletters, name one: /digest top dlw, /digest post dlw 195."
ADMIN_ONLY = {"suggestions", "post", "status"}
TOP_LIMIT = 5
SEARCH_LIMIT = 10


class DigestCommands:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        votes: VoteService,
        suggestions: SuggestionService,
        request_post: PostRequest | None = None,
        triage: TriageService | None = None,
        newsletters: NewsletterDirectory | None = None,
    ) -> None:
        self._newsletters = newsletters or NewsletterDirectory()
        self._uow_factory = uow_factory
        self._votes = votes
        self._suggestions = suggestions
        self._request_post = request_post
        self._triage = triage

    async def run(self, actor: Actor, text: str) -> Reply:
        words = text.split()
        help_text = HELP if self._newsletters.implicit else HELP + NEWSLETTER_HELP
        if not words or words[0] in {"help", "-h", "--help"}:
            return Reply(help_text)
        name, args = words[0].lower(), words[1:]
        if name == "search":
            return await self._search(text.split(None, 1)[1] if len(words) > 1 else "")
        if name not in {"top", *ADMIN_ONLY}:
            return Reply(f"Unknown /digest command {name!r}.\n{help_text}", ok=False)
        if name in ADMIN_ONLY and not actor.is_admin:
            return Reply(f"Sorry, /digest {name} is for digestbot admins only.", ok=False)
        numbers = [int(word.lstrip("#")) for word in args if word.lstrip("#").isdigit()]
        names = [word for word in args if not word.lstrip("#").isdigit()]
        if len(numbers) > 1 or len(names) > 1 or (names and self._newsletters.implicit):
            return Reply(f"/digest {name} takes an issue number, for example /digest {name} 195.", ok=False)
        number = numbers[0] if numbers else None
        newsletter = DEFAULT_NEWSLETTER
        if name in {"top", "post"}:
            try:
                newsletter = self._newsletters.resolve(
                    names[0] if names else None, actor.platform, actor.channel_id, f"/digest {name} ID"
                )
            except UnknownNewsletter as error:
                return Reply(str(error), ok=False)
        if name == "top":
            return await self._top(number, newsletter)
        if name == "suggestions":
            if self._triage is not None:
                return await self._triage.pending_reply(actor)
            return await self._pending_suggestions()
        if name == "post":
            if self._request_post is None:
                return Reply("Posting from chat is not available here.", ok=False)
            return await self._request_post(actor, number, newsletter)
        return await self._status()

    async def _latest(self, newsletter: str) -> int | None:
        async with self._uow_factory() as uow:
            return await uow.issues.latest_number(newsletter=newsletter)

    async def _top(self, number: int | None, newsletter: str) -> Reply:
        number = number if number is not None else await self._latest(newsletter)
        if number is None:
            return Reply("No issue has been ingested yet.", ok=False)
        scores = await self._votes.scores(number, newsletter)
        label = issue_label(newsletter, number)
        if scores is None:
            return Reply(f"There is no issue {label}.", ok=False)
        voted = [
            s
            for s in ranked(scores, include_sponsored=self._votes.policy_of(newsletter).count_sponsored)
            if s.score > 0
        ]
        top = voted[:TOP_LIMIT]
        if not top:
            return Reply(f"No votes on issue {label} yet: react to an item to vote for it.")
        emoji = self._newsletters.get(newsletter).emoji
        lines = [f"{emoji + ' ' if emoji else ''}Top items of issue {label}:"]
        for rank, score in enumerate(top, start=1):
            reactions = " ".join(f"{emoji}×{count}" for emoji, count in score.reactions.most_common())
            lines.append(f"{rank}. {score.title} — {score.score:g} ({reactions}) [{score.section}]")
            platforms = " · ".join(f"{p} {n}" for p, n in sorted(score.by_platform.items()))
            lines[-1] += f" — {platforms}" if len(score.by_platform) > 1 else ""
        best: dict[str, str] = {}
        for score in voted:
            best.setdefault(score.section, f"{score.title} ({score.score:g})")
        if len(best) > 1:
            lines.append(
                "Best per section: " + "; ".join(f"{section}: {item}" for section, item in best.items())
            )
        return Reply("\n".join(lines))

    async def _search(self, query: str) -> Reply:
        if len(query) > MAX_QUERY_LENGTH:
            return Reply(f"That search is longer than {MAX_QUERY_LENGTH} characters.", ok=False)
        terms = query_terms(query)
        if not terms:
            return Reply("Search for words: /digest search sparse attention (or 机器学习).", ok=False)
        async with self._uow_factory() as uow:
            hits = await uow.search.search(terms, limit=SEARCH_LIMIT)
        if not hits:
            return Reply(f"No posted item holds {' '.join(terms)}.")
        lines = [f"Items with {' '.join(terms)}:"]
        for hit in hits:
            votes = f" — {hit.votes} vote{'s' if hit.votes != 1 else ''}" if hit.votes else ""
            where = f"{issue_label(hit.newsletter_id, hit.issue_number)} · {hit.section or 'Top stories'}"
            lines.append(f"• {hit.title} ({where}){votes}" + (f"\n  {hit.url}" if hit.url else ""))
        return Reply("\n".join(lines))

    async def _pending_suggestions(self) -> Reply:
        pending = await self._suggestions.pending()
        if not pending:
            return Reply("No pending suggestions.")
        lines = [f"{len(pending)} pending suggestion(s):"]
        for suggestion in pending[:20]:
            note = f" — {suggestion.note}" if suggestion.note else ""
            lines.append(f"• {suggestion.url} ({len(suggestion.supporters)} supporter(s)){note}")
        return Reply("\n".join(lines))

    async def _status(self) -> Reply:
        async with self._uow_factory() as uow:
            deliveries = await uow.deliveries.all()
        if not deliveries:
            return Reply("Nothing has been posted yet.")
        lines = ["Deliveries:"]
        for delivery in deliveries[:20]:
            posted = sum(1 for m in delivery.messages.values() if m.posted is not None)
            state = delivery.state.value
            if delivery.state is DeliveryState.FAILED and delivery.error:
                state += f": {delivery.error}"
            label = issue_label(delivery.newsletter_id, delivery.issue_number)
            lines.append(f"• {label} → {delivery.channel.name}: {state} ({posted} messages)")
        return Reply("\n".join(lines))
