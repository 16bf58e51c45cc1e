"""Socket Mode: the same listeners, reached over the emulator's WebSocket instead of HTTP."""

from pathlib import Path

from adapters.bootstrap import bootstrap
from adapters.slack.app import SlackRuntime
from bot.config import parse_config
from tests.emulators.slack_emulator import SlackEmulator
from tests.slack.conftest import SlackWorld, eventually, slack_config


async def _replied(emu: SlackEmulator, trigger_id: str) -> bool:
    return any(r.body.get("text") for r in emu.responses_for(trigger_id))


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

            command, ack = await emu.push_socket_command("/suggest", "https://example.com/socket A note")
            assert not isinstance(ack, str)  # acknowledged
            # The reply rides in the ack when it is ready within 0.1 s, else it goes to response_url.
            await eventually(lambda: _replied(emu, command.trigger_id))
            [reply] = [r.body for r in emu.responses_for(command.trigger_id) if r.body.get("text")]
            assert "suggested for the next issue" in reply["text"]

            assert await app.votes.drain()
            scores = await world.scores()
            lyra_score = next(s.score for t, s in scores.items() if t.startswith("Google Open-Sources Lyra"))
            assert lyra_score == 2  # one fire, counted once despite the retry
            [suggestion] = await app.suggestions.all()
            assert suggestion.url == "https://example.com/socket"
        finally:
            await runtime.stop()
            await app.aclose()
