"""The Slack and Discord worlds of the end-to-end tests, shared with the community tests. In one test both
use the same SQLite file (``tmp_path / "bot.db"``), so a Slack and a Discord bot share the database."""

from tests.discord.conftest import discord_world, restore_discord_globals  # noqa: F401
from tests.slack.conftest import slack_world  # noqa: F401
