"""What the structural reader keeps apart from items, on the committed corpus: intro, sponsors, blurbs."""

from pathlib import Path

from bot.ingest import parse_file
from bot.model import Issue

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def load(name: str) -> list[Issue]:
    return parse_file(CORPUS / name)


def test_cover_and_essay_are_the_intro_not_items() -> None:
    (issue,) = load("cjk-numbered/weekly-88.md")
    assert issue.title == "码农观察周刊（第 88 期）：慢下来的勇气"
    assert issue.number == 88
    assert issue.intro is not None
    assert "湖边的一座木屋" in issue.intro  # the cover's caption
    assert "速度不是目的" in issue.intro  # the editor's essay
    assert "1、它让人更专注。" in issue.intro  # its numbered points are not items
    titles = {item.title for item in issue.items}
    assert not titles & {"键盘的历史", "为什么我们需要周报", "订阅"}  # history and subscribe


def test_blurbs_keep_their_links_text_and_leave_out_images() -> None:
    (issue,) = load("cjk-numbered/weekly-88.md")
    solar = issue.items[0]
    assert (
        solar.blurb
        == "一家初创公司做出了可以像纸一样折叠的太阳能板。\n\n它的效率比普通太阳能板低一些，但是便于携带。"
    )
    cli = next(i for i in issue.items if i.title == "一个命令行工具的诞生")
    assert (
        cli.blurb
        == "作者记录了自己从零开始写一个命令行工具的过程。地址：\n\nhttps://git.example.com/tiny-cli。"
    )
    news = next(i for i in issue.items if i.title == "一句话消息")
    assert "一座城市宣布" in news.blurb  # the quoted bullets are its blurb, not items
    quote = next(i for i in issue.items if i.title == "《少即是多》")
    assert quote.blurb == "写代码最难的部分，是决定不写什么。"


def test_sponsor_sections_give_sponsored_items() -> None:
    (issue,) = load("sponsor-essay/field-notes-31.md")
    assert [(i.title, i.sponsored) for i in issue.items] == [
        ("The cost of a context switch", False),
        ("Reading other people's code", False),
        ("BuildFast: remote caching for your team", True),
    ]
    assert issue.intro is not None
    assert issue.intro.startswith("Editor's note")
    latest, _ = load("feeds/notes.rss")
    assert [i.title for i in latest.items if i.sponsored] == ["Try QueueCo free"]


def test_bylines_and_source_lists_stay_in_the_item() -> None:
    (issue,) = load("cjk-heading-links/issue-401.md")
    settings = issue.items[1]
    assert settings.title == "Building a calm settings screen"
    assert settings.blurb.startswith("@阿杰：作者总结了设置页面的几条原则：")
    assert "- 分组清晰：用 Form 把相关的选项放在一起；" in settings.blurb
    (twin,) = load("html-in-markdown/2026-03-02.md")
    quiet = next(i for i in twin.items if i.title == "quiet.nvim")
    assert quiet.blurb == "Hides everything but the line you are writing. Pairs well with focus-mode."
