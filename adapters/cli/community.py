"""``digestbot`` commands of the community loop: votes, leaderboard, suggestions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from adapters.cli.common import CommandError, echo_json, err, named, newsletter_option, out, with_app
from bot.model import issue_label
from bot.text import terminal_safe

if TYPE_CHECKING:
    from rich.text import Text

    from adapters.bootstrap import Application
    from adapters.cli.common import Context


@click.command()
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
@click.option("--dark", is_flag=True, help="Draw --chart on a dark background.")
@newsletter_option
@click.pass_obj
def votes(
    ctx: Context,
    number: int | None,
    as_json: bool,
    chart: Path | None,
    top_n: int,
    dark: bool,
    newsletter: str | None,
) -> None:
    """Issue N's items ranked by their votes on every platform, overall and per section (default: the
    latest issue). Sponsored items are listed but not ranked unless votes.count_sponsored is set."""
    from bot.community.leaderboard import issue_leaderboard, platform_counts, reaction_counts
    from bot.community.votes import ranked

    @with_app
    async def body(app: Application) -> None:
        from rich.table import Table

        from adapters.charts import INSTALL_HINT, charts_available

        newsletter_id = ctx.newsletter(newsletter)
        if chart is not None and not charts_available():
            raise CommandError(f"--chart needs matplotlib: {INSTALL_HINT}")
        issue_number = number
        if issue_number is None:
            async with app.uow_factory() as uow:
                issue_number = await uow.issues.latest_number(newsletter=newsletter_id)
            if issue_number is None:
                raise CommandError("no issues yet: digestbot ingest FILE")
        board = await issue_leaderboard(
            app.uow_factory, app.config.votes_of(newsletter_id), issue_number, newsletter=newsletter_id
        )
        scores = await app.votes.scores(issue_number, newsletter_id)
        label = issue_label(newsletter_id, issue_number)
        if board is None or scores is None:
            raise CommandError(f"there is no issue {label}")
        ranks = {s.key: rank for rank, s in enumerate(board.overall, start=1)}
        unranked = [s for s in ranked(scores, include_sponsored=True) if s.key not in ranks]
        ordered = board.overall + unranked
        if chart is not None:
            from adapters.charts import draw_bar_chart
            from bot.community.results import chart_entries, top_items

            entries = chart_entries(top_items(board, top_n))
            png = draw_bar_chart(f"Top items of {label}", entries, dark=dark)
            await asyncio.to_thread(chart.write_bytes, png)
            err.print(f"Wrote the chart of {label} to {chart}", markup=False)
        if as_json:
            rows = [{**s.as_json(), "rank": ranks.get(s.key)} for s in ordered]
            echo_json(rows)
            return
        table = Table("#", "Score", "Item", "Section", "Reactions", "Platforms", title=f"Votes on {label}")
        for s in ordered:
            title = s.title + (" (sponsored)" if s.sponsored else "")
            rank = str(ranks[s.key]) if s.key in ranks else "–"
            table.add_row(
                rank,
                f"{s.score:g}",
                shown(title),
                shown(s.section),
                reaction_counts(s.reactions),
                platform_counts(s),
            )
        out.print(table)
        for section, items in board.by_section.items():
            voted = [s for s in items if s.score > 0][:3]
            if voted:
                best = "; ".join(f"{s.title} ({s.score:g})" for s in voted)
                out.print(terminal_safe(f"{section}: {best}"), markup=False)

    body(ctx)


@click.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only issues published (or ingested) on or after this date (YYYY-MM-DD); default: all time.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--newsletter", help="Only this newsletter's issues (default: every newsletter).")
@click.pass_obj
def leaderboard(ctx: Context, since: Any, limit: int, as_json: bool, newsletter: str | None) -> None:
    """All-time or period rankings: the most voted items across issues, and the people whose suggested
    links were featured."""
    from bot.community.leaderboard import leaderboard as build_leaderboard
    from bot.community.leaderboard import platform_counts

    @with_app
    async def body(app: Application) -> None:
        from rich.table import Table

        board = await build_leaderboard(
            app.uow_factory,
            app.config.votes,
            since=since.date() if since is not None else None,
            newsletter=ctx.newsletter(newsletter) if newsletter is not None else None,
            policy_of=app.config.votes_of,
        )
        items, people = board.items[:limit], board.suggesters[:limit]
        if as_json:
            document = {
                "since": board.since.isoformat() if board.since else None,
                "items": [{**s.as_json(), "issue": s.issue_number} | named(s.newsletter_id) for s in items],
                "suggesters": [p.as_json() for p in people],
            }
            echo_json(document)
            return
        period = f"since {board.since.isoformat()}" if board.since else "all time"
        table = Table("#", "Score", "Item", "Issue", "Platforms", title=f"Top items, {period}")
        for rank, s in enumerate(items, start=1):
            table.add_row(
                str(rank),
                f"{s.score:g}",
                s.title,
                issue_label(s.newsletter_id, s.issue_number),
                platform_counts(s),
            )
        out.print(table if items else f"No votes {period}.")
        people_table = Table("#", "Suggester", "Featured", "Votes on them", title="Top suggesters")
        for rank, p in enumerate(people, start=1):
            people_table.add_row(str(rank), f"{p.platform}:{p.user_id}", str(p.featured), f"{p.score:g}")
        out.print(people_table if people else "No featured suggestions yet.")

    body(ctx)


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--newsletter", help="Only the suggestions for this newsletter (default: all).")
@click.pass_obj
def suggestions(ctx: Context, as_json: bool, newsletter: str | None) -> None:
    """Suggested links, most supported first."""

    @with_app
    async def body(app: Application) -> None:
        from rich.table import Table

        items = await app.suggestions.all()
        if newsletter is not None:
            wanted = ctx.newsletter(newsletter)
            items = [s for s in items if s.newsletter_id == wanted]
        if as_json:
            rows: list[dict[str, object]] = [
                {
                    "url": s.url,
                    "note": s.note,
                    "supporters": len(s.supporters),
                    "status": s.status.value,
                    "title": s.title,
                    "featured_in": s.featured_in,
                    **named(s.newsletter_id),
                }
                for s in items
            ]
            echo_json(rows)
            return
        if not items:
            out.print("No suggestions yet.")
            return
        table = Table("Supporters", "Link", "Note", "Status")
        for s in items:
            table.add_row(str(len(s.supporters)), shown(s.url), shown(s.note or ""), s.status.value)
        out.print(table)

    body(ctx)


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", type=click.IntRange(min=1, max=100), default=10, show_default=True)
@click.option("--newsletter", help="Only this newsletter's issues.")
@click.pass_obj
def search(ctx: Context, words: tuple[str, ...], as_json: bool, limit: int, newsletter: str | None) -> None:
    """Find items of the posted issues by words in their titles, blurbs and sections (CJK too): the most
    relevant first, then the most voted."""
    from bot.search import MAX_QUERY_LENGTH, query_terms

    query = " ".join(words)
    terms = query_terms(query)

    @with_app
    async def body(app: Application) -> None:
        from rich.table import Table

        if len(query) > MAX_QUERY_LENGTH:
            raise CommandError(f"the search is longer than {MAX_QUERY_LENGTH} characters")
        if not terms:
            raise CommandError(f"nothing to search for in {query!r}: give words, like 'sparse attention'")

        newsletter_id = ctx.newsletter(newsletter) if newsletter is not None else None
        async with app.uow_factory() as uow:
            hits = await uow.search.search(terms, limit=limit, newsletter=newsletter_id)
        if as_json:
            rows: list[dict[str, object]] = [
                {"issue": h.issue_number, "section": h.section, "title": h.title, "url": h.url}
                | {"votes": h.votes, "relevance": round(h.relevance, 4)}
                for h in hits
            ]
            echo_json([row | named(h.newsletter_id) for row, h in zip(rows, hits, strict=True)])
            return
        if not hits:
            out.print(f"No posted item holds {' '.join(terms)}.", markup=False)
            return
        table = Table("Issue", "Section", "Item", "Link", "Votes")
        for h in hits:
            label = issue_label(h.newsletter_id, h.issue_number)
            table.add_row(label, shown(h.section or ""), shown(h.title), shown(h.url or ""), str(h.votes))
        out.print(table)

    body(ctx)


COMMANDS = (votes, leaderboard, suggestions, search)


def shown(text: str) -> Text:
    """Outside text in a table cell: as written, not Rich markup (a note with "[/]" crashed the table),
    with its control characters shown, not acted on."""
    from rich.text import Text

    return Text(terminal_safe(text))
