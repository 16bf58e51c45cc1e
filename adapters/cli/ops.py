"""``digestbot`` commands for operators: status, reconcile, db upgrade."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from adapters.cli.common import (
    CommandError,
    Context,
    echo_json,
    err,
    handles_errors,
    out,
    run_async,
    with_app,
)
from bot.model import Platform

if TYPE_CHECKING:
    from adapters.bootstrap import Application


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(ctx: Context, as_json: bool) -> None:
    """Per channel: its schedule and next run, the last issue posted and when, and what failed."""

    @with_app
    async def body(app: Application) -> None:
        from adapters.scheduling import status_rows, status_table

        rows = await status_rows(app)
        if as_json:
            echo_json(rows)
            return
        out.print(status_table(rows) if rows else "No channels configured.")

    body(ctx)


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.pass_obj
@handles_errors
def upgrade(ctx: Context) -> None:
    """Apply the database migrations (also done on every start)."""
    from storage.database import redact
    from storage.database import upgrade as upgrade_database

    run_async(upgrade_database(ctx.config.database.url))
    out.print(f"Database {redact(ctx.config.database.url)} is at the latest schema.", markup=False)


@db.command(name="rename-newsletter")
@click.argument("old")
@click.argument("new")
@click.pass_obj
@handles_errors
def rename_newsletter(ctx: Context, old: str, new: str) -> None:
    """Move newsletter OLD's issues, suggestions and posting records to id NEW (for example the
    ``default`` of a database from before ``newsletters:``, to the id the config gives it)."""
    from storage.database import upgrade as upgrade_database
    from storage.newsletters import NewsletterInUse
    from storage.newsletters import rename_newsletter as rename

    url = ctx.config.database.url
    ctx.config.newsletter(new)  # the new id must be a configured one
    run_async(upgrade_database(url))
    try:
        moved = run_async(rename(url, old, new))
    except NewsletterInUse as error:
        raise CommandError(str(error)) from None
    out.print(f"Moved newsletter {old!r} to {new!r}: {moved['issues']} issue(s)", markup=False)


@click.command()
@click.option("--days", type=float, default=14, show_default=True, help="How far back to look.")
@click.pass_obj
def reconcile(ctx: Context, days: float) -> None:
    """Recover votes given while the bot was down, from the reactions on recent item messages."""

    @with_app
    async def body(app: Application) -> None:
        platforms = {c.platform for c in app.channels()} - {Platform.CONSOLE}
        if not platforms:
            out.print("No Slack or Discord channels configured: nothing to reconcile.")
        for which in sorted(platforms):
            report = await app.votes.reconcile(app.platform(which), days=days)
            out.print(
                f"{which.value}: read {report.messages_read} messages, "
                f"{report.added} votes recovered, {report.removed} withdrawn",
                markup=False,
            )
            for problem in report.errors:
                err.print(f"  could not read {problem}", markup=False)

    body(ctx)


COMMANDS = (status, db, reconcile)
