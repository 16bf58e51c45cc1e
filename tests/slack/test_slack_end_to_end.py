"""The real slack_sdk and slack_bolt, through digestbot, against the local Slack emulator."""

from __future__ import annotations

import time
from dataclasses import replace
from html import unescape

import pytest

from bot.model import ChannelFilter, SuggestionStatus
from bot.posting.poster import post_to_channels
from tests.emulators.slack_emulator import validate_blocks
from tests.fakes import small_issue
from tests.slack.conftest import ADMIN, SlackWorld, eventually, reply_to

SECTION_SIZES = {"Top stories": 7, "Mobile & Edge": 8, "Libraries & Code": 3, "Papers & Publications": 3}


async def test_example_issue_is_posted_as_a_header_and_one_thread_per_section(slack_world: SlackWorld):
    emu, channel = slack_world.emu, slack_world.channel_id
    report = await slack_world.post_example()
    assert report.complete
    assert report.sent == 1 + 4 + 21

    top_level = emu.messages(channel)
    assert len(top_level) == 5
    header, *sections = top_level
    assert "Deep Learning Weekly" in header.text
    assert header.blocks[0]["type"] == "header"
    assert not emu.replies(channel, header.ts)
    for section in sections:
        title = next(t for t in SECTION_SIZES if unescape(section.text).startswith(t))  # as Slack shows it
        replies = emu.replies(channel, section.ts)
        assert len(replies) == SECTION_SIZES[title], title
        for reply in replies:
            assert reply.thread_ts == section.ts
            assert validate_blocks(reply.blocks) == []
    imerit = next(r for s in sections for r in emu.replies(channel, s.ts) if "iMerit" in r.text)
    assert "Sponsored" in str(imerit.blocks)
    lyra = next(r for s in sections for r in emu.replies(channel, s.ts) if "Lyra" in r.text)
    assert "Sponsored" not in str(lyra.blocks)
    second_paper = next(
        r
        for s in sections
        for r in emu.replies(channel, s.ts)
        if "Efficient Large-Scale Language Model" in r.text
    )
    body = " ".join(b["text"]["text"] for b in second_paper.blocks if b["type"] == "section")
    assert "In this work, we show how to compose" in body  # the second paragraph of the abstract


async def test_posting_again_posts_nothing_new(slack_world: SlackWorld):
    await slack_world.post_example()
    before = len(slack_world.emu.all_messages(slack_world.channel_id))
    again = await slack_world.post()
    assert again.sent == 0
    assert again.already_posted == 26
    assert len(slack_world.emu.all_messages(slack_world.channel_id)) == before == 26


async def test_a_lost_response_after_slack_accepted_is_not_posted_twice(slack_world: SlackWorld):
    emu = slack_world.emu
    await slack_world.ingest_example()
    emu.drop_after_accept("chat.postMessage", 3)
    slack_world.app.retry.first_delay = 0.01
    report = await slack_world.post()
    assert report.complete
    assert report.recovered == 3
    texts = [m.text for m in emu.all_messages(slack_world.channel_id)]
    assert len(texts) == len(set(texts)) == 26


async def test_a_storm_of_429s_is_ridden_out(slack_world: SlackWorld):
    emu = slack_world.emu
    await slack_world.ingest_example()
    emu.rate_limit_storm(slack_world.channel_id, 4, retry_after=1)
    started = time.monotonic()
    report = await slack_world.post()
    assert report.complete
    assert emu.rate_limited_by_channel[slack_world.channel_id] >= 4
    assert time.monotonic() - started >= 4  # every Retry-After was honoured
    texts = [m.text for m in emu.all_messages(slack_world.channel_id)]
    assert len(texts) == len(set(texts)) == 26


async def test_reactions_on_items_are_votes_and_removals_withdraw_them(slack_world: SlackWorld):
    emu, channel = slack_world.emu, slack_world.channel_id
    await slack_world.post_example()
    alice, bob = emu.default_user_id, emu.add_user("bob")
    lyra, weights = slack_world.item_ts("Lyra"), slack_world.item_ts("Weight Banding")

    first = await emu.add_reaction(channel, lyra, alice, "+1")
    assert first is not None
    assert first.response is not None
    assert first.response.status == 200
    await emu.add_reaction(channel, lyra, bob, "fire")
    await emu.add_reaction(channel, lyra, bob, "eyes")  # not a vote emoji
    await emu.add_reaction(channel, weights, alice, "heart")
    await emu.remove_reaction(channel, weights, alice, "heart")
    await emu.add_reaction(channel, emu.messages(channel)[0].ts, alice, "+1")  # the header
    await emu.add_reaction(channel, emu.messages(channel)[1].ts, alice, "+1")  # a section

    # Slack thinks the first delivery failed and sends it again: it must count once.
    redelivered = await emu.redeliver(slack_world.events_url, first)
    assert redelivered.status == 200

    async def settled() -> bool:
        scores = await slack_world.scores()
        lyra = next(s.score for title, s in scores.items() if title.startswith("Google Open-Sources Lyra"))
        return lyra == 3 and scores["Weight Banding"].score == 0

    await eventually(settled)
    assert await slack_world.app.votes.drain()
    scores = await slack_world.scores()
    assert sum(s.score for s in scores.values()) == 3  # nothing on the header, the section or for 👀


async def test_forged_and_stale_requests_are_refused_and_change_nothing(slack_world: SlackWorld):
    emu, channel = slack_world.emu, slack_world.channel_id
    await slack_world.post_example()
    event = emu.reaction_added_event(
        channel, slack_world.item_ts("Weight Banding"), emu.default_user_id, "+1"
    )
    forged = await emu.deliver_event(slack_world.events_url, event, bad_signature=True)
    stale = await emu.deliver_event(slack_world.events_url, event, timestamp=int(time.time()) - 6 * 60)
    command = await emu.send_slash_command(
        slack_world.events_url, "/suggest", "https://example.com/forged", bad_signature=True
    )
    assert (forged.status, stale.status, command.status) == (401, 401, 401)
    assert await slack_world.app.votes.drain()
    assert all(s.score == 0 for s in (await slack_world.scores()).values())
    assert await slack_world.app.suggestions.all() == []


async def test_suggest_is_acknowledged_with_an_ephemeral_reply_and_stored(slack_world: SlackWorld):
    emu = slack_world.emu
    answer = await emu.send_slash_command(
        slack_world.events_url, "/suggest", "https://Example.com/great-post/?utm_source=x A must read"
    )
    assert answer.status == 200
    assert answer.elapsed < 3
    assert (await reply_to(slack_world.emu, answer)).get("response_type", "ephemeral") == "ephemeral"
    assert "https://example.com/great-post" in (await reply_to(slack_world.emu, answer))["text"]

    bob = emu.add_user("bob")
    second = await emu.send_slash_command(
        slack_world.events_url, "/suggest", "https://example.com/great-post", user_id=bob
    )
    assert "supporter number 2" in (await reply_to(slack_world.emu, second))["text"]
    [stored] = await slack_world.app.suggestions.all()
    assert (stored.url, stored.note, stored.status) == (
        "https://example.com/great-post",
        "A must read",
        SuggestionStatus.PENDING,
    )
    assert len(stored.supporters) == 2
    assert stored.submitted_by.workspace_id == emu.team_id
    assert stored.submitted_by.channel_id == emu.default_channel_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Usage: /suggest"),
        ("ftp://example.com/file", "only http:// and https://"),
        ("https://example.com/x " + "n" * 501, "keep it to 500"),
    ],
)
async def test_bad_suggestions_get_a_clear_ephemeral_error(slack_world: SlackWorld, text, expected):
    answer = await slack_world.emu.send_slash_command(slack_world.events_url, "/suggest", text)
    assert answer.status == 200
    assert (await reply_to(slack_world.emu, answer)).get("response_type", "ephemeral") == "ephemeral"
    assert expected in (await reply_to(slack_world.emu, answer))["text"]
    assert await slack_world.app.suggestions.all() == []


async def test_a_link_already_in_an_issue_is_answered_with_that_issue(slack_world: SlackWorld):
    await slack_world.store(small_issue(7))
    answer = await slack_world.emu.send_slash_command(
        slack_world.events_url, "/suggest", "https://arxiv.org/abs/1"
    )
    assert "already featured in #7" in (await reply_to(slack_world.emu, answer))["text"]


async def test_admin_commands_refuse_non_admins(slack_world: SlackWorld):
    emu = slack_world.emu
    await slack_world.ingest_example()
    refused = await emu.send_slash_command(slack_world.events_url, "/digest", "status")
    assert "for digestbot admins only" in (await reply_to(slack_world.emu, refused))["text"]
    allowed = await emu.send_slash_command(slack_world.events_url, "/digest", "status", user_id=ADMIN)
    assert "Nothing has been posted yet" in (await reply_to(slack_world.emu, allowed))["text"]
    top = await emu.send_slash_command(slack_world.events_url, "/digest", "top")
    assert "No votes on issue #195 yet" in (await reply_to(slack_world.emu, top))["text"]


async def test_votes_given_while_the_bot_was_down_are_recovered_once(slack_world: SlackWorld):
    emu, channel = slack_world.emu, slack_world.channel_id
    await slack_world.post_example()
    alice, bob = emu.default_user_id, emu.add_user("bob")
    lyra, banding = slack_world.item_ts("Lyra"), slack_world.item_ts("Weight Banding")
    await emu.add_reaction(channel, lyra, alice, "+1")  # seen live
    await emu.add_reaction(channel, lyra, bob, "+1", emit=False)  # while down
    await emu.add_reaction(channel, banding, bob, "fire", emit=False)
    await emu.remove_reaction(channel, lyra, alice, "+1", emit=False)
    assert await slack_world.app.votes.drain()

    report = await slack_world.app.votes.reconcile(slack_world.app.platform(slack_world.channel.platform))
    assert (report.added, report.removed, report.errors) == (2, 1, [])
    again = await slack_world.app.votes.reconcile(slack_world.app.platform(slack_world.channel.platform))
    assert (again.added, again.removed) == (0, 0)
    scores = {t.split(",")[0]: s.score for t, s in (await slack_world.scores()).items()}
    assert scores["Google Open-Sources Lyra"] == 1
    assert scores["Weight Banding"] == 2


async def test_a_filtered_channel_gets_only_its_part_and_its_votes_count_on_the_same_items(
    slack_world: SlackWorld,
):
    emu, channel_id = slack_world.emu, slack_world.channel_id
    await slack_world.ingest_example()
    papers_only = replace(
        slack_world.channel,
        filter=ChannelFilter(include_sections=("papers*",), exclude_keywords=("GPU",), sponsored=False),
    )
    [report] = await post_to_channels(slack_world.app.poster, 195, [papers_only])
    assert report.complete
    assert report.sent == 1 + 1 + 2
    header, section = emu.messages(channel_id)
    assert "Papers &amp; Publications" in str(header.blocks)
    assert "Top stories" not in str(header.blocks)
    items = emu.replies(channel_id, section.ts)
    assert [validate_blocks(i.blocks) for i in items] == [[], []]
    assert "1." in items[0].text
    assert "Regularizing Generative Adversarial Networks" in items[0].text
    assert "2." in items[1].text
    assert "Going deeper with Image Transformers" in items[1].text

    await emu.add_reaction(channel_id, items[1].ts, emu.default_user_id, "fire")

    async def counted() -> bool:
        scores = await slack_world.scores()
        return scores["Going deeper with Image Transformers"].score == 2

    await eventually(counted)
