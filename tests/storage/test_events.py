from datetime import timedelta

from tests.storage.samples import NOW


async def test_an_event_is_new_only_the_first_time(uow_factory):
    async with uow_factory() as uow:
        assert await uow.events.first_time("slack", "Ev1", now=NOW)
        assert not await uow.events.first_time("slack", "Ev1", now=NOW)
        assert await uow.events.first_time("discord", "Ev1", now=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert not await uow.events.first_time("slack", "Ev1", now=NOW)
        assert await uow.events.first_time("slack", "Ev2", now=NOW + timedelta(days=2))


async def test_old_events_can_be_pruned(uow_factory):
    async with uow_factory() as uow:
        await uow.events.first_time("slack", "old", now=NOW)
        await uow.events.first_time("slack", "new", now=NOW + timedelta(days=2))
        assert await uow.events.prune(before=NOW + timedelta(days=1)) == 1
        assert await uow.events.first_time("slack", "old", now=NOW + timedelta(days=2))
        assert not await uow.events.first_time("slack", "new", now=NOW + timedelta(days=2))
