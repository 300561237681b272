"""Classifier plots for sklearn autologging: confusion matrix, ROC and precision-recall PNGs.

Drawn straight onto small palette images with Pillow (which matplotlib
depends on, so the plots appear whenever matplotlib is installed): a few
milliseconds for all three, where matplotlib's figure machinery costs
hundreds. Logged in three direct artifact writes as ``training_confusion_matrix.png``,
``training_roc_curve.png`` and ``training_precision_recall_curve.png``.
"""

from __future__ import annotations

import functools
import io
from typing import Any, Optional, Sequence

import numpy as np

from mltrail.autologging import AutologCall

_MAX_CLASSES_FOR_CURVES = 10
_MAX_POINTS = 400
_SIZE = (360, 320)
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 30, 44

# palette indices
_WHITE, _BLACK, _GRID, _GRAY = 0, 1, 2, 3
_SERIES = 4  # 10 series colours: 4..13
_RAMP = 16  # 240 shades of blue: 16..255
_SERIES_RGB = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
]


def _palette() -> list[int]:
    colours = [(255, 255, 255), (0, 0, 0), (225, 225, 225), (150, 150, 150)] + _SERIES_RGB
    colours += [(255, 255, 255)] * (_RAMP - len(colours))
    for i in range(256 - _RAMP):
        t = i / (255 - _RAMP)
        colours.append((int(247 - t * (247 - 8)), int(251 - t * (251 - 48)), int(255 - t * (255 - 107))))
    return [channel for rgb in colours for channel in rgb]


@functools.lru_cache(maxsize=1)
def _pillow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("PIL") is not None


@functools.lru_cache(maxsize=1)
def _font() -> Any:
    from PIL import ImageFont

    return ImageFont.load_default()


@functools.lru_cache(maxsize=1024)
def _text_mask(text: str) -> Any:
    """``text`` rendered once per process as a 1-bit mask (rendering glyphs is the costly part)."""
    from PIL import Image, ImageDraw

    font = _font()
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font)
    return mask.point(lambda v: 255 if v >= 96 else 0, "1")


def _text(image: Any, xy: tuple[float, float], text: str, fill: int, centered: bool = True) -> None:
    mask = _text_mask(text)
    x, y = (xy[0] - mask.width / 2, xy[1] - mask.height / 2) if centered else xy
    x, y = int(round(x)), int(round(y))
    image.paste(fill, (x, y, x + mask.width, y + mask.height), mask)


@functools.lru_cache(maxsize=16)
def _blank_frame(title: str, xlabel: str, ylabel: str) -> Any:
    """A white palette image with title and axis labels (copied for every plot)."""
    from PIL import Image

    image = Image.new("P", _SIZE, _WHITE)
    image.putpalette(_palette())
    width, height = _SIZE
    _text(image, (width / 2, _TOP / 2), title, _BLACK)
    _text(image, ((_LEFT + width - _RIGHT) / 2, height - 12), xlabel, _BLACK)
    _text(image, (4, _TOP - 24), ylabel, _BLACK, centered=False)
    return image


def _canvas(title: str, xlabel: str, ylabel: str) -> tuple[Any, Any, tuple[int, int, int, int]]:
    from PIL import ImageDraw

    image = _blank_frame(title, xlabel, ylabel).copy()
    width, height = _SIZE
    return image, ImageDraw.Draw(image), (_LEFT, _TOP, width - _RIGHT, height - _BOTTOM)


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def confusion_png(cm: np.ndarray, labels: Sequence[Any], title: str) -> bytes:
    """A heat map of ``cm`` (rows true, columns predicted) with counts in the cells."""
    image, draw, (x0, y0, x1, y1) = _canvas(title, "Predicted label", "True label")
    k = len(labels)
    side = min(x1 - x0, y1 - y0)
    cell = side / max(k, 1)
    peak = cm.max() if cm.size and cm.max() > 0 else 1
    for (i, j), value in np.ndenumerate(cm):
        shade = _RAMP + int(round((255 - _RAMP) * value / peak))
        box = (x0 + j * cell, y0 + i * cell, x0 + (j + 1) * cell, y0 + (i + 1) * cell)
        draw.rectangle(box, fill=shade, outline=_GRID)
        if k <= 10:
            _text(image, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(int(value)),
                  _WHITE if value > peak / 2 else _BLACK)
    if k <= 10:
        for index, label in enumerate(labels):
            text = str(label)[:8]
            _text(image, (x0 + (index + 0.5) * cell, y0 + side + 9), text, _BLACK)
            _text(image, (x0 - 22, y0 + (index + 0.5) * cell), text, _BLACK)
    return _png(image)


def curve_png(series: list[tuple[str, np.ndarray, np.ndarray]], title: str, xlabel: str,
              ylabel: str, diagonal: bool) -> bytes:
    """Line plot of (x, y) series in the unit square, with a legend when there are several."""
    image, draw, (x0, y0, x1, y1) = _canvas(title, xlabel, ylabel)
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        gx = x0 + t * (x1 - x0)
        gy = y1 - t * (y1 - y0)
        draw.line([(gx, y0), (gx, y1)], fill=_GRID)
        draw.line([(x0, gy), (x1, gy)], fill=_GRID)
        _text(image, (gx, y1 + 9), f"{t:g}", _BLACK)
        _text(image, (x0 - 16, gy), f"{t:g}", _BLACK)
    draw.rectangle((x0, y0, x1, y1), outline=_BLACK)
    if diagonal:
        draw.line([(x0, y1), (x1, y0)], fill=_GRAY)
    for index, (label, xs, ys) in enumerate(series):
        colour = _SERIES + index % len(_SERIES_RGB)
        if len(xs) > _MAX_POINTS:  # more points than pixels: keep an even subset (ends included)
            keep = np.linspace(0, len(xs) - 1, _MAX_POINTS).astype(int)
            xs, ys = xs[keep], ys[keep]
        points = list(zip((x0 + np.clip(xs, 0, 1) * (x1 - x0)).tolist(), (y1 - np.clip(ys, 0, 1) * (y1 - y0)).tolist()))
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        if len(series) > 1:
            ly = y1 - 12 - 12 * (len(series) - 1 - index)
            draw.line([(x1 - 90, ly), (x1 - 74, ly)], fill=colour, width=2)
            _text(image, (x1 - 70, ly - 6), label[:12], _BLACK, centered=False)
    return _png(image)


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = len(labels)
    t = np.searchsorted(labels, y_true)
    p = np.searchsorted(labels, y_pred)
    t, p = np.clip(t, 0, k - 1), np.clip(p, 0, k - 1)
    keep = (labels[t] == y_true) & (labels[p] == y_pred)
    return np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k)


def curves(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, ...]:
    """(fpr, tpr, recall, precision) at every distinct threshold, highest first."""
    order = np.argsort(score, kind="mergesort")[::-1]
    score, positive = score[order], positive[order]
    ends = np.r_[np.where(np.diff(score))[0], len(score) - 1]
    tps = np.cumsum(positive)[ends]
    fps = np.cumsum(1 - positive)[ends]
    total_pos, total_neg = max(tps[-1], 1e-12), max(fps[-1], 1e-12)
    fpr = np.r_[0.0, fps / total_neg]
    tpr = np.r_[0.0, tps / total_pos]
    precision = np.r_[1.0, tps / np.maximum(tps + fps, 1e-12)]
    recall = np.r_[0.0, tps / total_pos]
    return fpr, tpr, recall, precision


def _positive_columns(classes: np.ndarray, pos_label: Any) -> list[int]:
    if len(classes) == 2:
        if pos_label is not None and pos_label in classes.tolist():
            return [classes.tolist().index(pos_label)]
        return [1]
    return list(range(len(classes)))


def log_classifier_plots(
    call: AutologCall, estimator: Any, y: Any, y_pred: Any, proba: Optional[Any], prefix: str = "training_"
) -> None:
    """Draw and log the PNGs (curves only with probabilities and at most 10 classes)."""
    if not _pillow_installed():
        return
    y_true = np.asarray(y).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    classes = getattr(estimator, "classes_", None)
    classes = np.unique(np.concatenate([y_true, y_pred])) if classes is None else np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2:
        return
    call.log_artifact_bytes(
        confusion_png(_confusion(y_true, y_pred, classes), classes.tolist(), "Confusion matrix (training)"),
        f"{prefix}confusion_matrix.png",
    )
    if proba is not None and len(classes) <= _MAX_CLASSES_FOR_CURVES:
        proba = np.asarray(proba, dtype=np.float64)
        roc, pr = [], []
        for column in _positive_columns(classes, call.config.get("pos_label")):
            fpr, tpr, recall, precision = curves((y_true == classes[column]).astype(np.float64), proba[:, column])
            roc.append((f"class {classes[column]}", fpr, tpr))
            pr.append((f"class {classes[column]}", recall, precision))
        call.log_artifact_bytes(
            curve_png(roc, "ROC curve (training)", "False positive rate", "True positive rate", diagonal=True),
            f"{prefix}roc_curve.png",
        )
        call.log_artifact_bytes(
            curve_png(pr, "Precision-recall (training)", "Recall", "Precision", diagonal=False),
            f"{prefix}precision_recall_curve.png",
        )
