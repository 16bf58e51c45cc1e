"""Channel filters: what a channel takes of an issue (issue 13, part 4)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from adapters.cli import cli
from bot.config import parse_config
from bot.model import Channel, ChannelFilter, DeliveryState, Issue, Item, Platform
from bot.posting.filters import apply_filter
from bot.posting.poster import Poster, post_to_channels
from tests.examples import EXAMPLE
from tests.fakes import FakeClock, FakePlatform, issue_of, store


def issue() -> Issue:
    return issue_of(
        "Weekly",
        9,
        sections={
            "Research Papers": [
                Item("Transformers said to scale", "https://a.example/1", "A study of scaling."),
                Item("Diffusion for audio", "https://a.example/2", "Said to beat the AI baselines."),
            ],
            "Jobs & Events": [Item("Hiring: ML engineer", "https://b.example/1", "", sponsored=True)],
            "中文精选": [
                Item("深度学习周报第一期", "https://c.example/1", "AI芯片的新进展"),
                Item("开源模型合集", "https://c.example/2", ""),
            ],
        },
    )


def titles(result: Issue) -> list[str]:
    return [item.title for item in result.items]


def test_no_filter_keeps_the_issue_as_it_is() -> None:
    original = issue()
    result = apply_filter(original, ChannelFilter())
    assert result.issue is original
    assert result.describe() == ""


@pytest.mark.parametrize(
    ("rules", "kept"),
    [
        (
            ChannelFilter(include_sections=("research*",)),
            ["Transformers said to scale", "Diffusion for audio"],
        ),
        (ChannelFilter(include_sections=("JOBS & EVENTS",)), ["Hiring: ML engineer"]),
        (
            ChannelFilter(exclude_sections=("Research Papers", "jobs*")),
            ["深度学习周报第一期", "开源模型合集"],
        ),
        (ChannelFilter(include_sections=("Research",)), []),  # a whole title, not a part of it
    ],
)
def test_sections_are_matched_by_whole_title_in_any_case_with_wildcards(
    rules: ChannelFilter, kept: list[str]
) -> None:
    assert titles(apply_filter(issue(), rules).issue) == kept


def test_a_keyword_is_a_whole_word_in_latin_text_and_found_inside_cjk_text() -> None:
    ai = apply_filter(issue(), ChannelFilter(include_keywords=("ai",))).issue
    assert titles(ai) == ["Diffusion for audio", "深度学习周报第一期"]  # not "said", but "AI芯片"
    cjk = apply_filter(issue(), ChannelFilter(include_keywords=("学习",))).issue
    assert titles(cjk) == ["深度学习周报第一期"]
    excluded = apply_filter(issue(), ChannelFilter(exclude_keywords=("scale", "开源"))).issue
    # "scaling" is another word than "scale"
    assert titles(excluded) == ["Diffusion for audio", "Hiring: ML engineer", "深度学习周报第一期"]


def test_sponsored_items_can_be_left_out_and_empty_sections_go_with_them() -> None:
    result = apply_filter(issue(), ChannelFilter(sponsored=False))
    assert [s.title for s in result.issue.sections] == ["Research Papers", "中文精选"]
    assert result.describe() == "1 item (1 sponsored)"


def test_kept_items_keep_their_keys_and_sections_their_positions_but_are_numbered_again() -> None:
    original = issue()
    result = apply_filter(original, ChannelFilter(exclude_keywords=("transformers", "深度")))
    research, jobs, chinese = result.issue.sections
    assert [s.position for s in (research, jobs, chinese)] == [0, 1, 2]
    assert [i.position for i in research.items + chinese.items] == [0, 0]
    assert research.items[0].key == original.sections[0].items[1].key
    assert [i.position for i in original.sections[0].items] == [0, 1]  # the stored issue is untouched
    assert result.describe() == "2 items (2 by keyword)"


words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@given(
    include=st.lists(words, max_size=3),
    exclude=st.lists(words, max_size=3),
    sections=st.lists(words, max_size=2),
    sponsored=st.booleans(),
)
def test_a_filter_keeps_a_subset_in_order_and_counts_every_item_it_leaves_out(
    include: list[str], exclude: list[str], sections: list[str], sponsored: bool
) -> None:
    original = issue()
    rules = ChannelFilter(
        include_sections=tuple(sections),
        include_keywords=tuple(include),
        exclude_keywords=tuple(exclude),
        sponsored=sponsored,
    )
    result = apply_filter(original, rules)
    kept = [item.key for item in result.issue.items]
    assert kept == [item.key for item in original.items if item.key in kept]
    assert len(kept) + sum(result.left_out.values()) == len(original.items)
    assert all(section.items for section in result.issue.sections)


def test_channel_filters_are_read_from_the_config_and_unknown_keys_are_refused() -> None:
    config = parse_config(
        {
            "channels": [
                {
                    "name": "papers",
                    "platform": "console",
                    "filter": {
                        "sections": {"include": ["Papers*"]},
                        "keywords": {"exclude": ["crypto"]},
                        "sponsored": False,
                    },
                }
            ]
        },
        {},
    )
    channel = config.channel("papers").to_channel()
    assert channel.filter == ChannelFilter(
        include_sections=("Papers*",), exclude_keywords=("crypto",), sponsored=False
    )
    with pytest.raises(Exception, match="keyword"):
        parse_config({"channels": [{"name": "x", "platform": "console", "filter": {"keyword": ["a"]}}]}, {})


async def test_a_channel_whose_filter_leaves_nothing_gets_no_post_and_is_not_tried_again(
    uow_factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.posting.poster")
    await store(uow_factory, issue())
    platform = FakePlatform()
    channel = Channel("crypto", Platform.SLACK, "C9", filter=ChannelFilter(include_keywords=("bitcoin",)))
    [report] = await post_to_channels(lambda c: Poster(uow_factory, platform, FakeClock()), 9, [channel])
    assert platform.sent == []
    assert report.complete
    assert "filter left out all 5 items (5 by keyword)" in caplog.text
    async with uow_factory() as uow:
        delivery = await uow.deliveries.get(9, channel)
    assert delivery is not None
    assert delivery.state is DeliveryState.COMPLETE


def test_post_dry_run_shows_each_channel_its_filtered_issue_and_stores_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
database: {{url: "sqlite:///{tmp_path / "bot.db"}"}}
channels:
  - {{name: all, platform: console}}
  - name: papers
    platform: console
    filter: {{sections: {{include: ["Papers*"]}}, keywords: {{exclude: ["GPU"]}}}}
  - name: none
    platform: console
    filter: {{keywords: {{include: [blockchain]}}}}
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "post", str(EXAMPLE), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "#195 → all (console): 4 sections, 21 items; would send 26 of 26 messages" in lines
    assert (
        "#195 → papers (console): 1 section, 2 items; would send 4 of 4 messages; "
        "left out 19 items (1 by keyword, 18 by section)"
    ) in lines
    assert "    2. Going deeper with Image Transformers" in lines
    assert "#195 → none (console): nothing to post, the filter left out all 21 items (21 by keyword)" in lines
    assert not (tmp_path / "bot.db").exists()
