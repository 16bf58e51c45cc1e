"""Wiring of the scheduled auto-post, claimed posting (with a progress bar) and ``digestbot status``."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.bootstrap import Application
from adapters.weekly_results import results_before_post
from bot.model import DEFAULT_NEWSLETTER, Channel, DeliveryState, issue_label
from bot.posting.poster import PostReport, ProgressCallback
from bot.scheduling.claims import ClaimedElsewhere, Claims
from bot.scheduling.ports import RunState
from bot.scheduling.schedule import describe, next_run
from bot.scheduling.scheduler import ScheduledChannel, Scheduler
from bot.scheduling.sources import FeedSource, FolderSource, IssueSource

# This process, as it appears in claims: host, pid, and a random part (pids are reused).
OWNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def owner_dead(owner: str) -> bool:
    """A claim of a process on this host whose pid no longer runs: it was killed, its claim can go."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def claims(app: Application) -> Claims:
    return Claims(
        app.uow_factory, app.clock, OWNER, app.config.scheduling.lease_seconds, owner_dead=owner_dead
    )


def sources(app: Application) -> list[IssueSource]:
    found: list[IssueSource] = []
    for newsletter in app.config.newsletter_configs():
        config = newsletter.source
        if config is None:
            continue
        if config.folder:
            found.append(FolderSource(Path(config.folder), newsletter.id))
        if config.feed:
            from adapters.outbound.feed_fetcher import HttpFeedFetcher

            found.append(FeedSource(config.feed, HttpFeedFetcher(), newsletter.id))
    return found


def scheduled_channels(app: Application) -> list[ScheduledChannel]:
    """A run per channel and newsletter that has a schedule."""
    return [
        ScheduledChannel(c.to_channel(), wanted.schedule, wanted.id)
        for c in app.config.channels
        for wanted in app.config.channel_newsletters(c)
        if wanted.schedule is not None
    ]


def build_scheduler(app: Application) -> Scheduler | None:
    channels = scheduled_channels(app)
    if not channels:
        return None
    config = app.config.scheduling
    return Scheduler(
        app.uow_factory,
        app.clock,
        channels,
        app.poster,
        owner=OWNER,
        grace_hours=app.config.grace_hours,
        lease_seconds=config.lease_seconds,
        tick_seconds=config.tick_seconds,
        max_attempts=config.max_attempts,
        retry_seconds=config.retry_seconds,
        sources=sources(app),
        poll_seconds=app.config.source.poll_minutes * 60,
        on_post=app.observe,
        before_post=lambda number, channel, newsletter: results_before_post(
            app, number, [channel], newsletter=newsletter
        ),
        unavailable=app.unavailable,
    )


async def post_claimed(
    app: Application,
    issue_number: int,
    channels: Sequence[Channel],
    *,
    progress: ProgressCallback | None = None,
    newsletter: str = DEFAULT_NEWSLETTER,
) -> list[PostReport]:
    """Post to every channel at once, each under its delivery claim (so a scheduled post of the same
    issue by a running bot never overlaps with this one)."""
    held = claims(app)

    async def one(channel: Channel) -> PostReport:
        try:
            report = await held.post(
                app.poster(channel), issue_number, channel, progress=progress, newsletter=newsletter
            )
        except ClaimedElsewhere as busy:
            return PostReport(channel=channel, issue_number=issue_number, errors=[str(busy)])
        app.observe(report)
        return report

    return list(await asyncio.gather(*(one(channel) for channel in channels)))


async def correct_posted(
    app: Application, numbers: Sequence[int], newsletter: str = DEFAULT_NEWSLETTER
) -> list[PostReport]:
    """The configured channels that were sent these issues get their corrected versions, edited in place."""
    async with app.uow_factory() as uow:
        deliveries = await uow.deliveries.all()
    reports: list[PostReport] = []
    for number in dict.fromkeys(numbers):
        posted_to = {
            (d.channel.platform, d.channel.id)
            for d in deliveries
            if (d.newsletter_id, d.issue_number) == (newsletter, number) and d.state is DeliveryState.COMPLETE
        }
        channels = [c for c in app.channels() if (c.platform, c.id) in posted_to]
        if channels:
            reports += await post_claimed(app, number, channels, newsletter=newsletter)
    return reports


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def status_rows(app: Application) -> list[dict[str, Any]]:
    """Per configured channel: schedule, next run, last issue posted and when, the last run, failures."""
    async with app.uow_factory() as uow:
        deliveries = await uow.deliveries.all()
        runs = await uow.scheduling.runs()
    now = app.clock.now()
    rows: list[dict[str, Any]] = []
    for config in app.config.channels:
        channel = config.to_channel()
        mine = [
            d for d in deliveries if d.channel.platform is channel.platform and d.channel.id == channel.id
        ]
        posted = [d for d in mine if d.state is DeliveryState.COMPLETE]
        last = max(posted, key=lambda d: d.completed_at or now, default=None)
        channel_runs = [r for r in runs if r.platform is channel.platform and r.channel_id == channel.id]
        last_run = channel_runs[0] if channel_runs else None
        scheduled = [w for w in app.config.channel_newsletters(config) if w.schedule is not None]
        schedules = [
            (describe(w.schedule), next_run(w.schedule, now), w.id)
            for w in scheduled
            if w.schedule is not None
        ]
        failures = [
            {
                "issue": d.issue_number,
                "error": d.error or "stopped (transient errors)",
                "at": _time(d.completed_at),
            }
            for d in mine
            if d.state is DeliveryState.FAILED
        ] + [
            {
                "issue": r.issue_number,
                "error": r.error,
                "at": _time(r.finished_at),
                "run_due": _time(r.due_at),
            }
            for r in channel_runs
            if r.state in (RunState.FAILED, RunState.SKIPPED) or (r.state is RunState.PENDING and r.error)
        ]
        rows.append(
            {
                "channel": channel.name,
                "platform": channel.platform.value,
                "schedule": "; ".join(
                    text if newsletter == DEFAULT_NEWSLETTER else f"{newsletter}: {text}"
                    for text, _, newsletter in schedules
                )
                or None,
                "next_run": _time(min(when for _, when, _ in schedules)) if schedules else None,
                "last_issue": last.issue_number if last else None,
                "last_newsletter": last.newsletter_id if last else None,
                "last_posted_at": _time(last.completed_at) if last else None,
                "last_run": None
                if last_run is None
                else {
                    "due_at": _time(last_run.due_at),
                    "state": last_run.state.value,
                    "issue": last_run.issue_number,
                    "attempts": last_run.attempts,
                    "error": last_run.error,
                },
                "in_progress": [d.issue_number for d in mine if d.state is DeliveryState.IN_PROGRESS],
                "failures": failures,
                "deliveries": [
                    {
                        "issue": d.issue_number,
                        "state": d.state.value,
                        "messages_posted": sum(1 for m in d.messages.values() if m.posted is not None),
                        "completed_at": _time(d.completed_at),
                        "error": d.error,
                    }
                    for d in mine
                ],
            }
        )
    return rows


async def post_with_progress(
    app: Application,
    issue_number: int,
    channels: Sequence[Channel],
    console: Console,
    newsletter: str = DEFAULT_NEWSLETTER,
) -> list[PostReport]:
    """``digestbot post``: :func:`post_claimed` with a progress bar per channel when on a terminal."""
    if not console.is_terminal:
        return await post_claimed(app, issue_number, channels, newsletter=newsletter)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        label = issue_label(newsletter, issue_number)
        tasks = {c.name: bar.add_task(f"{label} → {c.name}", total=None) for c in channels}

        def progress(channel: Channel, done: int, total: int) -> None:
            bar.update(tasks[channel.name], completed=done, total=total)

        return await post_claimed(app, issue_number, channels, progress=progress, newsletter=newsletter)


def status_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("Channel", "Schedule", "Next run", "Last posted", "Last run", "Failures")
    for r in rows:
        last = "never"
        if r["last_issue"] is not None:
            last = f"{issue_label(r['last_newsletter'], r['last_issue'])} at {r['last_posted_at']}"
        if r["in_progress"]:
            last += f" (in progress: {', '.join(f'#{n}' for n in r['in_progress'])})"
        run = r["last_run"]
        run_text = f"{run['state']} (due {run['due_at']})" if run else ""
        failures = "; ".join(
            f"#{f['issue']}: {f['error']}" if f["issue"] is not None else str(f["error"])
            for f in r["failures"][:3]
        )
        table.add_row(
            f"{r['channel']} ({r['platform']})",
            r["schedule"] or "manual",
            r["next_run"] or "",
            last,
            run_text,
            failures,
        )
    return table
