"""The real discord.py, through digestbot's Discord adapter, against the local Discord emulator: posting an
issue to text and forum channels, exactly once through lost responses, 429 storms and errors."""

from __future__ import annotations

from dataclasses import replace

from bot.ingest import parse_file
from bot.model import ChannelFilter, DeliveryState, Item
from bot.posting.poster import post_to_channels
from tests.discord.conftest import SECTION_SIZES, DiscordWorld, everything_in, refs
from tests.emulators.discord_emulator import CHANNEL_FORUM, CHANNEL_PUBLIC_THREAD
from tests.examples import EXAMPLE


async def test_example_issue_is_a_header_and_one_thread_per_section(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    report = await world.post_example()
    assert report.complete
    assert report.sent == 1 + 4 + 21

    header, *sections = world.top_level()
    assert len(sections) == 4
    assert "Deep Learning Weekly: Issue #195" in header["content"]
    [header_embed] = header["embeds"]
    assert header_embed["title"] == "Deep Learning Weekly: Issue #195"
    assert "This week in deep learning" in header_embed["description"]
    assert all(title in header_embed["description"] for title in SECTION_SIZES)
    assert int(header["id"]) not in emu.threads

    for section in sections:
        title = next(t for t in SECTION_SIZES if section["content"].startswith(f"**{t}**"))
        assert f"— {SECTION_SIZES[title]} items" in section["content"]
        thread = emu.threads[int(section["id"])]  # the thread started from the section message
        assert (thread["name"], thread["parent_id"], thread["type"]) == (
            title,
            str(world.text),
            CHANNEL_PUBLIC_THREAD,
        )
        items = world.thread_items(section["id"])
        assert len(items) == SECTION_SIZES[title]
        for number, item in enumerate(items, start=1):
            assert item["embeds"], "every item is an embed"
            assert item["content"].startswith(f"**{number}. ")
            assert item["embeds"][0]["title"].startswith(f"{number}. ")

    _, imerit = world.item("iMerit")
    _, lyra = world.item("Lyra")
    assert "Sponsored" in emu.messages[imerit]["content"]
    assert emu.messages[imerit]["embeds"][-1]["footer"]["text"].startswith("Sponsored")
    assert "Sponsored" not in str(emu.messages[lyra])
    _, paper = world.item("Efficient Large-Scale Language Model")
    assert "In this work, we show how to compose" in " ".join(
        e["description"] for e in emu.messages[paper]["embeds"]
    )
    # every message carries its own delivery reference, and was sent with it as nonce
    everything = everything_in(world.emu, world.text)
    assert len(set(refs(everything))) == len(everything) == 26
    assert all(m.get("nonce") and m["nonce"] in refs([m]) for m in everything)


async def test_posting_again_sends_nothing(discord_world: DiscordWorld):
    world = discord_world
    await world.post_example()
    created = world.emu.counters["messages_created"]
    again = await world.post()
    assert (again.sent, again.already_posted) == (0, 26)
    assert world.emu.counters["messages_created"] == created == 26


async def test_forum_channel_gets_a_header_post_and_one_post_per_section(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    report = await world.post("newsletter-forum")
    assert report.complete
    posts = [t for t in emu.threads.values() if t["parent_id"] == str(world.forum)]
    assert emu.channels[world.forum]["type"] == CHANNEL_FORUM
    names = sorted(t["name"] for t in posts)
    assert names == sorted(["Deep Learning Weekly: Issue #195", *(f"{t} · #195" for t in SECTION_SIZES)])
    for post in posts:
        messages = emu.channel_messages(int(post["id"]))
        assert messages[0]["id"] == post["id"]  # the starter message
        if post["name"].startswith("Deep Learning Weekly"):
            assert len(messages) == 1
            continue
        title = post["name"].removesuffix(" · #195")
        assert messages[0]["content"].startswith(f"**{title}**")
        assert len(messages) == 1 + SECTION_SIZES[title]
    again = await world.post("newsletter-forum")
    assert (again.sent, again.already_posted) == (0, 26)
    assert len([t for t in emu.threads.values() if t["parent_id"] == str(world.forum)]) == 5


async def test_lost_responses_after_discord_accepted_are_not_posted_twice(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    for name, channel in (("newsletter", world.text), ("newsletter-forum", world.forum)):
        emu.drop_after_accept(3)  # the header (a forum post, in the forum), a section, an item
        report = await world.post(name)
        assert report.complete, report.errors
        assert report.recovered == 3
        assert emu.counters["connections_dropped"] == 3 if name == "newsletter" else 6
        everything = everything_in(world.emu, channel)
        assert len(everything) == len(set(refs(everything))) == 26
    assert len([t for t in emu.threads.values() if t["parent_id"] == str(world.forum)]) == 5


async def test_a_section_whose_thread_failed_gets_its_thread_on_retry(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    emu.fail_next("POST /channels/*/messages/*/threads", times=1, status=503)
    report = await world.post_example()
    assert report.complete, report.errors
    assert report.recovered == 1  # the section message was found, and its thread started then
    sections = world.top_level()[1:]
    assert sorted(len(world.thread_items(s["id"])) for s in sections) == [3, 3, 7, 8]


async def test_a_storm_of_429s_is_ridden_out_by_discord_py(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    emu.rate_limit_storm(world.text, 4, retry_after=0.05)  # discord.py retries each 429 itself
    report = await world.post()
    assert report.complete
    assert emu.counters["rate_limited_storm"] == 4
    emu.rate_limit_storm(world.forum, 7, retry_after=0.01)  # more than discord.py's 5 tries: the core retries
    report = await world.post("newsletter-forum")
    assert report.complete, report.errors
    for channel in (world.text, world.forum):
        everything = everything_in(world.emu, channel)
        assert len(everything) == len(set(refs(everything))) == 26


async def test_a_channel_the_bot_may_not_post_in_fails_permanently(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    from tests.emulators.discord_emulator import Permissions

    emu.deny_bot(world.text, Permissions.SEND_MESSAGES)
    report = await world.post()
    assert report.errors
    assert "403" in report.errors[0]
    assert "50013" in report.errors[0]
    async with world.app.uow_factory() as uow:
        delivery = await uow.deliveries.get(195, world.channel())
    assert delivery is not None
    assert delivery.state is DeliveryState.FAILED
    assert len(emu.requests_to("POST /channels/*/messages")) == 1  # not retried


async def test_a_server_error_is_retried(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    emu.fail_next("POST /channels/*/messages", times=2, status=503)
    report = await world.post_example()
    assert report.complete, report.errors
    assert len(everything_in(world.emu, world.text)) == 26


async def test_a_filtered_channel_gets_only_its_part_without_sponsored_items(discord_world: DiscordWorld):
    world = discord_world
    await world.ingest_example()
    rules = ChannelFilter(exclude_sections=("Mobile*", "Papers*", "Libraries*"), sponsored=False)
    [report] = await post_to_channels(world.app.poster, 195, [replace(world.channel(), filter=rules)])
    assert report.complete
    header, section = world.top_level()
    assert "Top stories" in header["embeds"][0]["description"]
    assert "Mobile & Edge" not in header["embeds"][0]["description"]
    assert "— 6 items" in section["content"]
    items = world.thread_items(section["id"])
    assert len(items) == 6
    assert not any("iMerit" in item["content"] for item in items)  # the sponsored item
    assert "Lyra" in items[0]["content"]


async def test_a_corrected_issue_is_edited_in_place_in_text_and_forum_channels(discord_world: DiscordWorld):
    world, emu = discord_world, discord_world.emu
    await world.ingest_example()
    for name in ("newsletter", "newsletter-forum"):
        assert (await world.post(name)).complete
    weight_thread, weight_id = world.item("Weight Banding")
    [issue] = parse_file(EXAMPLE)
    mobile = issue.sections[1]
    mobile.items = [i for i in mobile.items if not i.title.startswith("Why multi-head")]
    next(i for i in mobile.items if i.title == "Weight Banding").blurb = "Corrected: the banding explained."
    mobile.items.append(Item("A late addition", "https://example.com/late", "Added after posting."))
    issue.renumber()
    await world.store(issue)

    for name in ("newsletter", "newsletter-forum"):
        report = await world.post(name)
        assert report.complete
        # edited: Weight Banding (blurb; number 7 -> 6), the next item (8 -> 7), the removed one, the header
        assert (report.sent, report.edited, report.removed) == (1, 4, 1), name

    weight = emu.messages[weight_id]
    assert "Corrected: the banding explained." in weight["embeds"][0]["description"]
    assert weight["edited_timestamp"] is not None
    removed = [m for m in emu.messages.values() if m["content"].startswith("*Removed from this issue.*")]
    assert len(removed) == 2  # one per channel, where the item was
    assert all(not m["embeds"] for m in removed)
    late = [m for m in emu.messages.values() if "A late addition" in m["content"]]
    assert len(late) == 2
    assert int(late[0]["channel_id"]) in (weight_thread, *emu.threads)
    header = world.top_level()[0]
    assert header["embeds"][0]["footer"]["text"].endswith("· edited")
    again = await world.post()
    assert (again.sent, again.edited) == (0, 0)
