"""Slack: the bolt app and its listeners, the platform over the Web API, Block Kit rendering."""
