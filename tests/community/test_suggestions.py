import pytest

from bot.community.suggestions import Actor, SuggestionService, split_suggest_text
from bot.model import Platform, SuggestionStatus
from tests.fakes import FakeClock, small_issue, store

ALICE = Actor(Platform.SLACK, "U1", workspace_id="T1", channel_id="C1")
BOB = Actor(Platform.DISCORD, "42", workspace_id="G1", channel_id="D1")


async def all_suggestions(uow_factory):
    async with uow_factory() as uow:
        return await uow.suggestions.list()


async def test_a_suggestion_is_stored_canonical_with_who_and_where(uow_factory):
    service = SuggestionService(uow_factory, FakeClock())
    reply = await service.suggest(ALICE, "HTTPS://Example.com/post/?utm_source=x#top", "Worth a read")
    assert reply.ok
    assert reply.ephemeral
    [stored] = await all_suggestions(uow_factory)
    assert stored.url == "https://example.com/post"
    assert stored.note == "Worth a read"
    assert stored.status is SuggestionStatus.PENDING
    assert (stored.submitted_by.platform, stored.submitted_by.user_id) == (Platform.SLACK, "U1")
    assert (stored.submitted_by.workspace_id, stored.submitted_by.channel_id) == ("T1", "C1")


async def test_the_same_link_from_someone_else_adds_a_supporter(uow_factory):
    service = SuggestionService(uow_factory, FakeClock())
    await service.suggest(ALICE, "https://example.com/a", None)
    reply = await service.suggest(BOB, "https://EXAMPLE.com/a/?fbclid=1", "me too")
    assert reply.ok
    assert "supporter number 2" in reply.text
    again = await service.suggest(BOB, "https://example.com/a", None)
    assert "already suggested" in again.text
    [stored] = await all_suggestions(uow_factory)
    assert len(stored.supporters) == 2


async def test_a_link_already_featured_is_answered_with_its_issue(uow_factory):
    await store(uow_factory, small_issue(7))
    reply = await SuggestionService(uow_factory, FakeClock()).suggest(ALICE, "https://arxiv.org/abs/1/", None)
    assert not reply.ok
    assert "already featured in #7" in reply.text
    assert await all_suggestions(uow_factory) == []


@pytest.mark.parametrize(
    ("link", "note", "expected"),
    [
        ("", None, "Usage: /suggest"),
        ("ftp://example.com/file", None, "only http:// and https://"),
        ("not a link", None, "only http:// and https://"),
        ("javascript:alert(1)", None, "only http:// and https://"),
        ("https://example.com/x", "n" * 501, "keep it to 500"),
        ("https://example.com/" + "a" * 2100, None, "longer than 2000"),
    ],
)
async def test_bad_suggestions_get_a_clear_answer_and_nothing_is_stored(uow_factory, link, note, expected):
    reply = await SuggestionService(uow_factory, FakeClock()).suggest(ALICE, link, note)
    assert not reply.ok
    assert reply.ephemeral
    assert expected in reply.text
    assert await all_suggestions(uow_factory) == []


def test_slack_text_is_split_into_link_and_note():
    assert split_suggest_text("https://x.y/z  a fine note ") == ("https://x.y/z", "a fine note")
    assert split_suggest_text("<https://x.y/z|x.y/z> note") == ("https://x.y/z", "note")
    assert split_suggest_text("<https://x.y/z>") == ("https://x.y/z", None)
    assert split_suggest_text("   ") == ("", None)
