"""Bar charts as PNG images, drawn with matplotlib (Agg): "last week's top N" and ``votes --chart``.

matplotlib is the optional extra ``digestbot[charts]``. Without it :func:`charts_available` is False: the
weekly results go out as text and ``votes --chart`` says what to install.

Labels in any script: Latin text is set in DejaVu Sans (shipped with matplotlib), and the first installed
CJK family of :data:`CJK_FAMILIES` fills in the glyphs DejaVu lacks. Where none is installed (a slim
container: ``apt-get install fonts-noto-cjk``, or ``fonts-wqy-microhei``), CJK glyphs show as boxes and one
warning says so.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'digestbot[charts]'"
WIDTH_INCHES, DPI = 9.0, 100
LABEL_SHARE = 0.42  # of the width, for the item titles
BASE_FAMILY = "DejaVu Sans"
CJK_FAMILIES = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "IPAGothic",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans",
)

CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy-", "droidsansfallback", "ipag")


@dataclass(frozen=True, slots=True)
class Theme:
    background: str
    bar: str
    text: str
    muted: str
    grid: str


LIGHT = Theme(background="#ffffff", bar="#4a6fe3", text="#1e1e1e", muted="#6e6e6e", grid="#e3e3e3")
DARK = Theme(background="#1e1f22", bar="#7aa2f7", text="#e8e8e8", muted="#9a9a9a", grid="#3a3b3f")


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed."""

    def __init__(self) -> None:
        super().__init__(f"charts need matplotlib: {INSTALL_HINT}")


def charts_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def cjk_family() -> str | None:
    """The first installed font family of :data:`CJK_FAMILIES`, if any."""
    from matplotlib import font_manager

    def first_installed() -> str | None:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in installed), None)

    family = first_installed()
    if family is None:  # installed after matplotlib cached its font list: add the files it would have found
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
                with contextlib.suppress(Exception):  # an unreadable font file is just not used
                    font_manager.fontManager.addfont(path)
        family = first_installed()
    return family


@cache
def _warn_no_cjk_font() -> None:
    log.warning(
        "no CJK font installed (%s): CJK chart labels show as boxes; install fonts-noto-cjk",
        ", ".join(CJK_FAMILIES[:2]),
    )


def needs_cjk(text: str) -> bool:
    return any(
        "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff" for ch in text
    )


def _fit(renderer: RendererAgg, text: str, font: FontProperties, width: float) -> str:
    """``text``, cut with an ellipsis where it would be wider than ``width`` pixels."""

    def too_wide(candidate: str) -> bool:
        size = renderer.get_text_width_height_descent(candidate, font, ismath=False)  # type: ignore[no-untyped-call]
        return bool(size[0] > width)

    if not too_wide(text):
        return text
    while text and too_wide(text + "…"):
        text = text[:-1]
    return text.rstrip() + "…"


def draw_bar_chart(title: str, entries: Sequence[tuple[str, float]], *, dark: bool = False) -> bytes:
    """A horizontal bar chart (one bar per ``(label, value)``, top to bottom in the given order) as PNG."""
    try:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.font_manager import FontProperties
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ChartsUnavailable() from None

    theme = DARK if dark else LIGHT
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "no bold face": the regular serves
    cjk = cjk_family()
    families = [BASE_FAMILY, cjk] if cjk else [BASE_FAMILY]
    if cjk is None and any(needs_cjk(text) for text in [title, *(label for label, _ in entries)]):
        _warn_no_cjk_font()
    height = 1.3 + 0.62 * max(1, len(entries))  # inches: the title, then a row per bar
    with rc_context({"font.family": families, "svg.fonttype": "none"}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning)
        figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, facecolor=theme.background)
        canvas = FigureCanvasAgg(figure)
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        width_px = WIDTH_INCHES * DPI
        axes = figure.add_axes((LABEL_SHARE, 0.08, 1 - LABEL_SHARE - 0.04, 1 - 0.08 - 0.9 / height))
        axes.set_facecolor(theme.background)
        label_font = FontProperties(family=families, size=12)
        title_font = FontProperties(family=families, size=16, weight="bold")
        figure.text(
            0.02,
            1 - 0.35 / height,
            _fit(renderer, title, title_font, width_px * 0.96),
            fontproperties=title_font,
            color=theme.text,
            va="center",
        )
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.spines["bottom"].set_color(theme.grid)
        axes.tick_params(colors=theme.muted, length=0)
        if not entries:
            axes.set_yticks([])
            axes.set_xticks([])
            axes.text(0.0, 0.5, "No votes yet", color=theme.muted, fontproperties=label_font, va="center")
        else:
            values = [max(value, 0.0) for _, value in entries]
            positions = list(range(len(entries)))
            bars = axes.barh(positions, values, color=theme.bar, height=0.66)
            room = width_px * (LABEL_SHARE - 0.03)
            labels = [
                _fit(renderer, f"{n + 1}. {label}", label_font, room) for n, (label, _) in enumerate(entries)
            ]
            axes.set_yticks(positions, labels=labels, fontproperties=label_font, color=theme.text)
            axes.invert_yaxis()
            axes.bar_label(bars, labels=[f"{value:g}" for _, value in entries], padding=6, color=theme.text)
            axes.set_xlim(0, (max(values) or 1.0) * 1.15)  # room for the value beside the longest bar
            axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=all(v == int(v) for v in values)))
            axes.grid(axis="x", color=theme.grid, linewidth=0.8)
            axes.set_axisbelow(True)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", facecolor=theme.background)
    return buffer.getvalue()
