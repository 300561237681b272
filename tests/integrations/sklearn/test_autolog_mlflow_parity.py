"""sklearn autologging records what MLflow 3.17 records (issue 10, items 7, 11 and 14).

MLflow's behaviour was checked by running the same calls under mlflow-skinny
3.17 (benchmarks/.mlflow-venv): no run for a transformer fitted alone, none
for cross_val_score's folds, a search parent without ``estimator__*`` params,
child runs with each candidate's full params and the seed's estimator tags,
``estimator.html`` on every autologged run, a dataset input for sparse data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.svm import SVC

import mltrail
from mltrail._system_tags import PARENT_RUN_ID
from mltrail.entities import DATASET_CONTEXT_TAG


def _artifacts(client, run_id):
    return {f.path for f in client.list_artifacts(run_id)}


# -- item 7: transformers alone and library-internal fits are not runs ----------------------------
@pytest.mark.parametrize("make", [
    "sklearn.feature_extraction.DictVectorizer",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.impute.SimpleImputer",
    "sklearn.feature_selection.VarianceThreshold",
    "sklearn.compose.ColumnTransformer",
])
def test_a_transformer_fitted_alone_is_not_a_run(autolog_store, all_runs, make):
    import importlib

    module, name = make.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    mltrail.sklearn.autolog()
    if name == "DictVectorizer":
        out = cls().fit_transform([{"a": 1.0, "b": 2.0}, {"a": 3.0}])
    elif name == "ColumnTransformer":
        out = cls([("scale", "passthrough", [0])]).fit_transform(np.ones((4, 2)))
    else:
        out = cls().fit_transform(np.arange(8.0).reshape(4, 2))
    assert out.shape[0] in (2, 4)
    assert all_runs() == []


def test_log_transformers_option_logs_them(autolog_store, all_runs):
    from sklearn.preprocessing import StandardScaler

    mltrail.sklearn.autolog(log_transformers=True, log_models=False)
    StandardScaler().fit(np.arange(8.0).reshape(4, 2))
    (run,) = all_runs()
    assert run.data.tags["estimator_name"] == "StandardScaler"


def test_a_pipeline_still_logs_its_transformer_steps(autolog_store, all_runs, regression_data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    make_pipeline(StandardScaler(with_mean=False), Ridge()).fit(X, y)
    (run,) = all_runs()
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["standardscaler__with_mean"] == "False"


def test_library_fits_never_overwrite_the_users_run(autolog_store, all_runs, classification_data):
    from sklearn.metrics import classification_report
    from sklearn.model_selection import cross_val_score

    X, _, y, _ = classification_data
    mltrail.sklearn.autolog(log_models=False, log_plots=False)
    with mltrail.start_run():
        model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
        classification_report(y.astype(str), model.predict(X).astype(str))  # fits a LabelEncoder inside
        cross_val_score(Ridge(), X, y, cv=3)  # fits three Ridge clones inside
    (run,) = all_runs()
    assert run.data.tags["estimator_name"] == "RandomForestClassifier"
    assert run.data.tags["estimator_class"] == "sklearn.ensemble._forest.RandomForestClassifier"
    assert "alpha" not in run.data.params  # nothing of the folds' Ridge


def test_a_mixin_calling_fit_on_its_own_instance_is_still_the_users_call(autolog_store, all_runs):
    from sklearn.cluster import KMeans

    mltrail.sklearn.autolog(log_models=False)
    labels = KMeans(n_clusters=2, n_init=1, random_state=0).fit_predict(np.r_[np.zeros((5, 2)), np.ones((5, 2))])
    assert len(set(labels)) == 2
    (run,) = all_runs()  # ClusterMixin.fit_predict (sklearn code) calls self.fit: the user's fit
    assert run.data.tags["estimator_name"] == "KMeans"


def test_demo_has_no_dictvectorizer_run(autolog_store, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mltrail.cli.demo import demo

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        demo, ["--tracking-uri", mltrail.get_tracking_uri(), "--trials", "2", "--rows", "500"]
    )
    assert result.exit_code == 0, result.output
    assert "1 scikit-learn run (Pipeline)" in result.output  # the seed's bare DictVectorizer is no run


# -- item 11: search runs -----------------------------------------------------------------------------
@pytest.mark.parametrize("search_class", [GridSearchCV, RandomizedSearchCV])
def test_search_children_carry_full_params_tags_and_dataset(autolog_store, all_runs, classification_data,
                                                            search_class):
    X, _, y, _ = classification_data
    mltrail.sklearn.autolog(log_models=False, log_plots=False, max_tuning_runs=None)
    grid = {"C": [0.5, 1.0, 2.0]}
    kwargs = {"n_iter": 3, "random_state": 0} if search_class is RandomizedSearchCV else {}
    search = search_class(SVC(kernel="linear"), grid, cv=2, **kwargs).fit(X, y)
    runs = all_runs()
    (parent,) = [r for r in runs if PARENT_RUN_ID not in r.data.tags]
    children = [r for r in runs if PARENT_RUN_ID in r.data.tags]
    assert len(children) == 3
    # the parent: the search's own params (not deep) plus best_*
    assert not any(k.startswith("estimator__") for k in parent.data.params)
    assert parent.data.params["estimator"] == "SVC(kernel='linear')" and parent.data.params["cv"] == "2"
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    seed_params = SVC(kernel="linear").get_params(deep=True)
    for child in children:
        c = float(child.data.params["C"])
        expected = {k: str(v) for k, v in {**seed_params, "C": c}.items()}
        assert child.data.params == expected  # all 15 SVC params, the candidate's C
        assert child.data.tags["estimator_name"] == "SVC"
        assert child.data.tags["estimator_class"] == "sklearn.svm._classes.SVC"
        assert child.info.start_time == parent.info.start_time
        assert not any(k.startswith(("split", "param")) for k in child.data.metrics)
        assert {"mean_test_score", "rank_test_score", "mean_fit_time"} <= set(child.data.metrics)
        (inp,) = child.inputs.dataset_inputs
        assert [t.value for t in inp.tags if t.key == DATASET_CONTEXT_TAG] == ["train"]
        assert inp.dataset.digest == parent.inputs.dataset_inputs[0].dataset.digest


def test_grid_search_over_xgboost_children_get_its_full_params(autolog_store, all_runs, regression_data):
    xgb = pytest.importorskip("xgboost")
    X, _, y, _ = regression_data
    mltrail.autolog(log_models=False)
    GridSearchCV(xgb.XGBRegressor(n_estimators=5, n_jobs=1), {"max_depth": [2, 3]}, cv=2).fit(X, y)
    runs = all_runs()
    assert len(runs) == 3  # the search and its two candidates: no run per inner XGBoost fit
    (parent,) = [r for r in runs if PARENT_RUN_ID not in r.data.tags]
    assert parent.data.tags["estimator_name"] == "GridSearchCV"
    full = xgb.XGBRegressor(n_estimators=5, n_jobs=1).get_params(deep=True)
    for child in (r for r in runs if r is not parent):
        assert set(child.data.params) == set(full)
        assert child.data.params["n_estimators"] == "5" and child.data.params["learning_rate"] == "None"
        assert child.data.params["max_depth"] in ("2", "3")
        assert child.data.tags["estimator_class"] == "xgboost.sklearn.XGBRegressor"


# -- item 14: estimator.html and sparse datasets --------------------------------------------------------
def test_estimator_html_is_sklearns_diagram(autolog_store, all_runs, regression_data):
    from sklearn.utils import estimator_html_repr

    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    model = Ridge(alpha=0.25).fit(X, y)
    (run,) = all_runs()
    assert "estimator.html" in _artifacts(autolog_store, run.info.run_id)
    with open(autolog_store.download_artifacts(run.info.run_id, "estimator.html"), encoding="utf-8") as fh:
        page = fh.read()
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="UTF-8"/>' in page
    assert estimator_html_repr(model).split("sk-container-id")[0] in page and "alpha=0.25" in page


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_training_data_is_a_dataset_input(autolog_store, all_runs, regression_data, fmt):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    Ridge().fit(X_sparse, y)
    changed = X_sparse.tolil()
    changed[3, 1] = 42.0
    Ridge().fit(changed.asformat(fmt), y)
    first, second = all_runs()
    (inp,) = first.inputs.dataset_inputs
    assert [t.value for t in inp.tags if t.key == DATASET_CONTEXT_TAG] == ["train"]
    schema = json.loads(inp.dataset.schema)["mlflow_tensorspec"]
    assert json.loads(schema["features"]) == [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]
    assert json.loads(schema["targets"])[0]["tensor-spec"]["shape"] == [-1]
    assert json.loads(inp.dataset.profile) == {"num_rows": 90, "num_elements": 360}
    assert second.inputs.dataset_inputs[0].dataset.digest != inp.dataset.digest  # one changed value shows
