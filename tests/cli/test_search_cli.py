"""`digestbot search`: hits as a table or JSON, a clear error for a search with no words."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from adapters.cli import cli
from tests.cli.test_terminal_text import write_config
from tests.examples import EXAMPLE


def test_search_finds_posted_items_as_json_and_refuses_a_search_without_words(tmp_path: Path):
    config = write_config(tmp_path)
    runner = CliRunner()

    def digestbot(*args: str):
        return runner.invoke(cli, ["--config", str(config), *args])

    assert digestbot("ingest", str(EXAMPLE)).exit_code == 0
    assert json.loads(digestbot("search", "--json", "lyra").output) == []  # ingested, not posted yet
    assert digestbot("post", "195", "--channel", "console").exit_code == 0

    hits = json.loads(digestbot("search", "--json", "image", "transformers").output)
    assert [(h["issue"], h["section"], h["title"]) for h in hits] == [
        (195, "Papers & Publications", "Going deeper with Image Transformers"),  # both words in its title
        (195, "Libraries & Code", "GANsformer: Generative Adversarial Transformers"),  # "image" in its blurb
    ]
    table = digestbot("search", "transformer")
    assert table.exit_code == 0
    assert "Going deeper with Image" in table.output

    refused = digestbot("search", '"*')
    assert refused.exit_code != 0
    assert "nothing to search for" in refused.output
