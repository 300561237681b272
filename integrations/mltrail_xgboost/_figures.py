"""Feature-importance bar plots as PNG, drawn by autologging's background writer.

The chart (``mltrail.autologging.charts.bar_chart_png``: feature names on
the left, one bar per feature, largest on top, at most 30, the value at the
end of each bar) costs a few milliseconds; :func:`importance_render`
makes it a task for ``mltrail.autologging.background`` so that ``xgboost.train``
returns without waiting. The PNG is in the run once ``mltrail.flush_artifacts()``
(or :func:`wait_for_figures`) returns, when the run is read or ended through
mltrail, and at exit::

    booster = xgboost.train(params, dtrain)     # returns without waiting for the plot
    mltrail.xgboost.wait_for_figures()          # the PNG is in the run now
"""

from __future__ import annotations

from typing import Callable, Optional

from mltrail.autologging import background, charts

MAX_BARS = 30


def _top_items(scores: dict[str, float]) -> list[tuple[str, float]]:
    items = sorted(((str(k), float(v)) for k, v in scores.items()), key=lambda kv: kv[1], reverse=True)
    return items[:MAX_BARS]


def importance_png(scores: dict[str, float], importance_type: str) -> Optional[bytes]:
    """A PNG bar chart of ``scores``; None when there is nothing to draw or Pillow is missing.

    >>> importance_png({"f0": 12.0, "f1": 3.0}, "weight")[:4]
    b'\\x89PNG'
    """
    items = _top_items(scores)
    if not items or not charts.available():
        return None
    return charts.bar_chart_png(items, f"Feature importance ({importance_type})")


def wait_for_figures(timeout: Optional[float] = background.FLUSH_TIMEOUT) -> bool:
    """Block until every figure submitted so far (by any integration) is drawn and logged.

    Same as ``mltrail.flush_artifacts()``; returns False when ``timeout`` seconds passed first.

    >>> mltrail.xgboost.wait_for_figures()
    True
    """
    return background.flush(None, timeout)


def importance_render(scores: dict[str, float], importance_type: str) -> Optional[Callable[[], Optional[dict[str, bytes]]]]:
    """A render for the background writer: ``feature_importance_<type>.png`` of ``scores`` (copied now).

    None when there is nothing to draw or Pillow is missing::

        render = importance_render(booster.get_score(importance_type="gain"), "gain")
        call.log_artifacts_later("draw the gain importance plot", render)
    """
    if not scores or not charts.available():
        return None
    scores = dict(scores)
    name = f"feature_importance_{importance_type}.png"

    def render() -> Optional[dict[str, bytes]]:
        png = importance_png(scores, importance_type)
        return None if png is None else {name: png}

    return render
