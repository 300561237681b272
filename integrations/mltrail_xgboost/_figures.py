"""Feature-importance bar plots, drawn off the training thread.

Drawing a matplotlib figure takes ~70 ms (and importing matplotlib ~0.5 s),
far more than the rest of autologging a training. So plots are drawn by one
background thread, in submission order, with matplotlib's Agg canvas (no
pyplot, no display), and logged to the run as
``feature_importance_<type>.png``. Plots still queued when the interpreter
exits are finished first; :func:`wait_for_figures` waits for them earlier::

    booster = xgboost.train(params, dtrain)     # returns without waiting for the plot
    mltrail.xgboost.wait_for_figures()          # the PNG is in the run now

Nothing is drawn when matplotlib is not installed.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import queue
import tempfile
import threading
from typing import Any, Callable, Optional

_MAX_BARS = 30

_queue: "queue.Queue[Optional[Callable[[], None]]]" = queue.Queue()
_thread: Optional[threading.Thread] = None
_lock = threading.Lock()
_has_matplotlib: Optional[bool] = None
_exit_hook_registered = False


def matplotlib_installed() -> bool:
    """True when matplotlib can be imported (checked once)."""
    global _has_matplotlib
    if _has_matplotlib is None:
        _has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    return _has_matplotlib


def _worker() -> None:
    while True:
        task = _queue.get()
        try:
            if task is not None:
                task()
        finally:
            _queue.task_done()


def _submit(task: Callable[[], None]) -> None:
    global _thread, _exit_hook_registered
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_worker, name="mltrail-figures", daemon=True)
            _thread.start()
            if not _exit_hook_registered:
                atexit.register(wait_for_figures)
                _exit_hook_registered = True
    _queue.put(task)


def wait_for_figures() -> None:
    """Block until every importance plot submitted so far is drawn and logged.

    >>> mltrail.xgboost.wait_for_figures()
    """
    if _thread is not None and _thread.is_alive():
        _queue.join()


def draw_importance_png(scores: dict[str, float], importance_type: str, path: str) -> None:
    """Write a horizontal bar plot of ``scores`` (largest on top, at most 30 bars) to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    items = sorted(scores.items(), key=lambda kv: kv[1])[-_MAX_BARS:]
    names = [str(k) for k, _ in items]
    values = [float(v) for _, v in items]
    height = max(2.5, 0.3 * len(items) + 1.2)
    figure = Figure(figsize=(6.4, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.28, 0.12, 0.67, 0.8))
    positions = range(len(items))
    axes.barh(positions, values, color="#3b7dd8")
    axes.set_yticks(list(positions), names)
    axes.set_xlabel(f"importance ({importance_type})")
    axes.set_title(f"Feature importance: {importance_type}")
    figure.savefig(path)


def render_importance_plot(
    client: Any,
    run_id: str,
    scores: dict[str, float],
    importance_type: str,
    on_error: Callable[[BaseException], None],
) -> bool:
    """Queue the plot of ``scores`` for ``run_id``; False (nothing queued) without matplotlib."""
    if not matplotlib_installed():
        return False
    scores = dict(scores)

    def task() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="mltrail-importance-") as tmp:
                path = os.path.join(tmp, f"feature_importance_{importance_type}.png")
                draw_importance_png(scores, importance_type, path)
                client.log_artifact(run_id, path)
        except Exception as exc:
            on_error(exc)

    _submit(task)
    return True
