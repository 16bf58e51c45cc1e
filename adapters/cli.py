"""The ``digestbot`` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from adapters.bootstrap import Application, bootstrap
from adapters.logging_setup import configure_logging, secret_filter
from adapters.scheduling import post_with_progress, status_rows, status_table
from bot.config import Config, ConfigError, load_config
from bot.ingest import IngestError, ParseReport, dump_yaml, read_file
from bot.messages import section_display_title
from bot.model import Issue, Platform
from bot.posting import PostingError, PostReport
from bot.votes import ranked

T = TypeVar("T")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger("digestbot")


class CommandError(Exception):
    """A failure to report as one line on stderr."""


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"digestbot: error: {message}", markup=False)
    sys.exit(code)


def handles_errors(command: Callable[..., T]) -> Callable[..., T]:
    """Turn the errors a user can cause into one clear line and a non-zero exit, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return command(*args, **kwargs)
        except (CommandError, ConfigError, PostingError) as error:
            fail(str(error))
        except IngestError as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            log.debug("unexpected failure", exc_info=True)
            fail(f"unexpected failure ({error.__class__.__name__}: {error}); run with --debug for details")

    return wrapper


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on the platforms it supports
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def parse_issue_file(path: Path, fmt: str | None, *, confirmed: bool = True) -> list[Issue]:
    """The issues in a file to store; unless ``confirmed`` (``--yes``), one that the reader warns about
    (many links not read as items) is refused with the reason."""
    try:
        issues, report = read_file(path, fmt=fmt)
    except IngestError as error:
        raise CommandError(f"{path}: {error}") from None
    if report.warning and not confirmed:
        raise CommandError(
            f"{path}: {report.warning.replace('--explain', f'digestbot parse --explain {path}')}; "
            "pass --yes to store it anyway"
        )
    return issues


def issue_as_json(issue: Issue) -> dict[str, Any]:
    return {
        "number": issue.number,
        "title": issue.title,
        "subtitle": issue.subtitle,
        "intro": issue.intro,
        "published_on": issue.published_on.isoformat() if isinstance(issue.published_on, date) else None,
        "sections": [
            {
                "title": section.title,
                "items": [
                    {"title": i.title, "url": i.url, "blurb": i.blurb, "sponsored": i.sponsored}
                    for i in section.items
                ],
            }
            for section in issue.sections
        ],
    }


def issue_tree(issue: Issue) -> Tree:
    number = f"#{issue.number} " if issue.number is not None else ""
    tree = Tree(f"[bold]{number}{issue.title}[/]")
    for section in issue.sections:
        branch = tree.add(f"[bold cyan]{section_display_title(section)}[/] ({len(section.items)} items)")
        for item in section.items:
            mark = " [yellow](sponsored)[/]" if item.sponsored else ""
            link = f" [blue]{item.url}[/]" if item.url else ""
            branch.add(f"{item.position + 1}. {item.title}{mark}{link}")
    return tree


class Context:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            secret_filter.add(self._config.secret_values())
        return self._config

    async def app(self) -> Application:
        return await bootstrap(self.config)


def with_app(function: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Run an async command body with a bootstrapped application, closed afterwards."""

    @wraps(function)
    def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> T:
        async def body() -> T:
            app = await ctx.app()
            try:
                return await function(app, *args, **kwargs)
            finally:
                await app.aclose()

        return run_async(body())

    return handles_errors(wrapper)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: $DIGESTBOT_CONFIG, else ./config.yaml, else built-in SQLite + console).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.version_option(package_name="digestbot")
@click.pass_context
def cli(click_ctx: click.Context, config_path: Path | None, verbose: int, debug: bool) -> None:
    """digestbot: a weekly newsletter in Slack and Discord, section by section, with emoji votes."""
    configure_logging(2 if debug else verbose)
    click_ctx.obj = Context(config_path)


FORMAT_CHOICE = click.Choice(["text", "markdown", "html", "feed", "yaml"])


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed issue as JSON.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Skip format detection.")
@click.option("--explain", is_flag=True, help="Show what each block of the file became, and why.")
@handles_errors
def parse(file: Path, as_json: bool, fmt: str | None, explain: bool) -> None:
    """Parse an issue file and show what digestbot finds in it (nothing is stored). The last line sums
    up sections, items, links left out and the share of the text in no item."""
    try:
        issues, report = read_file(file, fmt=fmt, require_items=False)
    except IngestError as error:
        raise CommandError(f"{file}: {error}") from None
    issues = [issue for issue in issues if issue.items]
    if as_json and issues:
        documents = [issue_as_json(issue) for issue in issues]
        click.echo(
            json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False)
        )
    elif not as_json:
        for issue in issues:
            out.print(issue_tree(issue))
    report_parse(report, explain=explain, to_stderr=as_json)
    if not issues:
        raise CommandError(f"{file}: no items found" + ("" if explain else "; see --explain"))


def report_parse(report: ParseReport, *, explain: bool, to_stderr: bool) -> None:
    """``--explain``'s notes and the summary line (on stderr when stdout is JSON); a warning on stderr."""
    console = err if to_stderr else out
    for line in report.explain() if explain else []:
        console.print(line, markup=False)
    console.print(report.summary(), markup=False)
    if report.warning and report.items:
        err.print(f"digestbot: warning: {report.warning}", markup=False)


async def ingest_issues(app: Application, issues: list[Issue], number: int | None, file: Path) -> list[int]:
    if number is not None:
        if len(issues) > 1:
            raise CommandError(f"{file}: --number applies to one issue, but the file holds {len(issues)}")
        issues[0].number = number
    missing = [issue.title for issue in issues if issue.number is None]
    if missing:
        raise CommandError(f"{file}: no issue number found in {missing[0]!r}; pass --number N")
    numbers = []
    async with app.uow_factory() as uow:
        results = [await uow.issues.save(issue, now=app.clock.now()) for issue in issues]
        await uow.commit()
    for issue, saved in zip(issues, results, strict=True):
        action = "Ingested" if saved.created else "Updated"
        detail = f"{len(issue.sections)} sections, {len(issue.items)} items"
        if not saved.created:
            kept, added, removed = saved.items_kept, saved.items_added, saved.items_removed
            detail += f"; {kept} kept their votes, {added} new, {removed} removed"
        out.print(f"{action} #{saved.number} {issue.title!r}: {detail}", markup=False)
        numbers.append(saved.number)
        featured = await app.triage.mark_featured(issue)
        if featured:
            out.print(f"Marked {len(featured)} suggestion(s) featured in #{saved.number}", markup=False)
    return numbers


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--number", type=click.IntRange(min=1), help="Issue number, when the file does not say it.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Skip format detection.")
@click.option("--yes", is_flag=True, help="Store it even if many of its links were not read as items.")
@click.pass_obj
def ingest(ctx: Context, file: Path, number: int | None, fmt: str | None, yes: bool) -> None:
    """Parse an issue file and store it (again: updated in place, votes kept). An issue with no items is
    refused; one with many links not read as items needs --yes (see digestbot parse --explain FILE)."""

    @with_app
    async def body(app: Application) -> None:
        await ingest_issues(app, parse_issue_file(file, fmt, confirmed=yes), number, file)

    body(ctx)


@cli.command()
@click.argument("number", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
@click.pass_obj
def export(ctx: Context, number: int, output: Path | None) -> None:
    """Write issue N in digestbot's YAML format (ingest reads it back unchanged)."""

    @with_app
    async def body(app: Application) -> None:
        async with app.uow_factory() as uow:
            issue = await uow.issues.get(number)
        if issue is None:
            raise CommandError(f"there is no issue #{number}")
        text = dump_yaml(issue)
        if output is None:
            click.echo(text, nl=False)
        else:
            await asyncio.to_thread(output.write_text, text, encoding="utf-8")
            err.print(f"Wrote #{number} to {output}", markup=False)

    body(ctx)


@cli.command(name="issues")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_issues(ctx: Context, as_json: bool) -> None:
    """List the stored issues."""

    @with_app
    async def body(app: Application) -> None:
        async with app.uow_factory() as uow:
            summaries = await uow.issues.summaries()
        if as_json:
            rows = [
                {"number": s.number, "title": s.title, "sections": s.section_count, "items": s.item_count}
                for s in summaries
            ]
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not summaries:
            out.print("No issues yet: digestbot ingest FILE")
            return
        table = Table("#", "Title", "Published", "Sections", "Items")
        for s in summaries:
            published = str(s.published_on) if s.published_on else ""
            table.add_row(str(s.number), s.title, published, str(s.section_count), str(s.item_count))
        out.print(table)

    body(ctx)


@cli.command()
@click.argument("number", type=int)
@click.pass_obj
def show(ctx: Context, number: int) -> None:
    """Show issue N's sections and items."""

    @with_app
    async def body(app: Application) -> None:
        async with app.uow_factory() as uow:
            issue = await uow.issues.get(number)
        if issue is None:
            raise CommandError(f"there is no issue #{number}")
        out.print(issue_tree(issue))

    body(ctx)


@cli.command()
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
        from adapters.community import results_before_post

        for result in await results_before_post(app, issue_number, channels):  # votes.results_post
            if result.outcome.value in ("posted", "failed"):
                err.print(
                    f"last week's results → {result.channel.name}: {result.outcome.value}", markup=False
                )
        reports = await post_with_progress(app, issue_number, channels, err)
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


@cli.command()
@click.argument("number", type=int, required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also draw the top items as a bar chart (PNG) to this file.",
)
@click.option(
    "--top", "top_n", type=click.IntRange(min=1), default=5, show_default=True, help="Bars in --chart."
)
@click.pass_obj
def votes(ctx: Context, number: int | None, as_json: bool, chart: Path | None, top_n: int) -> None:
    """Issue N's items ranked by their votes on every platform, overall and per section (default: the
    latest issue). Sponsored items are listed but not ranked unless votes.count_sponsored is set."""
    from bot.leaderboard import issue_leaderboard, platform_counts, reaction_counts

    @with_app
    async def body(app: Application) -> None:
        issue_number = number
        if issue_number is None:
            async with app.uow_factory() as uow:
                issue_number = await uow.issues.latest_number()
            if issue_number is None:
                raise CommandError("no issues yet: digestbot ingest FILE")
        board = await issue_leaderboard(app.uow_factory, app.config.votes, issue_number)
        scores = await app.votes.scores(issue_number)
        if board is None or scores is None:
            raise CommandError(f"there is no issue #{issue_number}")
        ranks = {s.key: rank for rank, s in enumerate(board.overall, start=1)}
        unranked = [s for s in ranked(scores, include_sponsored=True) if s.key not in ranks]
        ordered = board.overall + unranked
        if chart is not None:
            from adapters.charts import draw_bar_chart
            from bot.results import chart_entries, top_items

            png = draw_bar_chart(f"Top items of #{issue_number}", chart_entries(top_items(board, top_n)))
            await asyncio.to_thread(chart.write_bytes, png)
            err.print(f"Wrote the chart of #{issue_number} to {chart}", markup=False)
        if as_json:
            rows = [{**s.as_json(), "rank": ranks.get(s.key)} for s in ordered]
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        table = Table(
            "#", "Score", "Item", "Section", "Reactions", "Platforms", title=f"Votes on #{issue_number}"
        )
        for s in ordered:
            title = s.title + (" (sponsored)" if s.sponsored else "")
            rank = str(ranks[s.key]) if s.key in ranks else "–"
            table.add_row(
                rank, f"{s.score:g}", title, s.section, reaction_counts(s.reactions), platform_counts(s)
            )
        out.print(table)
        for section, items in board.by_section.items():
            voted = [s for s in items if s.score > 0][:3]
            if voted:
                best = "; ".join(f"{s.title} ({s.score:g})" for s in voted)
                out.print(f"{section}: {best}", markup=False)

    body(ctx)


@cli.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only issues published (or ingested) on or after this date (YYYY-MM-DD); default: all time.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def leaderboard(ctx: Context, since: Any, limit: int, as_json: bool) -> None:
    """All-time or period rankings: the most voted items across issues, and the people whose suggested
    links were featured."""
    from bot.leaderboard import leaderboard as build_leaderboard
    from bot.leaderboard import platform_counts

    @with_app
    async def body(app: Application) -> None:
        board = await build_leaderboard(
            app.uow_factory, app.config.votes, since=since.date() if since is not None else None
        )
        items, people = board.items[:limit], board.suggesters[:limit]
        if as_json:
            document = {
                "since": board.since.isoformat() if board.since else None,
                "items": [{**s.as_json(), "issue": s.issue_number} for s in items],
                "suggesters": [p.as_json() for p in people],
            }
            click.echo(json.dumps(document, indent=2, ensure_ascii=False))
            return
        period = f"since {board.since.isoformat()}" if board.since else "all time"
        table = Table("#", "Score", "Item", "Issue", "Platforms", title=f"Top items, {period}")
        for rank, s in enumerate(items, start=1):
            table.add_row(str(rank), f"{s.score:g}", s.title, f"#{s.issue_number}", platform_counts(s))
        out.print(table if items else f"No votes {period}.")
        people_table = Table("#", "Suggester", "Featured", "Votes on them", title="Top suggesters")
        for rank, p in enumerate(people, start=1):
            people_table.add_row(str(rank), f"{p.platform}:{p.user_id}", str(p.featured), f"{p.score:g}")
        out.print(people_table if people else "No featured suggestions yet.")

    body(ctx)


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
@click.option("--number", type=click.IntRange(min=1), help="The issue number (default: the latest + 1).")
@click.option("--title", help="The issue title (default: Issue N).")
@click.pass_obj
def draft(ctx: Context, output: Path | None, number: int | None, title: str | None) -> None:
    """Write the next issue's draft from the approved suggestions, grouped by section, in the Markdown
    that `digestbot ingest` reads; ingesting it marks those suggestions featured."""
    from bot.draft import draft_markdown
    from bot.model import SuggestionStatus

    @with_app
    async def body(app: Application) -> None:
        async with app.uow_factory() as uow:
            approved = await uow.suggestions.list(SuggestionStatus.APPROVED)
            latest = await uow.issues.latest_number()
        issue_number = number or (latest or 0) + 1
        if not approved:
            raise CommandError("no approved suggestions: approve some with /digest suggestions first")
        text = draft_markdown(approved, number=issue_number, title=title, on=app.clock.now().date())
        if output is None:
            click.echo(text, nl=False)
        else:
            await asyncio.to_thread(output.write_text, text, encoding="utf-8")
            err.print(f"Wrote the draft of #{issue_number} ({len(approved)} links) to {output}", markup=False)

    body(ctx)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def suggestions(ctx: Context, as_json: bool) -> None:
    """Suggested links, most supported first."""

    @with_app
    async def body(app: Application) -> None:
        items = await app.suggestions.all()
        if as_json:
            rows = [
                {
                    "url": s.url,
                    "note": s.note,
                    "supporters": len(s.supporters),
                    "status": s.status.value,
                    "title": s.title,
                    "featured_in": s.featured_in,
                }
                for s in items
            ]
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not items:
            out.print("No suggestions yet.")
            return
        table = Table("Supporters", "Link", "Note", "Status")
        for s in items:
            table.add_row(str(len(s.supporters)), s.url, s.note or "", s.status.value)
        out.print(table)

    body(ctx)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(ctx: Context, as_json: bool) -> None:
    """Per channel: its schedule and next run, the last issue posted and when, and what failed."""

    @with_app
    async def body(app: Application) -> None:
        rows = await status_rows(app)
        if as_json:
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        out.print(status_table(rows) if rows else "No channels configured.")

    body(ctx)


@cli.group()
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


@cli.command()
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


@cli.command()
@click.pass_obj
def run(ctx: Context) -> None:
    """Run the bot: listen on every configured platform (console: commands from standard input)."""
    from adapters.runner import run_bot

    @with_app
    async def body(app: Application) -> None:
        await run_bot(app)

    body(ctx)


def main() -> None:
    cli(prog_name="digestbot")


if __name__ == "__main__":
    main()
