"""Small PNG charts for autologging plugins, drawn with Pillow in a few milliseconds.

A matplotlib figure costs ~70 ms to draw (and importing matplotlib ~0.5 s),
more than the whole autologging budget of a small fit. These charts are
drawn straight onto palette images with Pillow (matplotlib's own image
dependency, so it is there whenever matplotlib is); glyphs are rendered
once per process and pasted. One font, one palette, three chart kinds::

    from mltrail.autologging import charts

    if charts.available():
        png = charts.bar_chart_png([("f0", 12.0), ("f1", 3.0)], "Feature importance (weight)")
        png = charts.heatmap_png([[5, 1], [0, 7]], ["no", "yes"], "Confusion matrix", "Predicted", "True")
        png = charts.line_chart_png([("class 1", [0, 0.2, 1], [0, 0.9, 1])], "ROC", "FPR", "TPR", diagonal=True)

All three return PNG bytes; values are drawn as given (callers downsample
long series: a chart is a few hundred pixels wide).
"""

from __future__ import annotations

import functools
import importlib.util
import io
from typing import Any, Sequence

# palette indices
WHITE, BLACK, GRID, GRAY = 0, 1, 2, 3
_SERIES = 4  # 10 series colours: 4..13
_RAMP = 16  # 240 shades of blue: 16..255
SERIES_RGB = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)
#: Size of the heat map and line charts, and the plot area's margins inside it.
SIZE = (360, 320)
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 30, 44
_BAR_WIDTH, _BAR_ROW, _BAR_TOP, _BAR_BOTTOM = 640, 20, 42, 16


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when Pillow is installed (charts can be drawn).

    >>> charts.available()
    True
    """
    return importlib.util.find_spec("PIL") is not None


@functools.lru_cache(maxsize=1)
def _palette() -> list[int]:
    colours = [(255, 255, 255), (0, 0, 0), (225, 225, 225), (150, 150, 150), *SERIES_RGB]
    colours += [(255, 255, 255)] * (_RAMP - len(colours))
    for i in range(256 - _RAMP):
        t = i / (255 - _RAMP)
        colours.append((int(247 - t * (247 - 8)), int(251 - t * (251 - 48)), int(255 - t * (255 - 107))))
    return [channel for rgb in colours for channel in rgb]


@functools.lru_cache(maxsize=1)
def _font() -> Any:
    from PIL import ImageFont

    return ImageFont.load_default()


@functools.lru_cache(maxsize=2048)
def _text_mask(text: str) -> Any:
    """``text`` rendered once per process as a 1-bit mask (rendering glyphs is the costly part)."""
    from PIL import Image, ImageDraw

    font = _font()
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font)
    return mask.point(lambda v: 255 if v >= 96 else 0, "1")


def text_width(text: str) -> int:
    """Width in pixels of ``text`` as the charts draw it.

    >>> charts.text_width("alpha") > 0
    True
    """
    return _text_mask(text).width


def draw_text(image: Any, xy: tuple[float, float], text: str, fill: int = BLACK, align: str = "center") -> None:
    """Paste ``text`` at ``xy`` in palette colour ``fill``.

    ``align``: ``"center"`` (xy is the centre), ``"left"`` / ``"right"``
    (xy is the middle of the left / right edge), ``"top-left"`` (xy is the corner).

    >>> draw_text(image, (100, 10), "Confusion matrix")
    """
    mask = _text_mask(text)
    x, y = xy
    if align == "top-left":
        pass
    elif align == "left":
        y -= mask.height / 2
    elif align == "right":
        x, y = x - mask.width, y - mask.height / 2
    else:
        x, y = x - mask.width / 2, y - mask.height / 2
    x, y = int(round(x)), int(round(y))
    image.paste(fill, (x, y, x + mask.width, y + mask.height), mask)


def new_image(width: int, height: int) -> Any:
    """A white palette image with the charts' palette.

    >>> new_image(200, 100).size
    (200, 100)
    """
    from PIL import Image

    image = Image.new("P", (width, height), WHITE)
    image.putpalette(_palette())
    return image


def png_bytes(image: Any) -> bytes:
    """``image`` encoded as PNG (fast compression: these images are small and flat).

    >>> png_bytes(new_image(10, 10))[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@functools.lru_cache(maxsize=16)
def _blank_frame(title: str, xlabel: str, ylabel: str) -> Any:
    image = new_image(*SIZE)
    width, height = SIZE
    draw_text(image, (width / 2, _TOP / 2), title)
    draw_text(image, ((_LEFT + width - _RIGHT) / 2, height - 12), xlabel)
    draw_text(image, (4, _TOP - 24), ylabel, align="top-left")
    return image


def _framed(title: str, xlabel: str, ylabel: str) -> tuple[Any, Any, tuple[int, int, int, int]]:
    from PIL import ImageDraw

    image = _blank_frame(title, xlabel, ylabel).copy()
    width, height = SIZE
    return image, ImageDraw.Draw(image), (_LEFT, _TOP, width - _RIGHT, height - _BOTTOM)


def _number(value: float) -> str:
    return f"{value:.4g}"


def bar_chart_png(items: Sequence[tuple[str, float]], title: str) -> bytes:
    """Horizontal bars, one per ``(label, value)`` in the given order (top first), value at the bar's end.

    >>> bar_chart_png([("f0", 12.0), ("f1", 3.0)], "Feature importance (weight)")[:4]
    b'\\x89PNG'
    """
    from PIL import ImageDraw

    height = _BAR_TOP + _BAR_ROW * len(items) + _BAR_BOTTOM
    image = new_image(_BAR_WIDTH, height)
    draw = ImageDraw.Draw(image)
    draw_text(image, (10, 12), title, align="left")
    label_width = min(220, max((text_width(str(name)) for name, _ in items), default=0) + 16)
    span = _BAR_WIDTH - label_width - 70
    largest = max((float(v) for _, v in items), default=0.0) or 1.0
    draw.line([(label_width, _BAR_TOP - 4), (label_width, height - _BAR_BOTTOM + 2)], fill=GRID)
    for row, (name, value) in enumerate(items):
        middle = _BAR_TOP + row * _BAR_ROW + _BAR_ROW // 2
        shown = str(name) if text_width(str(name)) <= label_width - 16 else str(name)[:24] + "..."
        draw_text(image, (label_width - 8, middle), shown, align="right")
        length = max(1, int(span * max(float(value), 0.0) / largest))
        draw.rectangle([label_width, middle - _BAR_ROW // 2 + 3, label_width + length, middle + _BAR_ROW // 2 - 3],
                       fill=_SERIES)
        draw_text(image, (label_width + length + 5, middle), _number(float(value)), align="left")
    return png_bytes(image)


def heatmap_png(matrix: Sequence[Sequence[float]], labels: Sequence[Any], title: str, xlabel: str, ylabel: str) -> bytes:
    """A square heat map of ``matrix`` (rows along ``ylabel``), values and labels written when ≤ 10 rows.

    >>> heatmap_png([[5, 1], [0, 7]], ["no", "yes"], "Confusion matrix", "Predicted label", "True label")[:4]
    b'\\x89PNG'
    """
    image, draw, (x0, y0, x1, y1) = _framed(title, xlabel, ylabel)
    k = len(labels)
    side = min(x1 - x0, y1 - y0)
    cell = side / max(k, 1)
    peak = max((max(row) for row in matrix if len(row)), default=0) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            shade = _RAMP + int(round((255 - _RAMP) * max(value, 0) / peak))
            box = (x0 + j * cell, y0 + i * cell, x0 + (j + 1) * cell, y0 + (i + 1) * cell)
            draw.rectangle(box, fill=shade, outline=GRID)
            if k <= 10:
                text = str(int(value)) if float(value).is_integer() else _number(value)
                draw_text(image, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), text,
                          WHITE if value > peak / 2 else BLACK)
    if k <= 10:
        for index, label in enumerate(labels):
            text = str(label)[:8]
            draw_text(image, (x0 + (index + 0.5) * cell, y0 + side + 9), text)
            draw_text(image, (x0 - 22, y0 + (index + 0.5) * cell), text)
    return png_bytes(image)


def line_chart_png(
    series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    title: str,
    xlabel: str,
    ylabel: str,
    diagonal: bool = False,
) -> bytes:
    """Lines of ``(label, xs, ys)`` in the unit square (values clipped to [0, 1]); a legend when several.

    >>> line_chart_png([("class 1", [0, 0.2, 1], [0, 0.9, 1])], "ROC curve", "FPR", "TPR", diagonal=True)[:4]
    b'\\x89PNG'
    """
    image, draw, (x0, y0, x1, y1) = _framed(title, xlabel, ylabel)
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        gx, gy = x0 + t * (x1 - x0), y1 - t * (y1 - y0)
        draw.line([(gx, y0), (gx, y1)], fill=GRID)
        draw.line([(x0, gy), (x1, gy)], fill=GRID)
        draw_text(image, (gx, y1 + 9), f"{t:g}")
        draw_text(image, (x0 - 16, gy), f"{t:g}")
    draw.rectangle((x0, y0, x1, y1), outline=BLACK)
    if diagonal:
        draw.line([(x0, y1), (x1, y0)], fill=GRAY)
    for index, (label, xs, ys) in enumerate(series):
        colour = _SERIES + index % len(SERIES_RGB)
        points = [
            (x0 + min(max(float(x), 0.0), 1.0) * (x1 - x0), y1 - min(max(float(y), 0.0), 1.0) * (y1 - y0))
            for x, y in zip(xs, ys)
        ]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        if len(series) > 1:
            ly = y1 - 12 - 12 * (len(series) - 1 - index)
            draw.line([(x1 - 90, ly), (x1 - 74, ly)], fill=colour, width=2)
            draw_text(image, (x1 - 70, ly), str(label)[:12], align="left")
    return png_bytes(image)
