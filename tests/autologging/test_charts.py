"""mltrail.autologging.charts: the one Pillow drawing module both integrations use."""

from __future__ import annotations

import io

import pytest

PIL = pytest.importorskip("PIL")  # Pillow is optional for mltrail (the charts say so through available())
from PIL import Image  # noqa: E402

from mltrail.autologging import charts  # noqa: E402

BAR = charts.SERIES_RGB[0]


def _image(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png)).convert("RGB")


def _colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.getcolors(maxcolors=1 << 16)}


def _bar_lengths(image: Image.Image, rows: int) -> list[int]:
    """Pixels of the bar colour along the middle line of each bar row."""
    lengths = []
    for row in range(rows):
        y = 42 + row * 20 + 10
        lengths.append(sum(1 for x in range(image.width) if image.getpixel((x, y)) == BAR))
    return lengths


def test_bar_chart_draws_one_bar_per_item_in_order_proportional_to_value():
    image = _image(charts.bar_chart_png([("big", 40.0), ("half", 20.0), ("tiny", 1.0)], "Feature importance (gain)"))
    assert image.size == (640, 42 + 3 * 20 + 16)
    big, half, tiny = _bar_lengths(image, 3)
    assert big > half > tiny > 0
    assert half / big == pytest.approx(0.5, abs=0.02)


def test_heatmap_shades_the_largest_cell_darkest():
    matrix = [[9, 1], [0, 30]]
    image = _image(charts.heatmap_png(matrix, ["a", "b"], "Confusion matrix", "Predicted label", "True label"))
    assert image.size == charts.SIZE
    left, top, side = 56, 30, min(charts.SIZE[0] - 56 - 16, charts.SIZE[1] - 30 - 44)
    cell = side / 2

    def corner(i: int, j: int) -> tuple[int, int, int]:  # a pixel inside the cell, away from its number
        return image.getpixel((int(left + j * cell + 4), int(top + i * cell + 4)))

    brightness = {(i, j): sum(corner(i, j)) for i in range(2) for j in range(2)}
    assert min(brightness, key=brightness.get) == (1, 1)
    assert max(brightness, key=brightness.get) == (1, 0)  # the zero cell is the lightest


def test_line_chart_draws_each_series_in_its_colour():
    series = [("up", [0.0, 1.0], [0.0, 1.0]), ("flat", [0.0, 1.0], [0.5, 0.5])]
    image = _image(charts.line_chart_png(series, "ROC curve", "FPR", "TPR"))
    colours = _colours(image)
    assert charts.SERIES_RGB[0] in colours and charts.SERIES_RGB[1] in colours
    one = _image(charts.line_chart_png(series[:1], "ROC curve", "FPR", "TPR"))
    assert charts.SERIES_RGB[1] not in _colours(one)


def test_text_width_grows_with_the_text():
    assert 0 < charts.text_width("a") < charts.text_width("a much longer label")
