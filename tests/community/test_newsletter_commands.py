"""/digest and /suggest with several newsletters, through the code path Slack and Discord share: the
newsletter named in the command, else the channel's; an unknown or missing one gets a clear reply and
nothing is stored."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.community.commands import DigestCommands
from bot.community.newsletters import NewsletterDirectory
from bot.community.results import ResultsOutcome, post_weekly_results
from bot.community.suggestions import Actor, SuggestionService, take_for_option
from bot.community.triage import TriageService
from bot.community.votes import VoteService
from bot.config import VotesConfig, parse_config
from bot.model import Platform, PostedMessage, Vote
from bot.posting.poster import Poster
from tests.fakes import CHANNEL, FakeClock, FakePlatform, small_issue, store

CONFIG = parse_config(
    {
        "newsletters": [
            {"id": "dlw", "name": "Deep Learning Weekly", "emoji": "🧠"},
            {"id": "rust", "name": "Rust Weekly"},
        ],
        "channels": [
            {"name": "ml", "platform": "slack", "id": "C1", "newsletters": [{"id": "dlw"}]},
            {"name": "all", "platform": "discord", "id": "D2", "guild": "G1"},
        ],
    }
)
DIRECTORY = NewsletterDirectory.from_config(CONFIG)
IN_ML = Actor(Platform.SLACK, "U1", channel_id="C1")
IN_ALL = Actor(Platform.DISCORD, "42", channel_id="D2", is_admin=True)


def issue(newsletter: str, number: int, title: str):
    made = small_issue(number)
    made.title, made.newsletter_id = title, newsletter
    made.sections[0].items[0].title = f"{title} lead"
    return made


async def test_digest_top_takes_a_newsletter_id_and_defaults_to_the_channels(uow_factory):
    await store(uow_factory, issue("dlw", 195, "DLW 195"), issue("rust", 195, "Rust 195"))
    async with uow_factory() as uow:
        for newsletter, key in (("dlw", 0), ("rust", 0)):
            stored = await uow.issues.get(195, newsletter=newsletter)
            vote = Vote(195, stored.items[key].key, Platform.SLACK, "U1", "fire", "C1", newsletter)
            await uow.votes.add(vote, now=FakeClock().now())
        await uow.commit()
    clock = FakeClock()
    commands = DigestCommands(
        uow_factory,
        VoteService(uow_factory, clock, VotesConfig()),
        SuggestionService(uow_factory, clock, newsletters=DIRECTORY),
        newsletters=DIRECTORY,
    )

    rust_top = await commands.run(IN_ALL, "top rust")
    assert rust_top.ok, rust_top.text
    assert rust_top.text.startswith("Top items of issue rust #195:\n1. Rust 195 lead — 1 (fire×1)")
    assert "DLW" not in rust_top.text
    in_ml = await commands.run(IN_ML, "top")  # the channel gets dlw only
    assert in_ml.text.startswith("🧠 Top items of issue dlw #195:\n1. DLW 195 lead — 1")
    assert (await commands.run(IN_ALL, "top 195 dlw")).text.startswith("🧠 Top items of issue dlw #195:")

    ambiguous = await commands.run(IN_ALL, "top")
    assert not ambiguous.ok
    assert ambiguous.text == "Several newsletters here: say which, for example /digest top ID (dlw, rust)."
    unknown = await commands.run(IN_ALL, "top dwl")
    assert not unknown.ok
    assert unknown.text == "There is no newsletter 'dwl'. Newsletters: dlw, rust."
    assert not (await commands.run(IN_ALL, "top rust dlw")).ok
    assert (await commands.run(IN_ALL, "top rust 7")).text == "There is no issue rust #7."


async def all_suggestions(uow_factory):
    async with uow_factory() as uow:
        return await uow.suggestions.list()


async def test_suggest_names_its_newsletter_by_channel_or_with_for(uow_factory):
    service = SuggestionService(uow_factory, FakeClock(), newsletters=DIRECTORY)
    link = "https://example.com/post"
    in_ml = await service.suggest_text(IN_ML, f"{link} a fine read")
    assert in_ml.text == f"Thanks! {link} is suggested for the next issue of Deep Learning Weekly."
    for_rust = await service.suggest_text(IN_ML, f"--for rust {link} for the crabs")
    assert for_rust.text == f"Thanks! {link} is suggested for the next issue of Rust Weekly."
    on_discord = await service.suggest(IN_ALL, link, None, newsletter="rust")  # the /suggest for: option
    assert on_discord.text == f"Someone suggested {link} already; you are its supporter number 2."
    stored = {(s.newsletter_id, s.note, len(s.supporters)) for s in await all_suggestions(uow_factory)}
    assert stored == {("dlw", "a fine read", 1), ("rust", "for the crabs", 2)}

    unknown = await service.suggest_text(IN_ML, "--for=rustt https://example.com/other")
    assert not unknown.ok
    assert unknown.text == "There is no newsletter 'rustt'. Newsletters: dlw, rust. Nothing was saved."
    which = await service.suggest(IN_ALL, "https://example.com/other", None)
    assert not which.ok
    assert "say which, for example /suggest --for ID <link> (dlw, rust). Nothing was saved." in which.text
    assert len(await all_suggestions(uow_factory)) == 2

    rust = issue("rust", 9, "Rust 9")
    rust.sections[1].title = "Crate of the Week"
    await store(uow_factory, rust)
    cards = (await TriageService(uow_factory, FakeClock()).pending_reply(IN_ALL)).cards
    by_newsletter = {("for rust" in card.text): card.sections for card in cards}
    assert by_newsletter[True] == ("Top stories", "Crate of the Week")  # rust's latest issue's sections
    assert by_newsletter[False] == ()  # dlw has no issue yet


@given(st.text(max_size=60), st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True))
def test_a_for_option_is_taken_off_whatever_follows_it(rest, newsletter):
    given_id, remainder = take_for_option(f"--for {newsletter} {rest}")
    assert given_id == newsletter
    assert remainder == rest.lstrip()
    assert take_for_option(f"--for={newsletter} {rest}") == (newsletter, rest.lstrip())
    if not rest.lstrip().startswith("--for"):
        assert take_for_option(rest) == (None, rest)


class ResultsInMemory:
    """A platform that takes the weekly-results message (text and chart) and keeps it."""

    platform = Platform.SLACK

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_results(self, channel, text, *, image, filename, title):
        self.sent.append((title, filename))
        return PostedMessage(f"r{len(self.sent)}")


async def test_weekly_results_come_from_the_same_newsletters_previous_issue(uow_factory):
    clock = FakeClock()
    for newsletter in ("dlw", "rust"):
        await store(uow_factory, issue(newsletter, 194, f"{newsletter} 194"), issue(newsletter, 195, "x"))
    platform = FakePlatform()
    poster = Poster(uow_factory, platform, clock)
    await poster.post(194, CHANNEL, newsletter="dlw")  # only dlw's #194 went to this channel
    async with uow_factory() as uow:
        lead = (await uow.issues.get(194, newsletter="dlw")).items[0].key
        await uow.votes.add(Vote(194, lead, Platform.SLACK, "U1", "fire", CHANNEL.id, "dlw"), now=clock.now())
        await uow.commit()
    sender = ResultsInMemory()

    async def results_before(newsletter):
        return await post_weekly_results(
            uow_factory, sender, CHANNEL, VotesConfig(), before_issue=195, clock=clock, draw_chart=None,
            newsletter=newsletter,
        )  # fmt: skip

    rust = await results_before("rust")
    assert rust.outcome is ResultsOutcome.NO_PREVIOUS_ISSUE  # rust's #194 was never posted here
    dlw = await results_before("dlw")
    assert (dlw.outcome, dlw.results_of) == (ResultsOutcome.POSTED, 194)
    assert sender.sent == [("Top 1 of issue dlw #194", "digestbot-top-dlw-194.png")]
    assert (await results_before("dlw")).outcome is ResultsOutcome.ALREADY_POSTED
