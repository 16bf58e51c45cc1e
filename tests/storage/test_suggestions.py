from datetime import timedelta

import pytest

from bot.model import Platform, Suggestion, SuggestionStatus, Supporter
from tests.storage.samples import NOW


def person(user, minutes=0, platform=Platform.SLACK):
    return Supporter(platform, user, "T0001", "C0123", NOW + timedelta(minutes=minutes))


async def suggest(uow, url, user, minutes=0, note=None):
    return await uow.suggestions.add(
        Suggestion(
            url=url,
            note=note,
            submitted_by=person(user, minutes),
            created_at=NOW + timedelta(minutes=minutes),
        )
    )


async def test_a_suggestion_round_trips_with_its_submitter_as_first_supporter(uow_factory):
    async with uow_factory() as uow:
        stored = await suggest(uow, "https://example.com/a", "U1", note="great read")
        await uow.commit()
    assert stored.id is not None
    assert stored == Suggestion(
        url="https://example.com/a",
        note="great read",
        submitted_by=person("U1"),
        supporters=[person("U1")],
        created_at=NOW,
        id=stored.id,
    )
    async with uow_factory() as uow:
        assert await uow.suggestions.get(stored.id) == stored
        assert await uow.suggestions.by_url("https://example.com/a") == stored
        assert await uow.suggestions.by_url("https://EXAMPLE.com/a/?utm_source=slack") == stored
        assert await uow.suggestions.by_url("https://example.com/b") is None
        assert await uow.suggestions.get(stored.id + 1) is None


async def test_supporters_are_added_once(uow_factory):
    async with uow_factory() as uow:
        stored = await suggest(uow, "https://example.com/a", "U1")
        assert not await uow.suggestions.add_supporter(stored.id, person("U1", 5))
        assert await uow.suggestions.add_supporter(stored.id, person("U2", 5))
        assert await uow.suggestions.add_supporter(stored.id, person("U1", 6, Platform.DISCORD))
        assert not await uow.suggestions.add_supporter(stored.id, person("U2", 7))
        await uow.commit()
    async with uow_factory() as uow:
        again = await uow.suggestions.get(stored.id)
    assert [(s.platform, s.user_id) for s in again.supporters] == [
        (Platform.SLACK, "U1"),
        (Platform.SLACK, "U2"),
        (Platform.DISCORD, "U1"),
    ]


async def test_the_same_link_suggested_twice_adds_a_supporter(uow_factory):
    async with uow_factory() as uow:
        first = await suggest(uow, "https://example.com/a", "U1")
        second = await suggest(uow, "https://example.com/a/?utm_campaign=x", "U2", minutes=3)
        await uow.commit()
    assert second.id == first.id
    assert second.submitted_by == person("U1")
    assert [s.user_id for s in second.supporters] == ["U1", "U2"]


async def test_list_orders_by_support_then_age_and_filters_by_status(uow_factory):
    async with uow_factory() as uow:
        a = await suggest(uow, "https://example.com/a", "U1", minutes=0)
        b = await suggest(uow, "https://example.com/b", "U2", minutes=1)
        c = await suggest(uow, "https://example.com/c", "U3", minutes=2)
        await uow.suggestions.add_supporter(c.id, person("U4", 3))
        await uow.suggestions.add_supporter(c.id, person("U5", 4))
        await uow.suggestions.add_supporter(b.id, person("U6", 5))
        d = await suggest(uow, "https://example.com/d", "U7", minutes=6)
        await uow.commit()
    async with uow_factory() as uow:
        assert [s.id for s in await uow.suggestions.list()] == [c.id, b.id, a.id, d.id]
        await uow.suggestions.set_status(b.id, SuggestionStatus.REJECTED)
        await uow.suggestions.set_status(a.id, SuggestionStatus.FEATURED, featured_in=196)
        await uow.commit()
    async with uow_factory() as uow:
        assert [s.id for s in await uow.suggestions.list(SuggestionStatus.PENDING)] == [c.id, d.id]
        (featured,) = await uow.suggestions.list(SuggestionStatus.FEATURED)
        assert (featured.id, featured.featured_in) == (a.id, 196)
        await uow.suggestions.set_status(a.id, SuggestionStatus.FEATURED)
        assert (await uow.suggestions.get(a.id)).featured_in == 196
        await uow.suggestions.set_status(a.id, SuggestionStatus.APPROVED)
        assert (await uow.suggestions.get(a.id)).featured_in is None
        with pytest.raises(LookupError):
            await uow.suggestions.set_status(9999, SuggestionStatus.APPROVED)
