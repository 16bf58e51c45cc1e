"""Bar charts with matplotlib: a PNG whose labels fit, CJK labels drawn in a CJK font where one is
installed, a dark variant, and a clear answer where matplotlib is missing."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from PIL import Image

from adapters import charts
from adapters.charts import ChartsUnavailable, charts_available, cjk_family, draw_bar_chart

ENTRIES = [("Lyra: a small model", 3.0), ("Another item", 2.0), ("A third one", 1.0)]


def png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_a_chart_is_a_png_that_grows_with_its_bars() -> None:
    three, one = png(draw_bar_chart("Top 3", ENTRIES)), png(draw_bar_chart("Top 1", ENTRIES[:1]))
    assert three.width == one.width == 900
    assert three.height > one.height
    assert png(draw_bar_chart("Top 0", [])).height > 0  # "No votes yet"


def test_long_labels_are_cut_to_fit_their_column() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    renderer = FigureCanvasAgg(Figure()).get_renderer()
    font = FontProperties(family=["DejaVu Sans"], size=12)
    label = "A very long title of an item that surely does not fit in the label column " * 3
    fitted = charts._fit(renderer, label, font, 300)
    assert fitted.endswith("…")
    assert label.startswith(fitted[:-1].rstrip())
    assert renderer.get_text_width_height_descent(fitted, font, ismath=False)[0] <= 300
    assert charts._fit(renderer, "Short", font, 300) == "Short"


def test_the_dark_variant_has_a_dark_background() -> None:
    light, dark = png(draw_bar_chart("Top 3", ENTRIES)), png(draw_bar_chart("Top 3", ENTRIES, dark=True))
    assert sum(light.getpixel((2, 2))) > 600
    assert sum(dark.getpixel((2, 2))) < 150


def test_cjk_labels_are_drawn_in_a_cjk_font_or_the_missing_font_is_reported(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.charts")
    charts._warn_no_cjk_font.cache_clear()
    one, other = draw_bar_chart("Top", [("深層学習", 2.0)]), draw_bar_chart("Top", [("機械翻訳", 2.0)])
    if cjk_family() is not None:
        assert one != other  # real glyphs differ; missing ones would all be the same empty box
        assert "no CJK font" not in caplog.text
    else:
        assert "no CJK font installed" in caplog.text
        assert "fonts-noto-cjk" in caplog.text


def test_without_matplotlib_charts_say_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not charts_available()
    with pytest.raises(ChartsUnavailable, match=r"pip install 'digestbot\[charts\]'"):
        draw_bar_chart("Top 3", ENTRIES)
