"""What digestbot prints of a newsletter in a terminal is shown, never acted on: an escape sequence in a
title does not colour, retitle or clear the terminal, and "[/]" is text, not Rich markup."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from adapters.cli import cli
from bot.ingest import dump_yaml
from bot.model import Issue, Item, Section

ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;owned\x07 \x1b[2J"


def write_issue(tmp_path: Path) -> Path:
    issue = Issue(
        title=f"Terminal Weekly {ESCAPES}",
        number=7,
        sections=[
            Section(
                f"Section {ESCAPES} [/]",
                items=[Item(f"Item {ESCAPES} [bold]x[/]", "https://example.com/a", f"Blurb {ESCAPES}")],
            )
        ],
    )
    issue.renumber()
    path = tmp_path / "issue.yaml"
    path.write_text(dump_yaml(issue), encoding="utf-8")
    return path


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    document = {
        "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
        "channels": [{"name": "console", "platform": "console"}],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_parse_show_and_post_print_escape_sequences_as_text(tmp_path: Path):
    issue, config = write_issue(tmp_path), write_config(tmp_path)
    runner = CliRunner()
    for args in (
        ["parse", str(issue)],
        ["post", str(issue), "--channel", "console"],
        ["show", "7"],
        ["issues"],
    ):
        result = runner.invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.output, args
        assert "\x07" not in result.output, args
        assert "\\x1b[31mred" in result.output, args  # still there to see
        if args[0] != "issues":
            assert "[bold]x[/]" in result.output, args


async def test_suggestions_and_votes_tables_show_notes_as_written(tmp_path: Path):
    import asyncio

    from adapters.bootstrap import bootstrap
    from bot.community.suggestions import Actor
    from bot.config import load_config
    from bot.model import Platform

    config = write_config(tmp_path)
    app = await bootstrap(load_config(config))
    try:
        actor = Actor(platform=Platform.CONSOLE, user_id="ada", channel_id="console", is_admin=True)
        reply = await app.suggestions.suggest_text(actor, f"https://example.com/x [/] [bold]note {ESCAPES}")
        assert reply.ok, reply.text
    finally:
        await app.aclose()

    result = await asyncio.to_thread(CliRunner().invoke, cli, ["--config", str(config), "suggestions"])
    assert result.exit_code == 0, result.output  # "[/]" crashed Rich's markup parser
    assert "[bold]note" in result.output
    assert "\x1b" not in result.output
