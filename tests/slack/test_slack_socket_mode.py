"""Socket Mode: the same listeners, reached over the emulator's WebSocket instead of HTTP."""

from pathlib import Path

from adapters.bootstrap import bootstrap
from adapters.slack.app import SlackRuntime
from bot.config import parse_config
from tests.emulators.slack_emulator import SlackEmulator
from tests.slack.conftest import SlackWorld, slack_config


async def test_socket_mode_counts_votes_and_answers_suggest(tmp_path: Path):
    async with SlackEmulator(post_rate_per_second=None) as emu:
        channel = emu.add_channel("newsletter")
        config = parse_config(
            slack_config(emu, f"sqlite:///{tmp_path / 'bot.db'}", channel, app_token=emu.app_token), {}
        )
        app = await bootstrap(config)
        runtime = SlackRuntime(app)
        await runtime.start()
        try:
            assert runtime.socket_mode
            assert runtime.port is None
            world = SlackWorld(emu, app, runtime, channel)
            await world.post_example()
            await emu.wait_for_socket_connection(1)
            lyra = world.item_ts("Lyra")
            vote = emu.reaction_added_event(channel, lyra, emu.default_user_id, "fire")
            delivery = await emu.push_socket_event(vote)
            assert delivery.ack is not None
            retry = await emu.push_socket_event(vote, event_id=delivery.event_id, retry_attempt=1)
            assert retry.ack is not None

            _, ack = await emu.push_socket_command("/suggest", "https://example.com/socket A note")
            assert ack.payload is not None
            assert "suggested for the next issue" in ack.payload["text"]

            assert await app.votes.drain()
            scores = await world.scores()
            lyra_score = next(s.score for t, s in scores.items() if t.startswith("Google Open-Sources Lyra"))
            assert lyra_score == 2  # one fire, counted once despite the retry
            [suggestion] = await app.suggestions.all()
            assert suggestion.url == "https://example.com/socket"
        finally:
            await runtime.stop()
            await app.aclose()
