"""``digestbot`` commands that talk to the chat platforms: post an issue, run the bot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from adapters.cli.common import CommandError, err, with_app
from adapters.cli.content import ingest_issues, parse_issue_file

if TYPE_CHECKING:
    from adapters.bootstrap import Application
    from adapters.cli.common import Context
    from bot.posting.poster import PostReport


@click.command()
@click.argument("target")
@click.option(
    "--channel",
    "channel_names",
    multiple=True,
    help="Channel name from the config (repeatable; default: all).",
)
@click.option("--number", type=click.IntRange(min=1), help="Issue number, when FILE does not say it.")
@click.option("--yes", is_flag=True, help="Post FILE even if many of its links were not read as items.")
@click.pass_obj
def post(ctx: Context, target: str, channel_names: tuple[str, ...], number: int | None, yes: bool) -> None:
    """Post an issue (a stored number, or a FILE to ingest first) to channels, section by section.

    Posting the same issue to the same channel again sends nothing new; an interrupted post resumes.
    """

    @with_app
    async def body(app: Application) -> None:
        channels = app.channels(channel_names)
        if not channels:
            raise CommandError("no channels configured: add one under channels: in the config")
        if target.lstrip("#").isdigit() and not await asyncio.to_thread(Path(target).is_file):
            issue_number = int(target.lstrip("#"))
        else:
            path = Path(target)
            numbers = await ingest_issues(app, parse_issue_file(path, None, confirmed=yes), number, path)
            issue_number = numbers[-1]
        from adapters.scheduling import post_with_progress
        from adapters.weekly_results import results_before_post

        for result in await results_before_post(app, issue_number, channels):  # votes.results_post
            if result.outcome.value in ("posted", "failed"):
                err.print(
                    f"last week's results → {result.channel.name}: {result.outcome.value}", markup=False
                )
        reports = await post_with_progress(app, issue_number, channels, err.console)
        failed = [r for r in reports if r.errors]
        for report in reports:
            err.print(describe_report(report), markup=False)
        if failed:
            raise CommandError(
                f"posting #{issue_number} failed for {', '.join(r.channel.name for r in failed)}"
            )

    body(ctx)


def describe_report(report: PostReport) -> str:
    where = f"#{report.issue_number} → {report.channel.name}"
    if report.errors:
        return f"{where}: {report.errors[0]}"
    if report.sent == 0 and report.recovered == 0:
        return f"{where}: already posted ({report.already_posted} messages), nothing sent"
    resumed = f", {report.already_posted} were already posted" if report.already_posted else ""
    recovered = f", {report.recovered} found already delivered" if report.recovered else ""
    return f"{where}: sent {report.sent} messages{resumed}{recovered}"


@click.command()
@click.pass_obj
def run(ctx: Context) -> None:
    """Run the bot: listen on every configured platform (console: commands from standard input)."""
    from adapters.runner import run_bot

    @with_app
    async def body(app: Application) -> None:
        await run_bot(app)

    body(ctx)


COMMANDS = (post, run)
