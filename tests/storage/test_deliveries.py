import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.model import (
    DeliveredMessage,
    DeliveryState,
    DeliveryStep,
    MessageKind,
    Platform,
    PostedMessage,
)
from bot.ports import LocatedMessage
from storage.database import create_engine
from storage.unit_of_work import make_uow_factory
from tests.storage.samples import DISCORD, NOW, SLACK, sample_issue

HEADER = DeliveryStep(MessageKind.HEADER)
SECTION = DeliveryStep(MessageKind.SECTION, section_position=0)


def item_step(issue, position=0):
    return DeliveryStep(MessageKind.ITEM, 0, issue.sections[0].items[position].key)


async def test_begin_creates_once_and_returns_the_stored_delivery(uow_factory, issue):
    async with uow_factory() as uow:
        assert await uow.deliveries.get(195, SLACK) is None
        first = await uow.deliveries.begin(195, SLACK, now=NOW)
        await uow.commit()
    assert (first.issue_number, first.channel, first.state) == (195, SLACK, DeliveryState.IN_PROGRESS)
    assert first.started_at == NOW
    assert first.messages == {}
    async with uow_factory() as uow:
        again = await uow.deliveries.begin(195, SLACK, now=NOW + timedelta(hours=1))
        assert again == first
        assert await uow.deliveries.get(195, SLACK) == first


async def test_begin_needs_a_stored_issue(uow_factory):
    async with uow_factory() as uow:
        with pytest.raises(LookupError, match="196"):
            await uow.deliveries.begin(196, SLACK, now=NOW)


async def test_concurrent_begins_make_one_delivery(uow_factory, issue, database_url):
    """Two replicas (each with its own engine) begin the same delivery at the same moment."""
    started = asyncio.Event()
    entered = 0
    other_engine = create_engine(database_url)
    factories = {0: uow_factory, 1: make_uow_factory(other_engine)}

    async def begin(offset):
        nonlocal entered
        async with factories[offset]() as uow:
            entered += 1
            if entered == 2:
                started.set()
            await started.wait()  # both units of work are open before either inserts
            delivery = await uow.deliveries.begin(195, SLACK, now=NOW + timedelta(seconds=offset))
            await asyncio.sleep(0.05)
            await uow.commit()
            return delivery

    try:
        first, second = await asyncio.wait_for(asyncio.gather(begin(0), begin(1)), timeout=30)
    finally:
        await other_engine.dispose()
    assert first.started_at == second.started_at
    async with uow_factory() as uow:
        assert len(await uow.deliveries.all()) == 1


async def test_the_journal_records_attempts_and_where_messages_landed(uow_factory, issue):
    item = item_step(issue)
    async with uow_factory() as uow:
        delivery = await uow.deliveries.begin(195, SLACK, now=NOW)
        await uow.deliveries.record_attempt(delivery, HEADER)
        await uow.deliveries.record_attempt(delivery, HEADER)
        await uow.deliveries.record_posted(delivery, HEADER, PostedMessage("1700000000.000100"))
        await uow.deliveries.record_attempt(delivery, SECTION)
        await uow.deliveries.record_posted(
            delivery, SECTION, PostedMessage("1700000000.000200", thread_id="1700000000.000200")
        )
        await uow.deliveries.record_attempt(delivery, item)
        await uow.commit()
    expected = {
        "header": DeliveredMessage(HEADER, PostedMessage("1700000000.000100"), attempts=2),
        "section:0": DeliveredMessage(
            SECTION, PostedMessage("1700000000.000200", "1700000000.000200"), attempts=1
        ),
        item.key: DeliveredMessage(item, None, attempts=1),
    }
    assert delivery.messages == expected  # the caller's object follows the journal
    async with uow_factory() as uow:
        stored = await uow.deliveries.get(195, SLACK)
        assert stored is not None
        assert stored.messages == expected
        assert stored.posted(SECTION) == PostedMessage("1700000000.000200", "1700000000.000200")
        assert stored.posted(item) is None

        await uow.deliveries.finish(stored, DeliveryState.FAILED, now=NOW, error="channel_not_found")
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.deliveries.get(195, SLACK)
        assert (stored.state, stored.completed_at, stored.error) == (
            DeliveryState.FAILED,
            NOW,
            "channel_not_found",
        )
        await uow.deliveries.finish(stored, DeliveryState.COMPLETE, now=NOW + timedelta(minutes=1))
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.deliveries.get(195, SLACK)
        assert (stored.state, stored.error) == (DeliveryState.COMPLETE, None)


async def test_record_posted_without_an_attempt_creates_the_row(uow_factory, issue):
    async with uow_factory() as uow:
        delivery = await uow.deliveries.begin(195, SLACK, now=NOW)
        await uow.deliveries.record_posted(delivery, HEADER, PostedMessage("1.1"))
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.deliveries.get(195, SLACK)
        assert stored.messages["header"] == DeliveredMessage(HEADER, PostedMessage("1.1"), attempts=1)


async def test_locate_on_slack_needs_the_channel(uow_factory, issue):
    item = item_step(issue)
    other_channel = replace(SLACK, name="other", id="C0999")
    async with uow_factory() as uow:
        for channel in (SLACK, other_channel):
            delivery = await uow.deliveries.begin(195, channel, now=NOW)
            # Slack ts values repeat across channels: the same ts in two channels is two messages.
            await uow.deliveries.record_posted(delivery, item, PostedMessage("1700000000.000300"))
        await uow.commit()
    async with uow_factory() as uow:
        located = await uow.deliveries.locate(Platform.SLACK, "C0999", "1700000000.000300")
        assert located == LocatedMessage(195, other_channel, item)
        located = await uow.deliveries.locate(Platform.SLACK, "C0123", "1700000000.000300")
        assert located == LocatedMessage(195, SLACK, item)
        assert await uow.deliveries.locate(Platform.SLACK, "C0555", "1700000000.000300") is None
        assert await uow.deliveries.locate(Platform.DISCORD, "C0123", "1700000000.000300") is None


async def test_locate_on_discord_finds_item_messages_inside_section_threads(uow_factory, issue):
    item = item_step(issue)
    thread_id = "900000000000000555"
    async with uow_factory() as uow:
        delivery = await uow.deliveries.begin(195, DISCORD, now=NOW)
        await uow.deliveries.record_posted(delivery, SECTION, PostedMessage(thread_id, thread_id=thread_id))
        await uow.deliveries.record_posted(delivery, item, PostedMessage("900000000000000777"))
        await uow.commit()
    async with uow_factory() as uow:
        # The reaction event names the thread (a channel of its own), not the configured channel.
        located = await uow.deliveries.locate(Platform.DISCORD, thread_id, "900000000000000777")
        assert located == LocatedMessage(195, DISCORD, item)
        located = await uow.deliveries.locate(Platform.DISCORD, DISCORD.id, thread_id)
        assert located == LocatedMessage(195, DISCORD, SECTION)
        assert await uow.deliveries.locate(Platform.DISCORD, thread_id, "123") is None


async def test_item_messages_lists_posted_items_newest_delivery_first(uow_factory, issue):
    async with uow_factory() as uow:
        await uow.issues.save(sample_issue(196), now=NOW)
        older = await uow.deliveries.begin(195, SLACK, now=NOW)
        newer = await uow.deliveries.begin(196, SLACK, now=NOW + timedelta(days=7))
        discord = await uow.deliveries.begin(196, DISCORD, now=NOW + timedelta(days=7))
        await uow.deliveries.record_posted(older, HEADER, PostedMessage("h"))
        await uow.deliveries.record_posted(older, item_step(issue, 0), PostedMessage("a"))
        await uow.deliveries.record_posted(older, item_step(issue, 1), PostedMessage("b"))
        await uow.deliveries.record_posted(newer, item_step(issue, 0), PostedMessage("c"))
        await uow.deliveries.record_attempt(newer, item_step(issue, 1))  # never landed
        await uow.deliveries.record_posted(discord, item_step(issue, 0), PostedMessage("d"))
        await uow.commit()
    async with uow_factory() as uow:
        listed = await uow.deliveries.item_messages(Platform.SLACK)
        assert [(located.issue_number, message_id) for located, message_id in listed] == [
            (196, "c"),
            (195, "a"),
            (195, "b"),
        ]
        assert listed[0][0] == LocatedMessage(196, SLACK, item_step(issue, 0))
        recent = await uow.deliveries.item_messages(Platform.SLACK, since=NOW + timedelta(days=1))
        assert [message_id for _, message_id in recent] == ["c"]
        assert [d.issue_number for d in await uow.deliveries.all()] == [196, 196, 195]
