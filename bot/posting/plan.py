"""The plan of a post: its messages in the order they are sent, each named by its delivery step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.model import DeliveryStep, Issue, MessageKind
from bot.posting.messages import OutgoingMessage, header_message, item_message, section_message


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    step: DeliveryStep
    message: OutgoingMessage
    parent: DeliveryStep | None  # the section step whose thread an item goes into


def plan_post(issue: Issue, *, edited_at: datetime | None = None) -> list[PlannedMessage]:
    """The messages of a post, in the order they are sent: header, then each section and its items."""
    header = DeliveryStep(MessageKind.HEADER)
    plan = [PlannedMessage(header, header_message(issue, edited_at=edited_at), None)]
    for section in issue.sections:
        section_step = DeliveryStep(MessageKind.SECTION, section_position=section.position)
        plan.append(PlannedMessage(section_step, section_message(issue, section), None))
        plan.extend(
            PlannedMessage(
                DeliveryStep(MessageKind.ITEM, section_position=section.position, item_key=item.key),
                item_message(issue, section, item),
                section_step,
            )
            for item in section.items
        )
    return plan
