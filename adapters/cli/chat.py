"""``digestbot`` commands that talk to the chat platforms: post an issue, run the bot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from adapters.cli.common import (
    CommandError,
    describe_report,
    err,
    newsletter_option,
    out,
    plural,
    stored_issue,
    with_app,
)
from adapters.cli.content import ingest_issues, parse_issue_file
from bot.model import issue_label

if TYPE_CHECKING:
    from adapters.bootstrap import Application
    from adapters.cli.common import Context
    from bot.model import Delivery, Issue
    from bot.posting.messages import OutgoingMessage


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
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what each channel would get (after its filter) without storing or sending anything.",
)
@newsletter_option
@click.pass_obj
def post(
    ctx: Context,
    target: str,
    channel_names: tuple[str, ...],
    number: int | None,
    yes: bool,
    dry_run: bool,
    newsletter: str | None,
) -> None:
    """Post an issue (a stored number, or a FILE to ingest first) to channels, section by section.

    Posting the same issue to the same channel again sends nothing new; an interrupted post resumes.
    """
    stored = target.lstrip("#").isdigit() and not Path(target).is_file()
    if dry_run and not stored:
        show_previews(ctx, issue_from_file(Path(target), number, confirmed=yes), channel_names, None)
        return

    @with_app
    async def body(app: Application) -> None:
        newsletter_id = ctx.newsletter(newsletter)
        channels = app.channels(channel_names)
        if not channels:
            raise CommandError("no channels configured: add one under channels: in the config")
        if dry_run:
            issue_number = int(target.lstrip("#"))
            issue = await stored_issue(app, issue_number, newsletter_id)
            async with app.uow_factory() as uow:
                deliveries = {
                    c.name: await uow.deliveries.get(issue_number, c, newsletter=newsletter_id)
                    for c in channels
                }
            show_previews(ctx, issue, channel_names, deliveries)
            return
        if stored:
            issue_number = int(target.lstrip("#"))
        else:
            path = Path(target)
            issues = parse_issue_file(path, None, confirmed=yes)
            numbers = await ingest_issues(app, issues, number, path, newsletter_id)
            issue_number = numbers[-1]
        from adapters.scheduling import post_with_progress
        from adapters.weekly_results import results_before_post

        # votes.results_post
        for result in await results_before_post(app, issue_number, channels, newsletter=newsletter_id):
            if result.outcome.value in ("posted", "failed"):
                err.print(
                    f"last week's results → {result.channel.name}: {result.outcome.value}", markup=False
                )
        reports = await post_with_progress(app, issue_number, channels, err.console, newsletter_id)
        failed = [r for r in reports if r.errors]
        for report in reports:
            err.print(describe_report(report), markup=False)
        if failed:
            raise CommandError(
                f"posting {issue_label(newsletter_id, issue_number)} failed for "
                + ", ".join(r.channel.name for r in failed)
            )

    body(ctx)


def issue_from_file(path: Path, number: int | None, *, confirmed: bool) -> Issue:
    issues = parse_issue_file(path, None, confirmed=confirmed)
    if len(issues) != 1:
        raise CommandError(f"{path}: --dry-run shows one issue, but the file holds {len(issues)}")
    issue = issues[0]
    if number is not None:
        issue.number = number
    if issue.number is None:
        raise CommandError(f"{path}: no issue number found in {issue.title!r}; pass --number N")
    return issue


def show_previews(
    ctx: Context,
    issue: Issue,
    channel_names: tuple[str, ...],
    deliveries: dict[str, Delivery | None] | None,
) -> None:
    """``post --dry-run``: per channel, the sections and items it would get and what its filter leaves out."""
    from bot.model import DeliveryStep, MessageKind
    from bot.posting.messages import section_display_title
    from bot.posting.plan import plan_post
    from bot.posting.poster import preview_post

    names = channel_names or tuple(c.name for c in ctx.config.channels)
    if not names:
        raise CommandError("no channels configured: add one under channels: in the config")
    for name in names:
        channel = ctx.config.channel(name).to_channel()
        delivery = deliveries.get(name) if deliveries is not None else None
        preview = preview_post(issue, channel, delivery)
        where = (
            f"{issue_label(issue.newsletter_id, issue.number)} → {channel.name} ({channel.platform.value})"
        )
        left_out = preview.filtered.describe()
        if not preview.messages:
            out.print(f"{where}: nothing to post, the filter left out all {left_out}", markup=False)
            continue
        kept = preview.filtered.issue
        counts = f"{plural(len(kept.sections), 'section')}, {plural(len(kept.items), 'item')}"
        pending = preview.messages - preview.already_posted
        sending = f"would send {pending} of {preview.messages} messages"
        if preview.already_posted:
            sending += f" ({preview.already_posted} already posted)"
        out.print(
            f"{where}: {counts}; {sending}" + (f"; left out {left_out}" if left_out else ""), markup=False
        )
        if preview.edits:
            removed = sum(1 for e in preview.edits if e.removed)
            out.print(
                f"  would edit {plural(len(preview.edits), 'message')} in place"
                + (f", {removed} of them items no longer in the issue" if removed else ""),
                markup=False,
            )
            for edit in preview.edits:
                out.print(f"    edit {describe_message(edit.message)}", markup=False)
        pending_steps = {
            p.step.key for p in plan_post(kept) if delivery is None or delivery.posted(p.step) is None
        }
        for section in kept.sections:
            out.print(f"  {section_display_title(section)}", markup=False)
            for item in section.items:
                step = DeliveryStep(MessageKind.ITEM, section.position, item.key)
                new = " (new)" if delivery is not None and step.key in pending_steps else ""
                out.print(f"    {item.position + 1}. {item.title}{new}", markup=False)


def describe_message(message: OutgoingMessage) -> str:
    from bot.posting.messages import HeaderMessage, SectionMessage

    if isinstance(message, HeaderMessage):
        return f"the header: {message.title}"
    if isinstance(message, SectionMessage):
        return f"section {message.title} ({plural(message.item_count, 'item')})"
    if message.removed:
        return f'an item no longer in the issue → "removed" (key {message.key})'
    return f"item {message.number}. {message.title}"


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
