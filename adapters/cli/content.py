"""``digestbot`` commands about content: parse, ingest, export, issues, show, draft."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from adapters.cli.common import (
    CommandError,
    describe_report,
    echo_json,
    err,
    handles_errors,
    named,
    newsletter_option,
    out,
    stored_issue,
    with_app,
    write_or_echo,
)
from bot.model import issue_label
from bot.posting.messages import section_display_title
from bot.text import terminal_safe

if TYPE_CHECKING:
    from rich.tree import Tree

    from adapters.bootstrap import Application
    from adapters.cli.common import Context
    from bot.ingest import ParseReport
    from bot.model import Issue


FORMAT_CHOICE = click.Choice(["text", "markdown", "html", "feed", "yaml"])


def parse_issue_file(path: Path, fmt: str | None, *, confirmed: bool = True) -> list[Issue]:
    """The issues in a file to store; unless ``confirmed`` (``--yes``), one that the reader warns about
    (many links not read as items) is refused with the reason."""
    from bot.ingest import IngestError, read_file

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
    from rich.text import Text
    from rich.tree import Tree

    # a newsletter's text is shown as written (as Text, not markup): "[/]" in a title is not Rich markup
    # and its control characters are shown, not acted on (bot.text.terminal_safe)
    number = f"#{issue.number} " if issue.number is not None else ""
    tree = Tree(Text(terminal_safe(number + issue.title), style="bold"))
    for section in issue.sections:
        title = terminal_safe(section_display_title(section))
        label = Text.assemble((title, "bold cyan"), f" ({len(section.items)} items)")
        branch = tree.add(label)
        for item in section.items:
            line = Text(terminal_safe(f"{item.position + 1}. {item.title}"))
            if item.sponsored:
                line.append(" (sponsored)", style="yellow")
            if item.url:
                line.append(terminal_safe(f" {item.url}"), style="blue")
            branch.add(line)
    return tree


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed issue as JSON.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Skip format detection.")
@click.option("--explain", is_flag=True, help="Show what each block of the file became, and why.")
@handles_errors
def parse(file: Path, as_json: bool, fmt: str | None, explain: bool) -> None:
    """Parse an issue file and show what digestbot finds in it (nothing is stored). The last line sums
    up sections, items, links left out and the share of the text in no item."""
    from bot.ingest import IngestError, read_file

    try:
        issues, report = read_file(file, fmt=fmt, require_items=False)
    except IngestError as error:
        raise CommandError(f"{file}: {error}") from None
    issues = [issue for issue in issues if issue.items]
    if as_json and issues:
        documents = [issue_as_json(issue) for issue in issues]
        echo_json(documents[0] if len(documents) == 1 else documents)
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
        console.print(terminal_safe(line), markup=False)
    console.print(report.summary(), markup=False)
    if report.warning and report.items:
        err.print(f"digestbot: warning: {report.warning}", markup=False)


async def ingest_issues(
    app: Application, issues: list[Issue], number: int | None, file: Path, newsletter: str
) -> list[int]:
    for issue in issues:
        issue.newsletter_id = newsletter
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
        label = issue_label(newsletter, saved.number)
        out.print(f"{action} {label} {terminal_safe(issue.title)!r}: {detail}", markup=False)
        numbers.append(saved.number)
        featured = await app.triage.mark_featured(issue)
        if featured:
            out.print(f"Marked {len(featured)} suggestion(s) featured in {label}", markup=False)
    return numbers


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--number", type=click.IntRange(min=1), help="Issue number, when the file does not say it.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Skip format detection.")
@click.option("--yes", is_flag=True, help="Store it even if many of its links were not read as items.")
@click.option("--no-edit", is_flag=True, help="Do not edit the channels it was posted to (post N does).")
@newsletter_option
@click.pass_obj
def ingest(
    ctx: Context,
    file: Path,
    number: int | None,
    fmt: str | None,
    yes: bool,
    no_edit: bool,
    newsletter: str | None,
) -> None:
    """Parse an issue file and store it (again: updated in place, votes kept). An issue with no items is
    refused; one with many links not read as items needs --yes (see digestbot parse --explain FILE).

    A corrected version of an issue already posted is applied where it was posted: changed items are
    edited, new ones added to their section's thread, removed ones edited to a "removed" line."""

    @with_app
    async def body(app: Application) -> None:
        newsletter_id = ctx.newsletter(newsletter)
        issues = parse_issue_file(file, fmt, confirmed=yes)
        numbers = await ingest_issues(app, issues, number, file, newsletter_id)
        if no_edit:
            return
        from adapters.scheduling import correct_posted

        for report in await correct_posted(app, numbers, newsletter_id):
            err.print(describe_report(report), markup=False)

    body(ctx)


@click.command()
@click.argument("number", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
@newsletter_option
@click.pass_obj
def export(ctx: Context, number: int, output: Path | None, newsletter: str | None) -> None:
    """Write issue N in digestbot's YAML format (ingest reads it back unchanged)."""

    @with_app
    async def body(app: Application) -> None:
        newsletter_id = ctx.newsletter(newsletter)
        from bot.ingest import dump_yaml

        issue = await stored_issue(app, number, newsletter_id)
        text = dump_yaml(issue)
        await write_or_echo(text, output, f"Wrote #{number}")

    body(ctx)


@click.command(name="issues")
@click.option("--json", "as_json", is_flag=True)
@click.option("--newsletter", help="Only this newsletter's issues.")
@click.pass_obj
def list_issues(ctx: Context, as_json: bool, newsletter: str | None) -> None:
    """List the stored issues."""

    @with_app
    async def body(app: Application) -> None:
        newsletter_id = ctx.newsletter(newsletter) if newsletter is not None else None
        from rich.table import Table
        from rich.text import Text

        async with app.uow_factory() as uow:
            summaries = await uow.issues.summaries(newsletter=newsletter_id)
        if as_json:
            rows = [
                {"number": s.number, "title": s.title, "sections": s.section_count, "items": s.item_count}
                | named(s.newsletter_id)
                for s in summaries
            ]
            echo_json(rows)
            return
        if not summaries:
            out.print("No issues yet: digestbot ingest FILE")
            return
        table = Table("#", "Title", "Published", "Sections", "Items")
        for s in summaries:
            published = str(s.published_on) if s.published_on else ""
            table.add_row(
                issue_label(s.newsletter_id, s.number),
                Text(terminal_safe(s.title)),
                published,
                str(s.section_count),
                str(s.item_count),
            )
        out.print(table)

    body(ctx)


@click.command()
@click.argument("number", type=int)
@newsletter_option
@click.pass_obj
def show(ctx: Context, number: int, newsletter: str | None) -> None:
    """Show issue N's sections and items."""

    @with_app
    async def body(app: Application) -> None:
        newsletter_id = ctx.newsletter(newsletter)
        issue = await stored_issue(app, number, newsletter_id)
        out.print(issue_tree(issue))

    body(ctx)


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
@click.option("--number", type=click.IntRange(min=1), help="The issue number (default: the latest + 1).")
@click.option("--title", help="The issue title (default: Issue N).")
@newsletter_option
@click.pass_obj
def draft(
    ctx: Context, output: Path | None, number: int | None, title: str | None, newsletter: str | None
) -> None:
    """Write the next issue's draft from the approved suggestions, grouped by section, in the Markdown
    that `digestbot ingest` reads; ingesting it marks those suggestions featured."""
    from bot.community.draft import draft_markdown
    from bot.model import SuggestionStatus

    @with_app
    async def body(app: Application) -> None:
        newsletter_id = ctx.newsletter(newsletter)
        async with app.uow_factory() as uow:
            approved = await uow.suggestions.list(SuggestionStatus.APPROVED, newsletter=newsletter_id)
            latest = await uow.issues.latest_number(newsletter=newsletter_id)
        issue_number = number or (latest or 0) + 1
        if not approved:
            raise CommandError("no approved suggestions: approve some with /digest suggestions first")
        text = draft_markdown(approved, number=issue_number, title=title, on=app.clock.now().date())
        await write_or_echo(text, output, f"Wrote the draft of #{issue_number} ({len(approved)} links)")

    body(ctx)


COMMANDS = (parse, ingest, export, list_issues, show, draft)
