"""Where an item message lives on Discord: the thread of its section, found in the delivery journal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.model import Channel, DeliveryStep, MessageKind, Platform
from bot.ports import UnitOfWorkFactory

# Where an item message lives: (configured channel, message id) -> the thread (channel) id holding it.
ThreadLookup = Callable[[Channel, str], Awaitable[str | None]]


def journal_thread_lookup(uow_factory: UnitOfWorkFactory) -> ThreadLookup:
    """Find an item message's thread in the delivery journal: its section's thread id."""

    async def lookup(channel: Channel, message_id: str) -> str | None:
        async with uow_factory() as uow:
            located = await uow.deliveries.locate(Platform.DISCORD, channel.id, message_id)
            if located is None or located.step.kind is not MessageKind.ITEM:
                return None
            delivery = await uow.deliveries.get(located.issue_number, located.channel)
        if delivery is None:
            return None
        section = delivery.posted(
            DeliveryStep(MessageKind.SECTION, section_position=located.step.section_position)
        )
        if section is None:
            return None
        return section.thread_id or section.message_id

    return lookup
