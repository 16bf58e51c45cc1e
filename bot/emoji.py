"""One name per emoji across platforms: Slack says ``+1``, Discord sends ``👍``; both are ``thumbsup``.

Votes are stored under these names, and the config's vote weights are looked up by them, so a weight
written as ``👍``, ``:+1:`` or ``thumbsup`` means the same reaction on every platform.
"""

from __future__ import annotations

import re

# Common reaction emoji: canonical name -> (unicode forms, other Slack names).
_EMOJI: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "thumbsup": (("👍",), ("+1", "thumbs_up")),
    "thumbsdown": (("👎",), ("-1", "thumbs_down")),
    "heart": (("❤️", "❤"), ("red_heart",)),
    "fire": (("🔥",), ()),
    "tada": (("🎉",), ("party_popper",)),
    "star": (("⭐",), ()),
    "star-struck": (("🤩",), ("star_struck",)),
    "rocket": (("🚀",), ()),
    "eyes": (("👀",), ()),
    "100": (("💯",), ()),
    "clap": (("👏",), ()),
    "raised_hands": (("🙌",), ()),
    "bulb": (("💡",), ("light_bulb",)),
    "heart_eyes": (("😍",), ()),
    "joy": (("😂",), ()),
    "thinking_face": (("🤔",), ("thinking",)),
    "smile": (("😄",), ()),
    "blush": (("😊",), ()),
    "white_check_mark": (("✅",), ()),
    "brain": (("🧠",), ()),
}

_BY_ALIAS: dict[str, str] = {}
for _name, (_unicode_forms, _aliases) in _EMOJI.items():
    _BY_ALIAS[_name] = _name
    for _form in (*_unicode_forms, *_aliases):
        _BY_ALIAS[_form] = _name

_SKIN_TONE_SUFFIX = re.compile(r"::skin-tone-\d$")
_SKIN_TONE_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff]")
_VARIATION_SELECTOR = "\ufe0f"


def normalise_emoji(raw: str) -> str:
    """The canonical name of a reaction as Slack, Discord or a config file writes it.

    Skin tones count as the base emoji. Unknown unicode emoji stay as they are; Discord custom emoji
    (``name:id`` or ``<:name:id>``) are known by their name, like Slack custom emoji.
    """
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].lstrip("a")
    text = _SKIN_TONE_SUFFIX.sub("", text.strip(":"))
    if re.fullmatch(r":?[\w+-]+:\d+", text):
        text = text.strip(":").split(":")[0]
    text = _SKIN_TONE_MODIFIERS.sub("", text)
    if text in _BY_ALIAS:
        return _BY_ALIAS[text]
    bare = text.replace(_VARIATION_SELECTOR, "")
    return _BY_ALIAS.get(bare, bare if bare else text)


def unicode_for(name: str) -> str | None:
    """The unicode form of a canonical name, for platforms that react with unicode (Discord)."""
    entry = _EMOJI.get(name)
    return entry[0][0] if entry else None
