"""GridSearchCV / RandomizedSearchCV: one parent run, child runs for the best candidates."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import mltrail

PARENT_TAG = "mlflow.parentRunId"


def test_grid_search_parent_and_child_runs(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(max_tuning_runs=3)
    grid = {"alpha": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False], "solver": ["auto", "svd"]}
    search = GridSearchCV(Ridge(), grid, cv=3).fit(X, y)
    runs = all_runs()
    parents = [r for r in runs if PARENT_TAG not in r.data.tags]
    children = [r for r in runs if PARENT_TAG in r.data.tags]
    assert len(parents) == 1 and len(children) == 3  # 16 candidates x 3 folds: no run per inner fit
    parent = parents[0]
    assert parent.data.tags["estimator_name"] == "GridSearchCV"
    assert parent.data.params["best_alpha"] == str(search.best_params_["alpha"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert {c.data.tags[PARENT_TAG] for c in children} == {parent.info.run_id}
    assert all(c.info.status == "FINISHED" for c in children)
    ranks = sorted(c.data.metrics["rank_test_score"] for c in children)
    assert ranks == sorted(np.sort(search.cv_results_["rank_test_score"])[:3].astype(float).tolist())
    best_child = min(children, key=lambda c: c.data.metrics["rank_test_score"])
    assert best_child.data.params["alpha"] == str(search.best_params_["alpha"])
    assert best_child.data.metrics["mean_test_score"] == pytest.approx(search.best_score_)

    csv_path = autolog_store.download_artifacts(parent.info.run_id, "cv_results.csv")
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 16 and "mean_test_score" in rows[0]
    best = mltrail.sklearn.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    assert type(best) is Ridge and best.alpha == search.best_params_["alpha"]
    whole = mltrail.sklearn.load_model(f"runs:/{parent.info.run_id}/model")
    np.testing.assert_allclose(whole.predict(X), search.predict(X))


def test_randomized_search_over_pipeline_with_all_children(autolog_store, all_runs, classification_data):
    X, _, y, _ = classification_data
    mltrail.sklearn.autolog(max_tuning_runs=None, log_models=False, log_plots=False)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])
    RandomizedSearchCV(pipe, {"clf__C": [0.01, 0.1, 1.0, 10.0]}, n_iter=4, cv=2, random_state=0).fit(X, y)
    runs = all_runs()
    children = [r for r in runs if PARENT_TAG in r.data.tags]
    assert len(runs) == 5 and len(children) == 4
    assert {c.data.params["clf__C"] for c in children} == {"0.01", "0.1", "1.0", "10.0"}


def test_search_without_refit_still_logs_results(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(max_tuning_runs=0)
    GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2, refit=False).fit(X, y)
    (run,) = all_runs()
    assert run.data.params["best_alpha"] in {"0.1", "1.0"}
    names = {f.path for f in autolog_store.list_artifacts(run.info.run_id)}
    assert names == {"cv_results.csv"}
