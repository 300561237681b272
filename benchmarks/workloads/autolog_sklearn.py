"""sklearn autologging overhead per fit, mltrail against MLflow on the same data.

Each workload fits the same estimator on the same generated data (442 rows,
10 features, like sklearn's diabetes set) ``repeats`` times without
autologging and with ``<api>.sklearn.autolog(...)`` (every fit then makes
its own run: params, training metrics, tags, model and environment files
when ``log_models``), alternating in ``blocks``. The result is
median(autologged fit) - median(plain fit) in ms; the first autologged fit
(one-time imports and caches) is reported apart. mltrail writes estimator.html
and the plots on a background thread: the workload waits for them after each
fit outside the timed part (``artifact_wait_ms``), and ``cpu_overhead_ms``
counts all the CPU autologging added, background included. ``autolog_sklearn_after_disable``
compares fits before ``autolog()`` and after ``autolog(disable=True)``. Both tools run with their
default options except ``log_models`` and ``silent=True``.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ..measure import median, timings_ms
from ..spec import Context, Measurement, Target, Workload


def _data(classification: bool):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(442, 10))
    y = X @ rng.normal(size=10) + rng.normal(0, 0.5, 442)
    if classification:
        y = (y > np.median(y)).astype(int)
    return X, y


def _estimator(name: str) -> tuple[Callable[[], Any], bool]:
    """(factory, is_classification) for a workload's estimator."""
    if name == "ridge":
        from sklearn.linear_model import Ridge

        return (lambda: Ridge(alpha=1.0)), False
    if name == "random_forest":
        from sklearn.ensemble import RandomForestRegressor

        return (lambda: RandomForestRegressor(n_estimators=20, max_depth=8, random_state=0)), False
    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        return (lambda: LogisticRegression(max_iter=200)), True
    if name == "grid_search":
        from sklearn.linear_model import Ridge as Base
        from sklearn.model_selection import GridSearchCV

        grid = {"alpha": [0.01, 0.1, 1.0, 10.0], "solver": ["auto", "svd", "cholesky"]}  # 12 candidates
        return (lambda: GridSearchCV(Base(), grid, cv=3)), False
    raise KeyError(name)


def _timed(fit: Callable[[int], None], repeats: int, budget_s: float, wait: Callable[[], Any]) -> list[tuple[float, float, float]]:
    """(wall ms of the fit, ms then spent waiting for background artifacts, CPU ms of both) per fit."""
    out: list[tuple[float, float, float]] = []
    deadline = time.perf_counter() + budget_s
    for i in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fit(i)
        t1 = time.perf_counter()
        wait()
        out.append(((t1 - t0) * 1000, (time.perf_counter() - t1) * 1000, (time.process_time() - c0) * 1000))
        if len(out) >= 2 and time.perf_counter() > deadline:
            break
    return out


def _overhead(estimator: str, log_models: bool):
    def run(api, ctx: Context) -> Measurement:
        api.set_tracking_uri(ctx.tracking_uri)
        make, classification = _estimator(estimator)
        X, y = _data(classification)
        repeats, budget, blocks = ctx.params["repeats"], ctx.params["budget_s"], ctx.params["blocks"]
        per_block, block_budget = max(1, repeats // blocks), budget / (2 * blocks)
        make().fit(X, y)  # warm sklearn itself up
        # mltrail draws estimator.html and plots in the background: wait for them after each
        # fit, outside the timed part (reported apart as artifact_wait_ms; cpu_overhead_ms has it all).
        wait = getattr(api, "flush_artifacts", lambda: None)

        def fit(_i: int) -> None:
            make().fit(X, y)

        # Plain and autologged fits alternate in blocks, so that a change in machine load
        # during the measurement shifts both medians alike.
        plain: list[tuple[float, float, float]] = []
        autologged: list[tuple[float, float, float]] = []
        first = None
        for _ in range(blocks):
            plain += _timed(fit, per_block, block_budget, lambda: None)
            api.sklearn.autolog(log_models=log_models, silent=True)
            times = _timed(fit, per_block + (first is None), block_budget, wait)
            if first is None:
                first, times = times[0][0], times[1:]
            autologged += times
            run_data = api.last_active_run().data
            api.sklearn.autolog(disable=True)
            if not run_data.params or not run_data.metrics:
                raise AssertionError(f"the last autologged fit logged nothing: {run_data}")
        column = lambda rows, i: [r[i] for r in rows]  # noqa: E731
        return Measurement(
            median(column(autologged, 0)) - median(column(plain, 0)),
            {
                "fit_ms": round(median(column(plain, 0)), 2),
                "autologged_fit_ms": round(median(column(autologged, 0)), 2),
                "artifact_wait_ms": round(median(column(autologged, 1)), 2),
                "cpu_overhead_ms": round(median(column(autologged, 2)) - median(column(plain, 2)), 2),
                "first_autologged_fit_ms": round(first, 1),
                "fits": len(autologged),
                "metrics_logged": len(run_data.metrics),
            },
        )

    return run


def _after_disable(api, ctx: Context) -> Measurement:
    """Fit time after autolog(disable=True) minus fit time before autolog() was ever called."""
    api.set_tracking_uri(ctx.tracking_uri)
    make, _ = _estimator("ridge")
    X, y = _data(False)
    repeats, budget = ctx.params["repeats"], ctx.params["budget_s"]
    make().fit(X, y)
    before = timings_ms(lambda i: make().fit(X, y), repeats, budget_s=budget)
    api.sklearn.autolog(log_models=False, silent=True)
    make().fit(X, y)
    api.sklearn.autolog(disable=True)
    after = timings_ms(lambda i: make().fit(X, y), repeats, budget_s=budget)
    return Measurement(
        median(after) - median(before),
        {"fit_before_ms": round(median(before), 3), "fit_after_disable_ms": round(median(after), 3),
         "fits": min(len(before), len(after))},
    )


_SIZES = {
    "params": {"repeats": 30, "blocks": 3, "budget_s": 60.0},
    "quick_params": {"repeats": 3, "blocks": 1, "budget_s": 10.0},
}
_ROWS = [
    # name, estimator, log_models, target (ms of overhead per fit), order
    ("autolog_sklearn_ridge", "ridge", True, Target.at_most(15, "ms"), 70),
    ("autolog_sklearn_ridge_no_model", "ridge", False, Target.at_most(3, "ms"), 71),
    ("autolog_sklearn_random_forest", "random_forest", True, Target.at_most(15, "ms"), 72),
    ("autolog_sklearn_logistic", "logistic", True, Target.at_most(15, "ms"), 73),
    ("autolog_sklearn_grid_search", "grid_search", True, None, 74),
]
_WHAT = {
    "ridge": "Ridge fit",
    "random_forest": "RandomForestRegressor(20 trees) fit",
    "logistic": "LogisticRegression fit (metrics, 3 plots)",
    "grid_search": "GridSearchCV(Ridge, 12 candidates, cv=3) fit (5 child runs, 2 models)",
}

WORKLOADS = [
    Workload(
        name=name,
        run=_overhead(estimator, log_models),
        unit="ms",
        description=f"autolog overhead per {_WHAT[estimator]}, "
        + ("model and env files included" if log_models else "log_models=False")
        + ", median",
        target=target,
        order=order,
        **_SIZES,
    )
    for name, estimator, log_models, target, order in _ROWS
] + [
    Workload(
        name="autolog_sklearn_after_disable",
        run=_after_disable,
        unit="ms",
        description="Ridge fit time after autolog(disable=True) minus before autolog(), median",
        target=Target.at_most(0.05, "ms"),
        params={"repeats": 200, "budget_s": 20.0},
        quick_params={"repeats": 20, "budget_s": 5.0},
        order=75,
    )
]
