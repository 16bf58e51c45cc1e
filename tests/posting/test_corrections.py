"""Corrections edited in place (issue 13, part 2): a posted issue ingested again in a changed version."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.model import Issue, Item
from bot.posting.messages import HeaderMessage, ItemMessage, SectionMessage
from bot.posting.poster import Poster, RetryPolicy
from tests.fakes import CHANNEL, FakeClock, FakePlatform, ProcessKilled, posted, small_issue, store


def poster(uow_factory, platform: FakePlatform) -> Poster:
    return Poster(uow_factory, platform, FakeClock(), retry=RetryPolicy(first_delay=0.0))


async def nothing_more_to_send_or_edit(uow_factory, platform: FakePlatform) -> None:
    again = await poster(uow_factory, platform).post(7, CHANNEL)
    assert (again.sent, again.edited) == (0, 0)


def corrected(change) -> Issue:
    issue = small_issue()
    change(issue)
    issue.renumber()
    return issue


def new_blurb(issue: Issue) -> None:
    issue.sections[1].items[0].blurb = "Abstract one, corrected."


def new_link(issue: Issue) -> None:
    issue.sections[1].items[1].url = "https://arxiv.org/abs/2v2"


def added_item(issue: Issue) -> None:
    issue.sections[1].items.append(Item("Paper four", "https://arxiv.org/abs/4", "Late addition."))


def removed_item(issue: Issue) -> None:
    del issue.sections[1].items[2]


def item_shown(platform: FakePlatform, title: str) -> ItemMessage:
    [shown] = [m for m in platform.shown().values() if isinstance(m, ItemMessage) and m.title == title]
    return shown


async def test_a_corrected_blurb_edits_that_item_and_marks_the_header_edited(uow_factory):
    platform = await posted(uow_factory)
    await store(uow_factory, corrected(new_blurb))

    report = await poster(uow_factory, platform).post(7, CHANNEL)

    assert report.complete
    assert (report.sent, report.edited, report.removed) == (0, 2, 0)
    edited = [message for _, message in platform.edits]
    assert isinstance(edited[0], ItemMessage)
    assert edited[0].blurb == "Abstract one, corrected."
    assert isinstance(edited[1], HeaderMessage)
    assert edited[1].edited_at == FakeClock().now()
    assert len(platform.sent) == 8  # nothing sent again

    await nothing_more_to_send_or_edit(uow_factory, platform)


async def test_a_corrected_link_edits_the_item_it_belongs_to_and_keeps_its_key(uow_factory):
    platform = await posted(uow_factory)
    await store(uow_factory, corrected(new_link))

    report = await poster(uow_factory, platform).post(7, CHANNEL)

    assert (report.sent, report.edited) == (0, 2)
    assert item_shown(platform, "Paper two").url == "https://arxiv.org/abs/2v2"


async def test_a_new_item_goes_into_its_sections_thread_and_the_section_count_is_edited(uow_factory):
    platform = await posted(uow_factory)
    papers_thread = platform.sent[4].posted
    await store(uow_factory, corrected(added_item))

    report = await poster(uow_factory, platform).post(7, CHANNEL)

    assert (report.sent, report.edited) == (1, 2)  # the section's count and the header
    new = platform.sent[-1]
    assert isinstance(new.message, ItemMessage)
    assert (new.message.title, new.message.number, new.thread) == ("Paper four", 4, papers_thread)
    section = platform.shown()[papers_thread.message_id]
    assert isinstance(section, SectionMessage)
    assert section.item_count == 4


async def test_a_removed_item_is_edited_to_a_removed_line_never_deleted(uow_factory):
    platform = await posted(uow_factory)
    third = platform.sent[7].posted.message_id
    await store(uow_factory, corrected(removed_item))

    report = await poster(uow_factory, platform).post(7, CHANNEL)

    assert (report.sent, report.edited, report.removed) == (0, 3, 1)
    shown = platform.shown()[third]
    assert isinstance(shown, ItemMessage)
    assert shown.removed
    assert shown.title == ""
    assert len(platform.shown()) == 8  # every message is still there

    await nothing_more_to_send_or_edit(uow_factory, platform)


async def test_a_channel_posted_before_fingerprints_existed_is_not_edited_without_a_change(uow_factory):
    platform = await posted(uow_factory)
    async with uow_factory() as uow:  # as journaled by an earlier release: no fingerprints
        delivery = await uow.deliveries.get(7, CHANNEL)
        assert delivery is not None
        for entry in delivery.messages.values():
            await uow.deliveries.record_posted(delivery, entry.step, entry.posted)
        await uow.commit()

    await nothing_more_to_send_or_edit(uow_factory, platform)


ALL_CHANGES = (new_blurb, new_link, added_item, removed_item)


def every_change(issue: Issue) -> None:
    for change in ALL_CHANGES:
        change(issue)


@pytest.mark.parametrize("crash_at", range(1, 6))
@pytest.mark.parametrize("after_accept", [False, True])
async def test_a_correction_killed_at_any_call_resumes_without_a_second_message_or_a_lost_edit(
    uow_factory, crash_at: int, after_accept: bool
):
    platform = await posted(uow_factory)
    clean = FakePlatform()
    await poster(uow_factory, clean).post(7, replace(CHANNEL, id="C-clean"))
    await store(uow_factory, corrected(every_change))
    await poster(uow_factory, clean).post(7, replace(CHANNEL, id="C-clean"))
    assert clean.calls == 8 + 5  # the correction: one send, four edits (two items, the removed, the header)
    expected = sorted(map(repr, clean.shown().values()))

    platform.calls = 0
    if after_accept:
        platform.crash_after_accept = crash_at
    else:
        platform.crash_at = crash_at
    with pytest.raises(ProcessKilled):
        await poster(uow_factory, platform).post(7, CHANNEL)
    platform.crash_at = platform.crash_after_accept = None
    report = await poster(uow_factory, platform).post(7, CHANNEL)

    assert report.complete
    keys = platform.keys()
    assert len(keys) == len(set(keys)) == 9  # one new item, sent once
    assert sorted(map(repr, platform.shown().values())) == expected
    per_message = [message_id for message_id, _ in platform.edits]
    assert max(per_message.count(m) for m in set(per_message)) <= 2
    await nothing_more_to_send_or_edit(uow_factory, platform)
