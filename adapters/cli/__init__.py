"""The ``digestbot`` command line: click commands grouped by capability.

- :mod:`adapters.cli.content`: parse, ingest, export, issues, show, draft;
- :mod:`adapters.cli.chat`: post, run;
- :mod:`adapters.cli.community`: votes, leaderboard, suggestions;
- :mod:`adapters.cli.ops`: status, reconcile, db.

At import only click and light core modules load; each command imports what it needs (bootstrap, storage,
Rich, the platform SDKs, the readers) in its body, so ``digestbot --help`` answers at once.
"""

from __future__ import annotations

from pathlib import Path

import click

from adapters.cli import chat, community, content, ops
from adapters.cli.common import Context
from adapters.logging_setup import configure_logging


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


for command in (*content.COMMANDS, *chat.COMMANDS, *community.COMMANDS, *ops.COMMANDS):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="digestbot")
