"""Vote counts kept by the database, and the leaderboards built from them."""

from __future__ import annotations

from datetime import date, timedelta

from bot.community.leaderboard import issue_leaderboard, leaderboard
from bot.community.votes import tally
from bot.config import VotesConfig
from bot.model import Platform, Suggestion, SuggestionStatus, Supporter, Vote
from tests.fakes import FakeClock, small_issue, store

POLICY = VotesConfig(emoji={"thumbsup": 1, "fire": 2})
NOW = FakeClock().now()


def key_of(issue, title):
    return next(item.key for item in issue.items if item.title == title)


async def cast(uow_factory, issue, votes, *, remove=()):
    async with uow_factory() as uow:
        for title, platform, user, emoji in votes:
            await uow.votes.add(Vote(issue.number, key_of(issue, title), platform, user, emoji, "C"), now=NOW)
        for title, platform, user, emoji in remove:
            await uow.votes.remove(Vote(issue.number, key_of(issue, title), platform, user, emoji), now=NOW)
        await uow.commit()


async def test_counts_follow_every_vote_and_match_the_votes_themselves(uow_factory):
    issue = small_issue()
    await store(uow_factory, issue, now=NOW)
    await cast(
        uow_factory,
        issue,
        [
            ("Lead story", Platform.SLACK, "U1", "fire"),
            ("Lead story", Platform.SLACK, "U1", "fire"),  # the same vote again counts once
            ("Lead story", Platform.DISCORD, "1", "fire"),
            ("Lead story", Platform.DISCORD, "2", "thumbsup"),
            ("Paper one", Platform.SLACK, "U2", "thumbsup"),
            ("Paper one", Platform.SLACK, "U3", "thumbsup"),
            ("Sponsor", Platform.SLACK, "U4", "fire"),
        ],
        remove=[("Paper one", Platform.SLACK, "U3", "thumbsup"), ("Paper two", Platform.SLACK, "U9", "fire")],
    )
    board = await issue_leaderboard(uow_factory, POLICY, 7)
    assert board is not None
    assert [(s.title, s.score) for s in board.overall[:2]] == [("Lead story", 5), ("Paper one", 1)]
    lead = board.overall[0]
    assert dict(lead.by_platform) == {"slack": 1, "discord": 2}
    assert dict(lead.reactions) == {"fire": 2, "thumbsup": 1}
    assert "Sponsor" not in [s.title for s in board.overall]  # shown elsewhere, never ranked by default
    assert [s.title for s in board.by_section["Papers"]] == ["Paper one", "Paper two", "Paper three"]

    async with uow_factory() as uow:
        votes = await uow.votes.for_issue(7)
        counted = await uow.votes.counts(7)
        assert sum(c.count for c in counted) == len(votes)
        await uow.votes.rebuild_counts()
        assert sorted(await uow.votes.counts(7), key=str) == sorted(counted, key=str)
    by_votes = {s.key: s.score for s in tally(issue, votes, POLICY)}
    assert all(by_votes[s.key] == s.score for s in board.overall)

    sponsored = await issue_leaderboard(uow_factory, VotesConfig(emoji=POLICY.emoji, count_sponsored=True), 7)
    assert sponsored is not None
    assert "Sponsor" in [s.title for s in sponsored.overall]


async def test_counts_go_with_an_item_removed_on_reingestion(uow_factory):
    issue = small_issue()
    await store(uow_factory, issue, now=NOW)
    await cast(uow_factory, issue, [("Paper three", Platform.SLACK, "U1", "fire")])
    shorter = small_issue()
    shorter.sections[1].items.pop()
    shorter.renumber()
    await store(uow_factory, shorter, now=NOW)
    async with uow_factory() as uow:
        assert await uow.votes.counts(7) == []


async def test_all_time_and_period_leaderboards_with_suggesters(uow_factory):
    old, new = small_issue(7), small_issue(8)
    old.published_on, new.published_on = date(2026, 1, 5), date(2026, 11, 2)
    new.sections[0].items[0].url = "https://example.com/suggested"
    new.sections[0].items[0].key = ""
    new.sections[0].items[0].__post_init__()
    async with uow_factory() as uow:
        await uow.issues.save(old, now=NOW)
        await uow.issues.save(new, now=NOW)
        suggestion = await uow.suggestions.add(
            Suggestion("https://example.com/suggested", None, Supporter(Platform.DISCORD, "42", at=NOW))
        )
        assert suggestion.id is not None
        await uow.suggestions.set_status(suggestion.id, SuggestionStatus.FEATURED, featured_in=8)
        await uow.commit()
    await cast(uow_factory, old, [("Paper one", Platform.SLACK, f"U{n}", "fire") for n in range(3)])
    await cast(uow_factory, new, [("Lead story", Platform.DISCORD, f"{n}", "thumbsup") for n in range(4)])

    everything = await leaderboard(uow_factory, POLICY)
    assert [(s.issue_number, s.title, s.score) for s in everything.items] == [
        (7, "Paper one", 6),
        (8, "Lead story", 4),
    ]
    [person] = everything.suggesters
    assert (person.platform, person.user_id, person.featured, person.score) == ("discord", "42", 1, 4)

    recent = await leaderboard(uow_factory, POLICY, since=date(2026, 6, 1))
    assert [s.issue_number for s in recent.items] == [8]
    assert (await leaderboard(uow_factory, POLICY, since=NOW.date() + timedelta(days=1))).suggesters == []
