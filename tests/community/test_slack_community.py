"""The community loop on the Slack emulator: /digest suggestions with buttons, approval by an admin,
a refused press by anyone else, `digestbot draft` and `ingest` marking the suggestions featured (the
suggesters told), and the weekly results uploaded as a file."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from adapters.charts import draw_bar_chart
from adapters.cli import cli
from adapters.weekly_results import results_before_post
from bot.community.results import ResultsOutcome, post_weekly_results
from bot.model import SuggestionStatus
from tests.emulators.slack_emulator import User, validate_blocks
from tests.slack.conftest import ADMIN, SlackWorld, eventually, reply_to, slack_config


async def run_cli(config: Path, *args: str) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def write_config(world: SlackWorld, tmp_path: Path) -> Path:
    url = world.app.config.database.url
    document = slack_config(world.emu, url, world.channel_id)
    document["suggestions"] = {"fetch_titles": False}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


async def action_reply(world: SlackWorld, answer) -> str:
    await eventually(lambda: _has(world, answer.trigger_id))
    return str(world.emu.responses_for(answer.trigger_id)[-1].body["text"])


async def _has(world: SlackWorld, trigger_id: str) -> bool:
    return bool(world.emu.responses_for(trigger_id))


async def test_suggestions_are_triaged_by_button_drafted_and_featured(slack_world: SlackWorld, tmp_path):
    emu, url = slack_world.emu, slack_world.events_url
    carol = emu.add_user("carol")
    dave = emu.add_user("dave")
    channel = slack_world.channel_id
    for user, link in ((carol, "https://example.com/one"), (dave, "https://example.com/two")):
        await reply_to(
            emu,
            await emu.send_slash_command(
                url, "/suggest", f"{link} <!channel> a fine read", user_id=user, channel_id=channel
            ),
        )
    await reply_to(
        emu, await emu.send_slash_command(url, "/suggest", "https://example.com/three", user_id=dave)
    )

    listing = await emu.send_slash_command(url, "/digest", "suggestions", user_id=ADMIN, channel_id=channel)
    body = await reply_to(emu, listing)
    assert "3 pending" in body["text"]
    assert validate_blocks(body["blocks"]) == []
    buttons = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    approve_values = [e["value"] for e in buttons if e["action_id"] == "digestbot_approve"]
    assert len(approve_values) == 3

    async with slack_world.app.uow_factory() as uow:
        by_url = {s.url: s for s in await uow.suggestions.list()}
        assert by_url["https://example.com/one"].note == "a fine read"
    one, two, three = (str(by_url[f"https://example.com/{n}"].id) for n in ("one", "two", "three"))

    refused = await emu.send_block_action(
        url, "digestbot_approve", value=one, user_id=carol, channel_id=channel
    )
    assert "only digestbot admins" in await action_reply(slack_world, refused)
    async with slack_world.app.uow_factory() as uow:
        assert (await uow.suggestions.get(int(one))).status is SuggestionStatus.PENDING

    picked = await emu.send_block_action(
        url, "digestbot_section", selected=f"{one}:Papers", user_id=ADMIN, channel_id=channel
    )
    assert "Papers" in await action_reply(slack_world, picked)
    for value in (one, two):
        pressed = await emu.send_block_action(
            url, "digestbot_approve", value=value, user_id=ADMIN, channel_id=channel
        )
        assert "Approved" in await action_reply(slack_world, pressed)
    rejected = await emu.send_block_action(
        url, "digestbot_reject", value=three, user_id=ADMIN, channel_id=channel
    )
    assert "Rejected" in await action_reply(slack_world, rejected)
    approvals = [e for e in emu.ephemerals if "was approved" in e.text]
    assert sorted(e.user for e in approvals) == sorted([carol, dave])

    config = write_config(slack_world, tmp_path)
    draft = tmp_path / "draft.md"
    await run_cli(config, "draft", "-o", str(draft), "--number", "300", "--title", "Community picks")
    text = draft.read_text()
    assert "## Papers" in text
    assert "[https://example.com/one](https://example.com/one) a fine read. Suggested by" in text
    assert "three" not in text
    output = await run_cli(config, "ingest", str(draft))
    assert "Marked 2 suggestion(s) featured in #300" in output
    listed = json.loads(await run_cli(config, "suggestions", "--json"))
    assert {s["url"]: s["status"] for s in listed} == {
        "https://example.com/one": "featured",
        "https://example.com/two": "featured",
        "https://example.com/three": "rejected",
    }
    assert {"url", "note", "supporters", "status"} <= set(listed[0])
    featured_notes = [e for e in emu.ephemerals if "featured in issue #300" in e.text]
    assert sorted(e.user for e in featured_notes) == sorted([carol, dave])


async def test_weekly_results_are_uploaded_as_a_chart_before_the_next_issue(
    slack_world: SlackWorld, tmp_path
):
    emu, channel = slack_world.emu, slack_world.channel_id
    number = await slack_world.ingest_example()
    await slack_world.post(number)
    emu.users["U0VOTER01"] = User("U0VOTER01", "voter", "A Voter")
    lyra = slack_world.item_ts("Lyra")
    await emu.add_reaction(channel, lyra, "U0VOTER01", "fire")
    await emu.add_reaction(channel, lyra, emu.default_user_id, "+1")

    async def counted() -> bool:
        return (await slack_world.scores(number))[
            next(t for t in await slack_world.scores(number) if "Lyra" in t)
        ].score == 3

    await eventually(counted)
    app = slack_world.app
    platform = app.platform(slack_world.channel.platform)
    assert await results_before_post(app, number + 1, [slack_world.channel]) == []  # votes.results_post off
    document = slack_config(emu, app.config.database.url, channel)
    document["votes"]["results_post"] = True
    config = tmp_path / "results.yaml"
    config.write_text(yaml.safe_dump(document))
    example = tmp_path / "next.md"
    example.write_text(
        "---\ntitle: Next week\nnumber: 196\n---\n\n## News\n\n* [A new thing](https://example.com/new)\n"
    )
    before = len(emu.messages(channel))
    await run_cli(config, "post", str(example))
    results, header = emu.messages(channel)[before : before + 2]
    assert results.files
    assert "Next week" in header.text
    [uploaded] = emu.files.values()
    assert uploaded.data is not None
    assert uploaded.data.startswith(b"\x89PNG")
    assert "Last week's top 1" in results.text
    assert "Lyra" in results.text
    again = await post_weekly_results(
        app.uow_factory,
        platform,
        slack_world.channel,
        app.config.votes,
        before_issue=number + 1,
        clock=app.clock,
        draw_chart=draw_bar_chart,
    )
    assert again.outcome is ResultsOutcome.ALREADY_POSTED
    assert len(emu.files) == 1


async def test_without_matplotlib_the_weekly_results_go_out_as_text(
    slack_world: SlackWorld, tmp_path, monkeypatch, caplog
):
    emu, channel = slack_world.emu, slack_world.channel_id
    number = await slack_world.ingest_example()
    await slack_world.post(number)
    lyra = slack_world.item_ts("Lyra")
    await emu.add_reaction(channel, lyra, emu.default_user_id, "+1")

    async def counted() -> bool:
        return any(s.score > 0 for s in (await slack_world.scores(number)).values())

    await eventually(counted)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    before = len(emu.messages(channel))
    [report] = await results_before_post(slack_world.app, number + 1, [slack_world.channel], force=True)
    assert report.outcome is ResultsOutcome.POSTED
    [results] = emu.messages(channel)[before:]
    assert "Last week's top 1" in results.text
    assert "Lyra" in results.text
    assert not results.files
    assert not emu.files
    assert "without a chart" in caplog.text
    assert "digestbot[charts]" in caplog.text

    config = write_config(slack_world, tmp_path)
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["--config", str(config), "votes", "--chart", str(tmp_path / "top.png")]
    )
    assert result.exit_code == 1
    assert "digestbot: error: --chart needs matplotlib: pip install 'digestbot[charts]'" in result.output
    assert not (tmp_path / "top.png").exists()
