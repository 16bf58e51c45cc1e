"""Weekly results: before a channel gets a new issue, "last week's top 5" with a bar chart.

:func:`post_weekly_results` is the hook a poster or scheduler calls before it posts issue N to a channel.
It finds the issue posted to that channel before N, ranks its items by their votes on every platform
(sponsored items left out unless ``votes.count_sponsored``), and sends one message with the ranking as
text and the chart as an uploaded PNG. Each (channel, issue) gets it at most once: the message is claimed
in the database before it is sent, and the claim released if sending fails (a later post tries again).
Nothing is sent when the channel had no earlier issue or nobody voted.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.community.leaderboard import IssueLeaderboard, issue_leaderboard, platform_counts
from bot.community.votes import ItemScore
from bot.config import VotesConfig
from bot.model import DEFAULT_NEWSLETTER, Channel, DeliveryState, Platform, PostedMessage, issue_label
from bot.ports import Clock, PlatformError, ResultsSlot, UnitOfWorkFactory

log = logging.getLogger(__name__)

TOP = 5
ChartDrawer = Callable[[str, Sequence[tuple[str, float]]], bytes]  # PNG


class ResultsPlatform(Protocol):
    """A chat platform that can post a message with an image (Slack file upload, Discord attachment)."""

    platform: Platform

    async def send_results(
        self, channel: Channel, text: str, *, image: bytes | None, filename: str, title: str
    ) -> PostedMessage: ...


class ResultsOutcome(enum.StrEnum):
    POSTED = "posted"
    ALREADY_POSTED = "already_posted"
    NO_PREVIOUS_ISSUE = "no_previous_issue"
    NO_VOTES = "no_votes"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ResultsReport:
    channel: Channel
    outcome: ResultsOutcome
    results_of: int | None = None
    message_id: str | None = None
    error: str | None = None


def top_items(board: IssueLeaderboard, n: int = TOP) -> list[ItemScore]:
    """The ``n`` best ranked items that got any votes."""
    return [score for score in board.overall if score.score > 0][:n]


def chart_entries(scores: Sequence[ItemScore]) -> list[tuple[str, float]]:
    return [(score.title, score.score) for score in scores]


def results_text(issue_number: int, scores: Sequence[ItemScore], newsletter: str = DEFAULT_NEWSLETTER) -> str:
    lines = [f"Last week's top {len(scores)} (issue {issue_label(newsletter, issue_number)}), by your votes:"]
    for rank, score in enumerate(scores, start=1):
        link = f" — {score.url}" if score.url else ""
        lines.append(f"{rank}. {score.title} — {score.score:g} ({platform_counts(score)}){link}")
    return "\n".join(lines)


async def previous_issue(
    uow_factory: UnitOfWorkFactory, channel: Channel, before: int, newsletter: str = DEFAULT_NEWSLETTER
) -> int | None:
    """The newest issue of the newsletter before ``before`` that was completely posted to ``channel``."""
    async with uow_factory() as uow:
        deliveries = await uow.deliveries.all()
    numbers = [
        d.issue_number
        for d in deliveries
        if d.channel.platform is channel.platform
        and d.channel.id == channel.id
        and d.state is DeliveryState.COMPLETE
        and d.newsletter_id == newsletter
        and d.issue_number < before
    ]
    return max(numbers, default=None)


async def post_weekly_results(
    uow_factory: UnitOfWorkFactory,
    platform: ResultsPlatform,
    channel: Channel,
    policy: VotesConfig,
    *,
    before_issue: int,
    clock: Clock,
    draw_chart: ChartDrawer | None,
    top: int = TOP,
    newsletter: str = DEFAULT_NEWSLETTER,
) -> ResultsReport:
    """Send "last week's top ``top``" to ``channel`` ahead of issue ``before_issue`` (at most once); with
    no ``draw_chart`` (charts not installed), the ranking goes out as text alone."""
    results_of = await previous_issue(uow_factory, channel, before_issue, newsletter)
    if results_of is None:
        return ResultsReport(channel, ResultsOutcome.NO_PREVIOUS_ISSUE)
    board = await issue_leaderboard(uow_factory, policy, results_of, newsletter=newsletter)
    best = top_items(board, top) if board is not None else []
    if not best:
        return ResultsReport(channel, ResultsOutcome.NO_VOTES, results_of)
    slot = ResultsSlot(channel.platform, channel.id, before_issue, newsletter)
    async with uow_factory() as uow:
        claimed = await uow.results.claim(slot, results_of, now=clock.now())
        await uow.commit()
    if not claimed:
        return ResultsReport(channel, ResultsOutcome.ALREADY_POSTED, results_of)
    title = f"Top {len(best)} of issue {issue_label(newsletter, results_of)}"
    named = "" if newsletter == DEFAULT_NEWSLETTER else f"{newsletter}-"
    try:
        image = draw_chart(title, chart_entries(best)) if draw_chart is not None else None
        posted = await platform.send_results(
            channel,
            results_text(results_of, best, newsletter),
            image=image,
            filename=f"digestbot-top-{named}{results_of}.png",
            title=title,
        )
    except (PlatformError, OSError, ValueError) as error:
        log.warning("weekly results for %s before #%s: %s", channel.name, before_issue, error)
        async with uow_factory() as uow:
            await uow.results.release(slot)
            await uow.commit()
        return ResultsReport(channel, ResultsOutcome.FAILED, results_of, error=str(error))
    async with uow_factory() as uow:
        await uow.results.record(slot, posted.message_id)
        await uow.commit()
    return ResultsReport(channel, ResultsOutcome.POSTED, results_of, posted.message_id)
