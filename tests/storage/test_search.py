"""Search over the items of posted issues, on SQLite's FTS5 and PostgreSQL's full-text search alike."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.model import Issue, Item, Platform, Section, Vote
from bot.posting.poster import Poster
from bot.search import query_terms
from tests.examples import chinese_issue
from tests.fakes import CHANNEL, FakeClock, FakePlatform, store
from tests.storage.samples import NOW


def issue(number: int, newsletter: str = "default") -> Issue:
    made = Issue(
        title=f"Weekly #{number}",
        number=number,
        newsletter_id=newsletter,
        sections=[
            Section(
                "Papers",
                items=[
                    Item(
                        "Sparse attention for long documents",
                        "https://example.com/a",
                        "Transformers, faster.",
                    ),
                    Item("A study of optimizers", "https://example.com/b", "Adam against sparse gradients."),
                ],
            ),
            *chinese_issue().sections,
        ],
    )
    made.renumber()
    return made


async def post(uow_factory, number: int, newsletter: str = "default") -> None:
    await Poster(uow_factory, FakePlatform(), FakeClock()).post(number, CHANNEL, newsletter=newsletter)


async def search(uow_factory, query: str, newsletter: str | None = None):
    async with uow_factory() as uow:
        return await uow.search.search(query_terms(query), limit=10, newsletter=newsletter)


async def test_words_in_titles_blurbs_and_sections_are_found_in_posted_issues(uow_factory):
    await store(uow_factory, issue(1), issue(2), now=NOW)
    await post(uow_factory, 1)
    hits = await search(uow_factory, "sparse")
    assert {(h.issue_number, h.title) for h in hits} == {
        (1, "Sparse attention for long documents"),
        (1, "A study of optimizers"),  # in its blurb
    }  # issue 2 was never posted: not searched
    assert hits[0].title == "Sparse attention for long documents"  # in the title, and the blurb is short
    assert [h.section for h in await search(uow_factory, "papers optimizers")] == ["Papers"]
    assert await search(uow_factory, "sparse quantum") == []  # every word must be there


async def test_a_chinese_word_is_found_inside_a_chinese_title(uow_factory):
    await store(uow_factory, issue(1), now=NOW)
    await post(uow_factory, 1)
    assert [h.title for h in await search(uow_factory, "框架学习")] == []  # not in this order in any text
    assert [h.title for h in await search(uow_factory, "框架")] == ["深度学习框架的新版本发布"]
    assert [h.title for h in await search(uow_factory, "学习框架")] == ["深度学习框架的新版本发布"]
    assert [h.title for h in await search(uow_factory, "学习")] == ["深度学习框架的新版本发布"]
    assert {h.title for h in await search(uow_factory, "工具")} == {  # the section's title
        "深度学习框架的新版本发布",
        "自然语言处理入门",
    }
    assert [h.title for h in await search(uow_factory, "分词")] == ["自然语言处理入门"]


async def test_votes_break_ties_and_newsletters_filter(uow_factory):
    await store(uow_factory, issue(1), issue(1, newsletter="other"), now=NOW)
    await post(uow_factory, 1)
    await post(uow_factory, 1, newsletter="other")
    async with uow_factory() as uow:
        key = issue(1).items[3].key
        for user in ("U1", "U2"):
            await uow.votes.add(
                Vote(1, key, Platform.SLACK, user, "+1", "C1", newsletter_id="other"), now=NOW
            )
        await uow.commit()
    hits = await search(uow_factory, "自然语言")
    assert [(h.newsletter_id, h.votes) for h in hits] == [("other", 2), ("default", 0)]
    assert [h.newsletter_id for h in await search(uow_factory, "自然语言", newsletter="default")] == [
        "default"
    ]


async def test_a_corrected_issue_is_searched_as_corrected(uow_factory):
    await store(uow_factory, issue(1), now=NOW)
    await post(uow_factory, 1)
    corrected = issue(1)
    corrected.sections[0].items[0] = Item("Dense attention", "https://example.com/a", "Corrected.")
    corrected.sections[0].items.pop(1)
    corrected.renumber()
    await store(uow_factory, corrected, now=NOW)
    assert await search(uow_factory, "sparse") == []
    assert [h.title for h in await search(uow_factory, "dense")] == ["Dense attention"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.text(max_size=60) | st.sampled_from(['"', "*", "NEAR(a b)", "a:b", "&|!", "OR", "(", "'", "\\"])
)
async def test_any_query_text_is_words_never_syntax(uow_factory, query):
    await store(uow_factory, issue(1), now=NOW)
    await post(uow_factory, 1)
    hits = await search(uow_factory, query + " sparse")
    assert all(h.issue_number == 1 for h in hits)
