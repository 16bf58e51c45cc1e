"""digestbot's own YAML format: lossless, so ``digestbot export N`` and a re-import give an equal Issue.

::

    format: digestbot/1
    title: "Deep Learning Weekly: Issue #195"
    number: 195
    subtitle: ...
    intro: ...
    published_on: '2021-04-02'      # ISO date, or null
    source: https://...
    sections:
      - title: null                 # the untitled lead section
        items:
          - title: ...
            url: https://...        # or null
            blurb: ...
            sponsored: false
            key: 3f2a9c0d1e2b4a5c   # kept on import, so votes stay attached

Positions are the order in the lists. Multi-line text is written as YAML block scalars.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from bot.ingest.common import IngestError, parse_date
from bot.model import Issue, Item, Section

FORMAT_MARKER = "digestbot/1"


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def issue_to_dict(issue: Issue) -> dict[str, Any]:
    return {
        "format": FORMAT_MARKER,
        "title": issue.title,
        "number": issue.number,
        "subtitle": issue.subtitle,
        "intro": issue.intro,
        "published_on": issue.published_on.isoformat() if issue.published_on else None,
        "source": issue.source,
        "sections": [
            {
                "title": section.title,
                "items": [
                    {
                        "title": item.title,
                        "url": item.url,
                        "blurb": item.blurb,
                        "sponsored": item.sponsored,
                        "key": item.key,
                    }
                    for item in section.items
                ],
            }
            for section in issue.sections
        ],
    }


def dump_yaml(issue: Issue) -> str:
    """The issue in digestbot's YAML format (what ``digestbot export`` writes)."""
    return yaml.dump(
        issue_to_dict(issue), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )


def _error(where: str, message: str) -> IngestError:
    return IngestError(f"{where}: {message}" if where else message)


def _opt_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _error(where, f"'{key}' must be text")
    return str(value)


def _req_str(data: dict[str, Any], key: str, where: str) -> str:
    value = _opt_str(data, key, where)
    if value is None or not value.strip():
        raise _error(where, f"missing '{key}'")
    return value


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _error(where, "expected a mapping of keys to values")
    return value


def parse_yaml(text: str, *, filename: str = "") -> Issue:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "syntax error"
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise IngestError(f"not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict) or "format" not in data:
        raise IngestError(
            f"YAML file is not in digestbot's format: missing the 'format: {FORMAT_MARKER}' key "
            "(write one with 'digestbot export')"
        )
    marker = data.get("format")
    if marker != FORMAT_MARKER:
        raise IngestError(f"unsupported format {marker!r}: this version of digestbot reads '{FORMAT_MARKER}'")

    number = data.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 0):
        raise IngestError("'number' must be a whole number")
    published = data.get("published_on")
    published_on = parse_date(published)
    if published is not None and published_on is None:
        raise IngestError(f"'published_on' is not a date: {published!r} (use YYYY-MM-DD)")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list):
        raise IngestError("missing 'sections' (a list of sections, each with 'title' and 'items')")

    sections: list[Section] = []
    for s_index, raw_section in enumerate(raw_sections):
        where = f"sections[{s_index}]"
        section_data = _mapping(raw_section, where)
        raw_items = section_data.get("items", [])
        if not isinstance(raw_items, list):
            raise _error(where, "'items' must be a list")
        items: list[Item] = []
        for i_index, raw_item in enumerate(raw_items):
            item_where = f"{where}.items[{i_index}]"
            item_data = _mapping(raw_item, item_where)
            sponsored = item_data.get("sponsored", False)
            if not isinstance(sponsored, bool):
                raise _error(item_where, "'sponsored' must be true or false")
            items.append(
                Item(
                    title=_req_str(item_data, "title", item_where),
                    url=_opt_str(item_data, "url", item_where),
                    blurb=_opt_str(item_data, "blurb", item_where) or "",
                    sponsored=sponsored,
                    key=_opt_str(item_data, "key", item_where) or "",
                )
            )
        sections.append(Section(title=_opt_str(section_data, "title", where), items=items))

    issue = Issue(
        title=_req_str(data, "title", ""),
        number=number,
        subtitle=_opt_str(data, "subtitle", ""),
        intro=_opt_str(data, "intro", ""),
        published_on=published_on if isinstance(published_on, date) else None,
        source=_opt_str(data, "source", "") or (filename or None),
        sections=sections,
    )
    issue.renumber()
    return issue
