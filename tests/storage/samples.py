"""Sample domain objects for the storage tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.model import Channel, Issue, Item, Platform
from tests.fakes import issue_of

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SLACK = Channel("weekly", Platform.SLACK, "C0123", "T0001")
DISCORD = Channel("discord-weekly", Platform.DISCORD, "900000000000000001", "800000000000000001")


def sample_issue(number: int = 195) -> Issue:
    return issue_of(
        f"Deep Learning Weekly #{number}",
        number,
        source="examples/deep-learning-weekly-195.txt",
        published_on=date(2026, 11, 20),
        subtitle="This week in deep learning",
        intro="Hello readers,\nhere is the news.",
        sections={
            "Industry": [
                Item("A new model", "https://Example.com/model/?utm_source=x", "It is big."),
                Item("Sponsored: GPUs", "https://gpus.example/", "Buy them.", sponsored=True),
            ],
            "Research": [
                Item("A paper", "https://arxiv.org/abs/1234.5678", "It is clever."),
                Item("No link here", None, "Just words."),
            ],
            None: [Item("Closing thoughts", None, "")],
        },
    )
