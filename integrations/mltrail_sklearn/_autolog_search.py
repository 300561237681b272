"""GridSearchCV / RandomizedSearchCV: what the parent run gets beyond a plain fit.

The parent run (the search's own autologged run) gets the search's own
params (``get_params(deep=False)``: no ``estimator__*``), ``best_<param>``
params, ``best_cv_score``, ``cv_results.csv`` and, with ``log_models``, the
refitted best estimator under ``best_estimator``. The best
``max_tuning_runs`` candidates (by ``rank_test_<refit metric>``; None = all)
become finished child runs, as MLflow makes them: the candidate's full params
(the seed estimator's ``get_params(deep=True)`` updated with the candidate's),
tags ``estimator_name`` / ``estimator_class`` of the seed estimator, the
numeric cv results except ``param_*`` and ``split*`` columns as metrics
(``mean_test_score``, ``std_test_score``, ``rank_test_score``, fit times),
the training data as dataset input, and the parent's start time. They are
created after the search, so the inner fits themselves never open runs (the
outermost call wins).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mltrail.autologging import AutologCall


def _rank_key(search: Any) -> str:
    refit = getattr(search, "refit", True)
    if isinstance(refit, str):
        return f"rank_test_{refit}"
    return "rank_test_score"


def _candidate_metrics(cv_results: dict, index: int) -> dict[str, float]:
    metrics = {}
    for key, column in cv_results.items():
        if key.startswith(("param", "split")):  # params are logged as params; per-split scores are noise
            continue
        value = np.asarray(column)[index]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            continue
        metrics[key] = float(value)
    return metrics


def is_search(estimator: Any) -> bool:
    """True for GridSearchCV, RandomizedSearchCV and other ``BaseSearchCV`` estimators."""
    from sklearn.model_selection._search import BaseSearchCV

    return isinstance(estimator, BaseSearchCV)


def _base_params(search: Any) -> dict[str, Any]:
    """The seed estimator's params (deep, unless the seed is itself a search), as MLflow logs them."""
    seed = search.estimator
    return seed.get_params(deep=not is_search(seed))


def log_search(call: AutologCall, search: Any, dataset: Any = None) -> None:
    """Best params/score, cv_results.csv, child runs (called after the search's fit returned).

    ``dataset`` (the training data's dataset, or None) becomes each child run's input.
    """
    if hasattr(search, "best_params_"):
        call.log_params({f"best_{k}": v for k, v in search.best_params_.items()})
    if hasattr(search, "best_score_"):
        call.log_metrics({"best_cv_score": search.best_score_})
    cv_results = getattr(search, "cv_results_", None)
    if cv_results is None:
        return
    call.safely("log cv_results.csv", _log_cv_results, call, cv_results)
    call.safely("log child runs for the best candidates", _log_children, call, search, cv_results, dataset)


def _log_cv_results(call: AutologCall, cv_results: dict) -> None:
    import pandas as pd

    call.log_artifact_bytes(pd.DataFrame(cv_results).to_csv(index=False).encode("utf-8"), "cv_results.csv")


def _log_children(call: AutologCall, search: Any, cv_results: dict, dataset: Any) -> None:
    limit = call.config.get("max_tuning_runs", 5)
    if limit is not None and limit <= 0:
        return
    ranks = np.asarray(cv_results.get(_rank_key(search), np.arange(1, len(cv_results["params"]) + 1)))
    order = np.argsort(ranks, kind="stable")
    chosen = order if limit is None else order[:limit]
    parent_name = type(search).__name__
    seed_class = type(search.estimator)
    tags = {"estimator_name": seed_class.__name__, "estimator_class": f"{seed_class.__module__}.{seed_class.__name__}"}
    base = _base_params(search)
    start_time = call.notes.get("start_time")
    for index in chosen:
        params = dict(base)
        params.update(cv_results["params"][index])
        call.log_child_run(
            run_name=f"{parent_name}-candidate-{int(index)}",
            params=params,
            metrics=_candidate_metrics(cv_results, int(index)),
            tags=tags,
            dataset=dataset,
            start_time=start_time,
        )
