"""The Slack and Discord worlds of the end-to-end tests, shared with the community tests."""

from tests.slack.conftest import slack_world  # noqa: F401
