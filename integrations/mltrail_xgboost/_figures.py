"""Feature-importance bar plots as PNG, drawn off the training thread.

A matplotlib figure costs ~70 ms to draw (and importing matplotlib ~0.5 s),
more than three times the whole autologging budget of a training. The plot
here is a plain horizontal bar chart drawn with Pillow (matplotlib's own
image dependency, so it is there whenever matplotlib is): feature names on
the left, one bar per feature (largest on top, at most 30), the value at the
end of each bar, a title naming the importance type; ~5 ms of CPU::

    png = importance_png({"f0": 12.0, "f1": 3.0}, "weight")   # PNG bytes, or None without Pillow

When Pillow is missing but matplotlib is importable (an unusual install),
matplotlib's Agg canvas draws the same chart instead.

Even 5 ms is a quarter of the budget, so :func:`log_importance_png_later`
hands the drawing and the upload to one background thread (in submission
order). Plots still queued when the interpreter exits are finished first;
:func:`wait_for_figures` waits for them earlier::

    booster = xgboost.train(params, dtrain)     # returns without waiting for the plot
    mltrail.xgboost.wait_for_figures()          # the PNG is in the run now
"""

from __future__ import annotations

import atexit
import importlib.util
import io
import os
import queue
import tempfile
import threading
from typing import Any, Callable, Optional

MAX_BARS = 30
_WIDTH = 640
_ROW = 20
_TOP = 42
_BOTTOM = 16
_BAR_COLOR = (59, 125, 216)
_TEXT = (33, 33, 33)
_GRID = (225, 225, 225)

_backend: Optional[str] = None


def _available_backend() -> str:
    global _backend
    if _backend is None:
        if importlib.util.find_spec("PIL") is not None:
            _backend = "pillow"
        elif importlib.util.find_spec("matplotlib") is not None:
            _backend = "matplotlib"
        else:
            _backend = "none"
    return _backend


def _top_items(scores: dict[str, float]) -> list[tuple[str, float]]:
    items = sorted(((str(k), float(v)) for k, v in scores.items()), key=lambda kv: kv[1], reverse=True)
    return items[:MAX_BARS]


def _format(value: float) -> str:
    return f"{value:.4g}"


_PALETTE = [255, 255, 255, *_TEXT, *_BAR_COLOR, *_GRID]
_fonts: dict[int, object] = {}


def _font(size: int):
    font = _fonts.get(size)
    if font is None:
        from PIL import ImageFont

        font = _fonts[size] = ImageFont.load_default(size=size)
    return font


def _pillow_png(items: list[tuple[str, float]], importance_type: str) -> bytes:
    from PIL import Image, ImageDraw

    font, title_font = _font(12), _font(15)
    height = _TOP + _ROW * len(items) + _BOTTOM
    # a 4-colour palette image: a fraction of the encoding time of RGB
    image = Image.new("P", (_WIDTH, height), 0)
    image.putpalette(_PALETTE)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), f"Feature importance ({importance_type})", fill=1, font=title_font)
    label_width = min(220, max(int(draw.textlength(name, font=font)) for name, _ in items) + 16)
    value_width = 60
    span = _WIDTH - label_width - value_width - 10
    largest = max((v for _, v in items), default=0.0) or 1.0
    draw.line([(label_width, _TOP - 4), (label_width, height - _BOTTOM + 2)], fill=3)
    for row, (name, value) in enumerate(items):
        y = _TOP + row * _ROW
        shown = name if draw.textlength(name, font=font) <= label_width - 16 else name[:24] + "..."
        draw.text((label_width - 8, y + _ROW // 2), shown, fill=1, font=font, anchor="rm")
        length = max(1, int(span * max(value, 0.0) / largest))
        draw.rectangle([label_width, y + 3, label_width + length, y + _ROW - 3], fill=2)
        draw.text((label_width + length + 5, y + _ROW // 2), _format(value), fill=1, font=font, anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _matplotlib_png(items: list[tuple[str, float]], importance_type: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    items = list(reversed(items))
    figure = Figure(figsize=(6.4, max(2.5, 0.3 * len(items) + 1.2)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.28, 0.12, 0.67, 0.8))
    axes.barh(range(len(items)), [v for _, v in items], color="#3b7dd8")
    axes.set_yticks(list(range(len(items))), [k for k, _ in items])
    axes.set_title(f"Feature importance ({importance_type})")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def importance_png(scores: dict[str, float], importance_type: str) -> Optional[bytes]:
    """A PNG bar chart of ``scores``; None when there is nothing to draw or no imaging library."""
    items = _top_items(scores)
    backend = _available_backend()
    if not items or backend == "none":
        return None
    if backend == "pillow":
        return _pillow_png(items, importance_type)
    return _matplotlib_png(items, importance_type)


_queue: "queue.Queue[Callable[[], None]]" = queue.Queue()
_thread: Optional[threading.Thread] = None
_lock = threading.Lock()
_exit_hook_registered = False


def _worker() -> None:
    while True:
        task = _queue.get()
        try:
            task()
        except Exception:  # tasks report their own errors; the worker must survive
            pass
        finally:
            _queue.task_done()


def wait_for_figures() -> None:
    """Block until every importance plot submitted so far is drawn and logged.

    >>> mltrail.xgboost.wait_for_figures()
    """
    if _thread is not None and _thread.is_alive():
        _queue.join()


def log_importance_png_later(
    client: Any,
    run_id: str,
    scores: dict[str, float],
    importance_type: str,
    on_error: Callable[[BaseException], None],
) -> bool:
    """Queue the plot of ``scores`` as ``feature_importance_<type>.png`` of ``run_id``.

    Returns False (nothing queued) when no imaging library is installed.
    """
    global _thread, _exit_hook_registered
    if not scores or _available_backend() == "none":
        return False
    scores = dict(scores)

    def task() -> None:
        try:
            png = importance_png(scores, importance_type)
            if png is None:
                return
            with tempfile.TemporaryDirectory(prefix="mltrail-importance-") as tmp:
                path = os.path.join(tmp, f"feature_importance_{importance_type}.png")
                with open(path, "wb") as fh:
                    fh.write(png)
                client.log_artifact(run_id, path)
        except Exception as exc:
            on_error(exc)

    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_worker, name="mltrail-figures", daemon=True)
            _thread.start()
            if not _exit_hook_registered:
                atexit.register(wait_for_figures)
                _exit_hook_registered = True
    _queue.put(task)
    return True
