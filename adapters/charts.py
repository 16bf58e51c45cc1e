"""Bar charts as PNG images, drawn with Pillow: the "last week's top 5" picture and ``votes --chart``."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from PIL import Image, ImageDraw, ImageFont

WIDTH = 900
BAR_HEIGHT = 44
GAP = 16
MARGIN = 24
TITLE_HEIGHT = 56
LABEL_WIDTH = 360
BACKGROUND = (255, 255, 255)
BAR = (74, 111, 227)
TEXT = (30, 30, 30)
MUTED = (110, 110, 110)
FONT_FILES = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Arial.ttf")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _fit(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int
) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_bar_chart(title: str, entries: Sequence[tuple[str, float]]) -> bytes:
    """A horizontal bar chart (one bar per ``(label, value)``, in the given order) as PNG bytes."""
    rows = max(1, len(entries))
    height = TITLE_HEIGHT + rows * (BAR_HEIGHT + GAP) + MARGIN
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_font, label_font = _font(24), _font(17)
    draw.text(
        (MARGIN, MARGIN // 2), _fit(draw, title, title_font, WIDTH - 2 * MARGIN), fill=TEXT, font=title_font
    )
    if not entries:
        draw.text((MARGIN, TITLE_HEIGHT + 10), "No votes yet", fill=MUTED, font=label_font)
    top = max((value for _, value in entries), default=0.0) or 1.0
    bar_room = WIDTH - 2 * MARGIN - LABEL_WIDTH - 70
    for row, (label, value) in enumerate(entries):
        y = TITLE_HEIGHT + row * (BAR_HEIGHT + GAP)
        text = _fit(draw, f"{row + 1}. {label}", label_font, LABEL_WIDTH - 10)
        draw.text((MARGIN, y + BAR_HEIGHT // 2 - 10), text, fill=TEXT, font=label_font)
        length = max(2, int(bar_room * max(value, 0.0) / top))
        x0 = MARGIN + LABEL_WIDTH
        draw.rectangle((x0, y, x0 + length, y + BAR_HEIGHT), fill=BAR)
        shown = f"{value:g}"
        draw.text((x0 + length + 8, y + BAR_HEIGHT // 2 - 10), shown, fill=TEXT, font=label_font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
