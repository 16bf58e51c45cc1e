"""``digestbot draft``: the next issue's draft from the approved suggestions, in Markdown that
``digestbot ingest`` reads back (front matter, a ``##`` heading per section, ``* [title](url) blurb``
items, the note as the starting blurb and a credit line for the people who suggested it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.model import Platform, Suggestion, Supporter

UNSORTED = "Suggested by readers"
PLATFORM_NAMES = {Platform.SLACK: "Slack", Platform.DISCORD: "Discord", Platform.CONSOLE: "console"}


def _inline(text: str) -> str:
    """Text safe inside a Markdown list item's line: one line, no link or emphasis syntax."""
    text = " ".join(text.split())
    for char in "\\[]*_`<>":
        text = text.replace(char, "\\" + char)
    return text


def _credit(supporters: Sequence[Supporter]) -> str:
    names = [f"{s.user_id} on {PLATFORM_NAMES.get(s.platform, s.platform.value)}" for s in supporters]
    if len(names) > 3:
        names = [*names[:3], f"{len(names) - 3} more"]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Suggested by {joined}."


def draft_markdown(
    suggestions: Sequence[Suggestion], *, number: int, title: str | None = None, on: date | None = None
) -> str:
    """The draft of issue ``number``: one section per chosen section (unsorted ones last)."""
    title = title or f"Issue {number}"
    lines = ["---", f'title: "{title.replace(chr(34), chr(39))}"', f"number: {number}"]
    if on is not None:
        lines.append(f"date: {on.isoformat()}")
    lines += ["---", "", f"Draft of issue {number}, from {len(suggestions)} approved suggestion(s).", ""]
    groups: dict[str, list[Suggestion]] = {}
    for suggestion in suggestions:
        groups.setdefault(suggestion.section or UNSORTED, []).append(suggestion)
    order = [name for name in groups if name != UNSORTED] + ([UNSORTED] if UNSORTED in groups else [])
    for name in order:
        lines += [f"## {_inline(name)}", ""]
        for suggestion in groups[name]:
            label = _inline(suggestion.title or suggestion.url)
            url = suggestion.url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
            note = _inline(suggestion.note or "")
            if note and note[-1] not in ".!?":
                note += "."
            credit = _credit(suggestion.supporters or [suggestion.submitted_by])
            blurb = f"{note} {credit}" if note else credit
            lines.append(f"* [{label}]({url}) {blurb}")
        lines.append("")
    return "\n".join(lines)
