"""The weekly-results hook as the poster and the scheduler call it: ``results_before_post(app, N, channels)``
before issue N goes to those channels (only when ``votes.results_post`` is set)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from adapters.bootstrap import Application
from adapters.charts import INSTALL_HINT, charts_available, draw_bar_chart
from bot.community.results import ResultsOutcome, ResultsPlatform, ResultsReport, post_weekly_results
from bot.model import DEFAULT_NEWSLETTER, Channel

log = logging.getLogger(__name__)


async def results_before_post(
    app: Application,
    issue_number: int,
    channels: Sequence[Channel],
    *,
    force: bool = False,
    newsletter: str = DEFAULT_NEWSLETTER,
) -> list[ResultsReport]:
    """Send "last week's top N" to each channel before issue ``issue_number`` (each at most once).

    Does nothing unless ``votes.results_post`` is set (or ``force``). Never raises for one channel's
    failure: the report says what happened, and the issue is posted either way.
    """
    policy = app.config.votes_of(newsletter)
    if not (policy.results_post or force):
        return []
    draw_chart = draw_bar_chart if charts_available() else None
    if draw_chart is None:
        log.warning("weekly results go out without a chart: charts need matplotlib (%s)", INSTALL_HINT)
    reports = []
    for channel in channels:
        platform = app.platform(channel.platform)
        if not callable(getattr(platform, "send_results", None)):
            continue  # the console channel: no images
        sender: ResultsPlatform = platform  # type: ignore[assignment]
        try:
            report = await post_weekly_results(
                app.uow_factory,
                sender,
                channel,
                policy,
                before_issue=issue_number,
                clock=app.clock,
                draw_chart=draw_chart,
                top=policy.results_top,
                newsletter=newsletter,
            )
        except Exception as error:
            log.warning("weekly results for %s: %s: %s", channel.name, error.__class__.__name__, error)
            report = ResultsReport(channel, ResultsOutcome.FAILED, error=str(error))
        if report.outcome is ResultsOutcome.POSTED:
            log.info("posted the top items of #%s to %s", report.results_of, channel.name)
        reports.append(report)
    return reports
