"""A database filled before there were several newsletters keeps everything through migration 0008.

The database is built at revision 0006 and filled with raw SQL in the previous schema (an issue posted to
a channel, votes, a suggestion, a scheduled run, a delivery claim and a results post), then upgraded; what
the old rows meant must still hold for the default newsletter, and posting again must send nothing.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.model import DEFAULT_NEWSLETTER, Channel, DeliveryState, Issue, Item, Platform, Section
from bot.ports import ResultsSlot
from bot.posting.plan import plan_post
from bot.posting.poster import Poster
from storage.database import create_engine, create_sync_engine, upgrade
from storage.unit_of_work import make_uow_factory
from tests.fakes import CHANNEL, FakeClock, FakePlatform, small_issue

BEFORE = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def fill_previous_schema(url: str, issue: Issue) -> None:
    engine = create_sync_engine(url)
    with engine.begin() as sql:

        def insert(table: str, **row: object) -> int:
            columns = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            returned = sql.execute(
                text(f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id"), row
            )
            return int(returned.scalar_one())

        def insert_plain(table: str, **row: object) -> None:
            columns = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            sql.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)

        issue_id = insert(
            "issues", number=issue.number, title=issue.title, subtitle=issue.subtitle, intro=issue.intro,
            source="feed", ingested_at=BEFORE, updated_at=BEFORE,
        )  # fmt: skip
        item_ids = {}
        for section in issue.sections:
            section_id = insert("sections", issue_id=issue_id, position=section.position, title=section.title)
            for item in section.items:
                item_ids[item.key] = insert(
                    "items", issue_id=issue_id, section_id=section_id, position=item.position, key=item.key,
                    title=item.title, url=item.url, canonical_url=item.url, blurb=item.blurb,
                    sponsored=item.sponsored,
                )  # fmt: skip
        delivery_id = insert(
            "deliveries", issue_id=issue_id, channel_name=CHANNEL.name, platform=CHANNEL.platform.value,
            channel_id=CHANNEL.id, state="complete", started_at=BEFORE, completed_at=BEFORE,
        )  # fmt: skip
        for n, planned in enumerate(plan_post(issue), start=1):
            step = planned.step
            insert(
                "delivered_messages", delivery_id=delivery_id, platform=CHANNEL.platform.value,
                channel_id=CHANNEL.id, step_key=step.key, kind=step.kind.value,
                section_position=step.section_position, item_key=step.item_key, message_id=f"old{n}",
                thread_id=None, attempts=1,
            )  # fmt: skip
        lead = issue.items[0].key
        for user in ("U1", "U2"):
            insert(
                "votes", item_id=item_ids[lead], platform="slack", user_id=user, emoji="fire",
                channel_id=CHANNEL.id, created_at=BEFORE, active=True, changed_at=BEFORE,
            )  # fmt: skip
        insert_plain("vote_counts", item_id=item_ids[lead], platform="slack", emoji="fire", count=2)
        suggestion_id = insert(
            "suggestions", url="https://example.org/a", canonical_url="https://example.org/a", note="good",
            status="pending", created_at=BEFORE, submitter_platform="slack", submitter_user_id="U1",
        )  # fmt: skip
        insert(
            "suggestion_supporters", suggestion_id=suggestion_id, platform="slack", user_id="U1", at=BEFORE
        )
        insert(
            "schedule_runs", channel_name=CHANNEL.name, platform="slack", channel_id=CHANNEL.id,
            due_at=BEFORE, state="done", issue_number=issue.number, attempts=1, created_at=BEFORE,
        )  # fmt: skip
        insert_plain(
            "delivery_claims", issue_number=issue.number, platform="slack", channel_id=CHANNEL.id,
            owner="old-replica", lease_until=BEFORE, claimed_at=BEFORE,
        )  # fmt: skip
        insert_plain(
            "results_posts", platform="slack", channel_id=CHANNEL.id, issue_number=issue.number,
            results_of=issue.number - 1, message_id="r1", claimed_at=BEFORE,
        )  # fmt: skip
    engine.dispose()


async def test_an_upgraded_database_keeps_everything_as_the_default_newsletter(database_url):
    issue = small_issue()
    await upgrade(database_url, "0006")
    fill_previous_schema(database_url, issue)

    await upgrade(database_url)

    engine = create_engine(database_url)
    uow_factory = make_uow_factory(engine)
    try:
        async with uow_factory() as uow:
            stored = await uow.issues.get(7)
            assert stored is not None
            assert stored.newsletter_id == DEFAULT_NEWSLETTER
            assert [item.key for item in stored.items] == [item.key for item in issue.items]
            delivery = await uow.deliveries.get(7, CHANNEL)
            assert delivery is not None
            assert delivery.state is DeliveryState.COMPLETE
            assert len(delivery.messages) == len(plan_post(issue))
            counts = await uow.votes.counts(7)
            assert [(c.item_key, c.emoji, c.count) for c in counts] == [(issue.items[0].key, "fire", 2)]
            assert len(await uow.votes.for_issue(7)) == 2
            [suggestion] = await uow.suggestions.list()
            assert (suggestion.url, suggestion.newsletter_id) == ("https://example.org/a", DEFAULT_NEWSLETTER)
            assert [s.user_id for s in suggestion.supporters] == ["U1"]
            [run] = await uow.scheduling.runs()
            assert (run.issue_number, run.newsletter_id) == (7, DEFAULT_NEWSLETTER)
            # The results of #7 went out before the upgrade: they are not sent again.
            assert not await uow.results.claim(ResultsSlot(Platform.SLACK, CHANNEL.id, 7), 6, now=BEFORE)
            # The old replica's lease on #7 still holds #7 until it runs out.
            early = BEFORE - timedelta(minutes=1)
            claim = await uow.scheduling.claim_delivery(7, CHANNEL, "new", now=early, lease_until=BEFORE)
            assert claim.owner == "old-replica"

        platform = FakePlatform()
        report = await Poster(uow_factory, platform, FakeClock()).post(7, CHANNEL)
        assert report.complete
        assert platform.sent == []
        assert platform.edits == []
    finally:
        await engine.dispose()


async def test_a_second_newsletter_reuses_the_numbers_of_the_first(uow_factory):
    other = Issue("Rust Weekly #7", number=7, newsletter_id="rustweekly", sections=[Section("News")])
    other.sections[0].items.append(Item("Rust 2.0", "https://example.com/rust"))
    other.renumber()
    async with uow_factory() as uow:
        await uow.issues.save(small_issue(), now=BEFORE)
        saved = await uow.issues.save(other, now=BEFORE)
        await uow.commit()
    assert saved.created
    async with uow_factory() as uow:
        default = await uow.issues.get(7)
        rust = await uow.issues.get(7, newsletter="rustweekly")
        assert default is not None
        assert rust is not None
        assert (default.title, rust.title) == ("Test Weekly #7", "Rust Weekly #7")
        assert await uow.issues.latest_number(newsletter="nope") is None
        summaries = await uow.issues.summaries()
        assert sorted((s.newsletter_id, s.number) for s in summaries) == [("default", 7), ("rustweekly", 7)]

    channel = Channel("rust", Platform.SLACK, "C9")
    platform = FakePlatform()
    poster = Poster(uow_factory, platform, FakeClock())
    await poster.post(7, channel, newsletter="rustweekly")
    await poster.post(7, channel)
    keys = platform.keys()
    assert "digestbot:rustweekly/7:slack:C9:header" in keys
    assert "digestbot:7:slack:C9:header" in keys  # the default newsletter's keys are as before
    async with uow_factory() as uow:
        rust_delivery = await uow.deliveries.get(7, channel, newsletter="rustweekly")
        assert rust_delivery is not None
        assert rust_delivery.newsletter_id == "rustweekly"
        assert len(rust_delivery.messages) == 3
