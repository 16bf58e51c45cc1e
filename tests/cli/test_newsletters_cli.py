"""`digestbot` with several newsletters: --newsletter on every command that takes an issue, a clear error
listing the ids when it is missing or unknown, and `db rename-newsletter` for a database from before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from adapters.cli import cli
from bot.config import ConfigError, parse_config
from tests.examples import EXAMPLE

GLEAM = Path(__file__).resolve().parents[1] / "fixtures" / "newsletters" / "twir-like.md"


def write_config(tmp_path: Path, newsletters: list[dict] | None) -> Path:
    document: dict = {
        "database": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
        "channels": [{"name": "console", "platform": "console"}],
    }
    if newsletters is not None:
        document["newsletters"] = newsletters
    path = tmp_path / f"config-{len(newsletters or [])}.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def digestbot(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args])


TWO = [{"id": "dlw", "name": "Deep Learning Weekly"}, {"id": "gleam", "name": "This Week in Gleam"}]


def test_issue_numbers_are_per_newsletter_and_an_ambiguous_command_says_which_ids_there_are(tmp_path):
    config = write_config(tmp_path, TWO)
    ingested = digestbot(config, "ingest", str(EXAMPLE), "--newsletter", "dlw")
    assert ingested.exit_code == 0, ingested.output
    assert "Ingested dlw #195" in ingested.output
    # The other newsletter's issue gets the same number: a different issue, nothing overwritten.
    other = digestbot(config, "ingest", str(GLEAM), "--newsletter", "gleam", "--number", "195")
    assert other.exit_code == 0, other.output
    assert "Ingested gleam #195" in other.output

    listed = json.loads(digestbot(config, "issues", "--json").output)
    assert sorted((row["newsletter"], row["number"]) for row in listed) == [("dlw", 195), ("gleam", 195)]
    only_gleam = json.loads(digestbot(config, "issues", "--json", "--newsletter", "gleam").output)
    assert [row["title"] for row in only_gleam] == ["This Week in Gleam 314"]

    shown = digestbot(config, "show", "195", "--newsletter", "gleam")
    assert shown.exit_code == 0, shown.output
    assert "Gleam" in shown.output
    assert "Lyra" not in shown.output

    ambiguous = digestbot(config, "show", "195")
    assert ambiguous.exit_code == 1
    assert "several newsletters: say which with --newsletter (dlw, gleam)" in ambiguous.output
    assert "Traceback" not in ambiguous.output
    unknown = digestbot(config, "votes", "195", "--newsletter", "dwl")
    assert unknown.exit_code == 1
    assert "no newsletter 'dwl' (newsletters: dlw, gleam)" in unknown.output

    posted = digestbot(config, "post", "195", "--newsletter", "gleam", "--dry-run")
    assert posted.exit_code == 0, posted.output
    assert "gleam #195 → console (console)" in posted.output
    missing = digestbot(config, "export", "7", "--newsletter", "dlw")
    assert missing.exit_code == 1
    assert "there is no issue dlw #7" in missing.output


def test_a_config_without_newsletters_keeps_the_old_commands_and_renaming_carries_the_database_over(
    tmp_path,
):
    before = write_config(tmp_path, None)
    ingested = digestbot(before, "ingest", str(EXAMPLE))
    assert ingested.exit_code == 0, ingested.output
    assert "Ingested #195 " in ingested.output  # as before: the default newsletter is not named
    shown = digestbot(before, "show", "195")  # the only newsletter: no --newsletter needed
    assert shown.exit_code == 0, shown.output

    after = write_config(tmp_path, [{"id": "dlw", "name": "Deep Learning Weekly"}])
    assert digestbot(after, "show", "195").exit_code == 1  # the rows are still 'default'
    renamed = digestbot(after, "db", "rename-newsletter", "default", "dlw")
    assert renamed.exit_code == 0, renamed.output
    assert "Moved newsletter 'default' to 'dlw': 1 issue(s)" in renamed.output
    again = digestbot(after, "show", "195")
    assert again.exit_code == 0, again.output
    assert "Lyra" in again.output
    refused = digestbot(after, "db", "rename-newsletter", "default", "elsewhere")
    assert refused.exit_code == 1
    assert "no newsletter 'elsewhere'" in refused.output


def test_channels_name_the_newsletters_they_get_each_with_its_schedule():
    config = parse_config(
        {
            "newsletters": TWO,
            "channels": [
                {
                    "name": "ml",
                    "platform": "console",
                    "newsletters": [
                        {"id": "dlw", "schedule": {"weekday": "monday", "time": "09:00"}},
                        {"id": "gleam", "schedule": {"cron": "0 10 * * 2"}},
                    ],
                },
                {"name": "all", "platform": "console"},
            ],
        }
    )
    ml, every = config.channels
    assert [(n.id, n.schedule is not None) for n in config.channel_newsletters(ml)] == [
        ("dlw", True),
        ("gleam", True),
    ]
    assert [(n.id, n.schedule) for n in config.channel_newsletters(every)] == [("dlw", None), ("gleam", None)]
    implicit = parse_config(
        {"channels": [{"name": "c", "platform": "console", "schedule": {"cron": "0 9 * * 1"}}]}
    )
    [default] = implicit.channel_newsletters(implicit.channels[0])
    assert default.id == "default"
    assert default.schedule is not None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {
                "newsletters": TWO,
                "channels": [{"name": "c", "platform": "console", "newsletters": [{"id": "x"}]}],
            },
            "channel 'c': unknown newsletter 'x' (newsletters: dlw, gleam)",
        ),
        (
            {
                "newsletters": TWO,
                "channels": [{"name": "c", "platform": "console", "schedule": {"cron": "0 9 * * 1"}}],
            },
            "give each its schedule under the channel's newsletters:",
        ),
        ({"newsletters": [{"id": "a"}, {"id": "a"}]}, "newsletter ids must be unique, repeated: a"),
        ({"newsletters": [{"id": "Has Space"}]}, "newsletters.0.id"),
        ({"newsletters": TWO, "source": {"feed": "https://x.example/feed"}}, "give each its source"),
    ],
)
def test_a_wrong_newsletter_config_says_what_is_wrong(document, message):
    with pytest.raises(ConfigError) as raised:
        parse_config(document)
    assert message in str(raised.value)


def test_the_example_configs_newsletters_parse_once_uncommented():
    example = (Path(__file__).resolve().parents[2] / "config.example.yaml").read_text(encoding="utf-8")
    lines = example.splitlines()
    start = lines.index("# newsletters:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line.removeprefix("# "))
    channel = "\n".join(
        line.strip().removeprefix("#   # ").removeprefix("# ")
        for line in example.splitlines()
        if line.strip().startswith("#   #   - {id:")
    )
    document = yaml.safe_load("\n".join(block))
    document["channels"] = [{"name": "team", "platform": "console", "newsletters": yaml.safe_load(channel)}]
    config = parse_config(document)
    assert [n.id for n in config.newsletter_configs()] == ["dlw", "rustweekly"]
    assert [n.id for n in config.channel_newsletters(config.channels[0])] == ["dlw", "rustweekly"]
