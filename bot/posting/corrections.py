"""Corrections edited in place: a posted issue that was ingested again in a changed version.

The journal keeps each posted message's fingerprint (what it shows). Posting the issue again compares the
plan of the corrected version with it: a changed item, section or header is edited where it is, a new
item goes into its section's thread (sent like any unsent step), and an item no longer in the issue is
edited to a short "removed" line, never deleted, so the reactions on it stay. Each edit is journaled
before and after its call, like a send; an edit interrupted between the platform's acceptance and the
journal is sent again with the same content, which changes nothing people see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.model import Delivery, DeliveryStep, MessageKind, PostedMessage
from bot.posting.messages import OutgoingMessage, fingerprint, header_message, removed_item_message

if TYPE_CHECKING:
    from bot.model import Issue
    from bot.posting.plan import PlannedMessage


@dataclass(frozen=True, slots=True)
class Correction:
    step: DeliveryStep
    posted: PostedMessage
    message: OutgoingMessage
    removed: bool = False


def _shows(delivery: Delivery, step: DeliveryStep, message: OutgoingMessage) -> bool:
    """Whether the posted message of ``step`` already shows ``message``. A message journaled before
    fingerprints existed is taken to show the issue as stored."""
    entry = delivery.messages[step.key]
    shown = entry.fingerprint
    return (shown is None and entry.edit_pending is None) or shown == fingerprint(message)


def plan_corrections(delivery: Delivery, plan: Sequence[PlannedMessage]) -> list[Correction]:
    """The edits that make a delivery's posted messages show ``plan``: changed sections and items, then
    removed items. The header is left to :func:`header_correction`."""
    planned_keys = {p.step.key for p in plan}
    corrections = []
    for planned in plan:
        posted = delivery.posted(planned.step)
        if planned.step.kind is MessageKind.HEADER or posted is None:
            continue
        if not _shows(delivery, planned.step, planned.message):
            corrections.append(Correction(planned.step, posted, planned.message))
    for key, entry in delivery.messages.items():
        if key in planned_keys or entry.posted is None or entry.step.kind is not MessageKind.ITEM:
            continue
        assert entry.step.item_key is not None
        removed = removed_item_message(delivery.issue_number, entry.step.item_key)
        if entry.fingerprint != fingerprint(removed):
            corrections.append(Correction(entry.step, entry.posted, removed, removed=True))
    return corrections


def unsent(delivery: Delivery, plan: Sequence[PlannedMessage]) -> int:
    return sum(1 for p in plan if delivery.posted(p.step) is None)


def header_correction(
    delivery: Delivery, issue: Issue, plan: Sequence[PlannedMessage], *, edited_at: datetime | None
) -> Correction | None:
    """The header's edit, when it does not show the issue as corrected at ``edited_at``."""
    header = plan[0]
    posted = delivery.posted(header.step)
    if posted is None:
        return None
    message = header_message(issue, edited_at=edited_at)
    entry = delivery.messages[header.step.key]
    if entry.fingerprint == fingerprint(message):
        return None
    if entry.fingerprint is None and edited_at == delivery.edited_at:
        return None  # journaled before fingerprints, and nothing was corrected since
    return Correction(header.step, posted, message)
