"""The community loop on the Discord emulator (and, with Slack, across both platforms): buttons and a
select for triage, refused presses, direct messages to suggesters, the weekly results as an attachment,
and votes for one issue on Slack and Discord adding up in `digestbot votes N --json`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from adapters.charts import draw_bar_chart
from adapters.cli import cli
from bot.community.results import ResultsOutcome, post_weekly_results
from bot.community.suggestions import Actor
from bot.model import Channel, Platform, SuggestionStatus
from bot.posting.poster import post_to_channels
from tests.discord.conftest import DiscordWorld
from tests.slack.conftest import SlackWorld, eventually


async def run_cli(config: Path, *args: str) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def cli_config(world: DiscordWorld, tmp_path: Path, **extra: object) -> Path:
    document = {
        **world.config,
        "suggestions": {"fetch_titles": False},
        "votes": {"emoji": {"+1": 1, "fire": 2, "upvote": 3}},
        **extra,
    }
    path = tmp_path / "cli.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


async def test_discord_admins_triage_by_button_and_suggesters_get_direct_messages(
    discord_world: DiscordWorld, tmp_path
):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()  # its sections are what a suggestion can be filed under
    for user, link in (
        (world.reader, "https://example.com/alpha"),
        (world.other_member, "https://example.com/beta"),
    ):
        guild, channel = (
            (world.guild, world.text) if user == world.reader else (world.other_guild, world.other_text)
        )
        suggested = await emu.dispatch_slash_command(
            guild, channel, user, "suggest", {"url": link, "note": "worth it @everyone"}
        )
        assert "Thanks!" in ((await suggested.final()).content or "")

    listing = await emu.dispatch_slash_command(world.guild, world.text, world.editor, "digest suggestions")
    reply = await listing.final()
    assert reply.ephemeral
    assert "2 pending" in (reply.content or "")
    rows = reply.data["components"]
    custom_ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert any(c.startswith("digestbot:section:") for c in custom_ids)
    approve_ids = [c for c in custom_ids if c.startswith("digestbot:approve:")]
    assert len(approve_ids) == 2

    refused = await emu.dispatch_component(world.guild, world.text, world.reader, approve_ids[0])
    answer = await refused.final()
    assert answer.ephemeral
    assert "only digestbot admins" in (answer.content or "")
    async with world.app.uow_factory() as uow:
        assert all(s.status is SuggestionStatus.PENDING for s in await uow.suggestions.list())

    section_id = next(c for c in custom_ids if c.startswith("digestbot:section:"))
    picked = await emu.dispatch_component(
        world.guild, world.text, world.editor, section_id, values=["Top stories"]
    )
    assert "Top stories" in ((await picked.final()).content or "")
    for custom_id in approve_ids:
        pressed = await emu.dispatch_component(world.guild, world.text, world.role_admin, custom_id)
        assert "Approved" in ((await pressed.final()).content or "")
    assert ["was approved" in m["content"] for m in emu.dm_messages(world.reader)] == [True]
    assert ["was approved" in m["content"] for m in emu.dm_messages(world.other_member)] == [True]

    config = cli_config(world, tmp_path)
    draft = tmp_path / "draft.md"
    await run_cli(config, "draft", "-o", str(draft))
    assert "## Top stories" in draft.read_text()
    assert "worth it @everyone" not in draft.read_text()
    assert "Marked 2 suggestion(s) featured in #196" in await run_cli(config, "ingest", str(draft))
    listed = json.loads(await run_cli(config, "suggestions", "--json"))
    assert {s["status"] for s in listed} == {"featured"}
    assert [m["content"].startswith("Your suggestion") for m in emu.dm_messages(world.reader)] == [
        False,
        True,
    ]
    assert "featured in issue #196" in emu.dm_messages(world.reader)[-1]["content"]
    assert "featured in issue #196" in emu.dm_messages(world.other_member)[-1]["content"]


async def test_votes_on_slack_and_discord_add_up(
    slack_world: SlackWorld, discord_world: DiscordWorld, tmp_path
):
    assert slack_world.app.config.database.url == discord_world.app.config.database.url  # one database
    number = await discord_world.ingest_example()
    assert (await slack_world.post(number)).complete
    assert (await discord_world.post("newsletter", number)).complete

    semu, demu = slack_world.emu, discord_world.emu
    lyra_ts = slack_world.item_ts("Lyra")
    await semu.add_reaction(slack_world.channel_id, lyra_ts, semu.default_user_id, "+1")
    await semu.add_reaction(slack_world.channel_id, lyra_ts, "U0ADMIN001", "fire")
    thread, lyra = discord_world.item("Lyra")
    await demu.dispatch_reaction_add(thread, lyra, discord_world.reader, "👍")
    await demu.dispatch_reaction_add(thread, lyra, discord_world.editor, "🔥")

    async def all_counted() -> bool:
        scores = await discord_world.scores(number)
        return sum(s.by_platform["slack"] + s.by_platform["discord"] for s in scores.values()) == 4

    await eventually(all_counted)
    rows = json.loads(await run_cli(cli_config(discord_world, tmp_path), "votes", str(number), "--json"))
    top = rows[0]
    assert "Lyra" in top["title"]
    assert top["score"] == 6
    assert top["reactions"] == {"thumbsup": 2, "fire": 2}
    assert top["platforms"] == {"slack": 2, "discord": 2}
    assert {"title", "url", "section", "score", "reactions"} <= set(top)

    top_reply = await discord_world.app.commands().run(Actor(Platform.DISCORD, "1"), f"top {number}")
    assert "discord 2 · slack 2" in top_reply.text.splitlines()[1]

    chart = tmp_path / "top.png"
    await run_cli(cli_config(discord_world, tmp_path), "votes", str(number), "--chart", str(chart))
    assert chart.read_bytes().startswith(b"\x89PNG")

    app = discord_world.app
    channel: Channel = discord_world.channel()
    report = await post_weekly_results(
        app.uow_factory, app.platform(Platform.DISCORD), channel, app.config.votes,
        before_issue=number + 1, clock=app.clock, draw_chart=draw_bar_chart,
    )  # fmt: skip
    assert report.outcome is ResultsOutcome.POSTED
    posted = demu.channel_messages(discord_world.text)[-1]
    assert "Last week's top" in posted["content"]
    [attachment] = posted["attachments"]
    assert demu.attachments[int(attachment["id"])].startswith(b"\x89PNG")
    [slack_report] = await post_to_channels(slack_world.app.poster, number, [slack_world.channel])
    assert slack_report.sent == 0
