"""Leaderboards: items ranked by their votes on every platform, per issue, per section, over time, and the
people whose suggested links were featured.

Scores come from the vote counts the database keeps per item, platform and emoji (``VoteRepository.
counts``/``totals``), so a leaderboard costs a read of a few hundred rows however many votes there are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.community.votes import ItemScore, ranked, tally_counts
from bot.config import VotesConfig
from bot.model import DEFAULT_NEWSLETTER, Item, Section, SuggestionStatus
from bot.ports import UnitOfWorkFactory
from bot.urls import canonical_url


@dataclass(slots=True)
class IssueLeaderboard:
    issue_number: int
    overall: list[ItemScore]
    by_section: dict[str, list[ItemScore]]
    newsletter_id: str = DEFAULT_NEWSLETTER


@dataclass(slots=True)
class Suggester:
    platform: str
    user_id: str
    featured: int = 0
    score: float = 0.0
    links: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "user_id": self.user_id,
            "featured": self.featured,
            "score": _number(self.score),
            "links": list(self.links),
        }


@dataclass(slots=True)
class Leaderboard:
    since: date | None
    items: list[ItemScore]
    suggesters: list[Suggester]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


async def issue_leaderboard(
    uow_factory: UnitOfWorkFactory,
    policy: VotesConfig,
    issue_number: int,
    *,
    include_sponsored: bool = False,
    newsletter: str = DEFAULT_NEWSLETTER,
) -> IssueLeaderboard | None:
    """Issue N's items ranked overall and within each section (sponsored items only when asked for or
    when ``votes.count_sponsored`` says so)."""
    async with uow_factory() as uow:
        issue = await uow.issues.get(issue_number, newsletter=newsletter)
        if issue is None:
            return None
        counts = await uow.votes.counts(issue_number, newsletter=newsletter)
    scores = tally_counts(issue, counts, policy)
    sponsored = include_sponsored or policy.count_sponsored
    overall = ranked(scores, include_sponsored=sponsored)
    by_section: dict[str, list[ItemScore]] = {}
    for score in overall:
        by_section.setdefault(score.section, []).append(score)
    return IssueLeaderboard(issue_number, overall, by_section, newsletter)


async def leaderboard(
    uow_factory: UnitOfWorkFactory,
    policy: VotesConfig,
    *,
    since: date | None = None,
    newsletter: str | None = None,
    policy_of: Callable[[str], VotesConfig] | None = None,
) -> Leaderboard:
    """All-time (or since ``since``) rankings of voted items across issues (of one newsletter, or all),
    and of the suggesters whose links were featured (by number of featured links, then by the votes those
    items got). ``policy_of`` weighs each newsletter's votes by its own settings."""
    async with uow_factory() as uow:
        totals = await uow.votes.totals(since=since, newsletter=newsletter)
        featured = await uow.suggestions.list(SuggestionStatus.FEATURED, newsletter=newsletter)
    scores: dict[tuple[str, int, str], ItemScore] = {}
    for total in totals:
        weight = (policy_of(total.newsletter_id) if policy_of else policy).weight(total.emoji)
        if weight is None:
            continue
        key = (total.newsletter_id, total.issue_number, total.item_key)
        score = scores.get(key)
        if score is None:
            section = Section(total.section, total.section_position)
            item = Item(
                total.title, total.url, sponsored=total.sponsored, position=total.position, key=total.item_key
            )
            score = scores[key] = ItemScore.of(total.issue_number, section, item, total.newsletter_id)
        score.count(total.emoji, total.platform, weight, total.count)
    items = [s for s in scores.values() if policy.count_sponsored or not s.sponsored]
    items.sort(key=lambda s: (-s.score, -s.issue_number, s.section_position, s.position))

    by_url: dict[str, float] = defaultdict(float)
    for s in scores.values():
        if s.url:
            by_url[canonical_url(s.url)] += s.score
    people: dict[tuple[str, str], Suggester] = {}
    for suggestion in featured:
        if since is not None and (suggestion.created_at is None or suggestion.created_at.date() < since):
            continue
        who = suggestion.submitted_by
        person = people.setdefault(
            (who.platform.value, who.user_id), Suggester(who.platform.value, who.user_id)
        )
        person.featured += 1
        person.score += by_url.get(canonical_url(suggestion.url), 0.0)
        person.links.append(suggestion.url)
    suggesters = sorted(people.values(), key=lambda p: (-p.featured, -p.score, p.platform, p.user_id))
    return Leaderboard(since, items, suggesters)


def platform_counts(score: ItemScore) -> str:
    """``slack 3 · discord 2``: the votes an item got on each platform."""
    return " · ".join(f"{platform} {count}" for platform, count in sorted(score.by_platform.items()))


def reaction_counts(reactions: Counter[str]) -> str:
    return " ".join(f"{emoji}×{count}" for emoji, count in reactions.most_common())
