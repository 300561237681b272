"""sklearn autologging of plain fits: what a run holds, which calls are covered, rules 2-5."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import mltrail
from tests.integrations._logged import has_model, model_folder
from mltrail_sklearn import integration


def artifact_names(client: mltrail.Client, run_id: str, path=None) -> set[str]:
    return {os.path.basename(f.path) for f in client.list_artifacts(run_id, path)}


def test_ridge_fit_logs_params_metrics_tags_and_model(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog()
    model = Ridge(alpha=0.5)
    returned = model.fit(X, y)
    assert returned is model
    (run,) = all_runs()
    assert run.info.status == "FINISHED"
    assert run.data.params["alpha"] == "0.5" and run.data.params["solver"] == "auto"
    assert run.data.tags["estimator_name"] == "Ridge"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._ridge.Ridge"
    pred = model.predict(X)
    m = run.data.metrics
    assert m["training_mean_squared_error"] == pytest.approx(skm.mean_squared_error(y, pred), rel=1e-9)
    assert m["training_root_mean_squared_error"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)), rel=1e-9)
    assert m["training_mean_absolute_error"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-9)
    assert m["training_r2_score"] == pytest.approx(skm.r2_score(y, pred), rel=1e-9)
    assert m["training_score"] == pytest.approx(model.score(X, y), rel=1e-9)
    loaded = mltrail.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), pred)
    assert mltrail.active_run() is None


def test_classifier_metrics_match_sklearn_and_plots_are_logged(autolog_store, all_runs, classification_data):
    X, _, y, _ = classification_data
    mltrail.sklearn.autolog(log_models=False)
    model = LogisticRegression(max_iter=500).fit(X, y)
    (run,) = all_runs()
    pred, proba = model.predict(X), model.predict_proba(X)
    m = run.data.metrics
    assert m["training_accuracy_score"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["training_precision_score"] == pytest.approx(skm.precision_score(y, pred, average="weighted"))
    assert m["training_recall_score"] == pytest.approx(skm.recall_score(y, pred, average="weighted"))
    assert m["training_f1_score"] == pytest.approx(skm.f1_score(y, pred, average="weighted"))
    assert m["training_log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert m["training_roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    )
    assert m["training_score"] == pytest.approx(model.score(X, y))
    names = artifact_names(autolog_store, run.info.run_id)
    assert {"training_confusion_matrix.png", "training_roc_curve.png", "training_precision_recall_curve.png"} <= names
    assert not has_model(run.info.run_id, client=autolog_store)
    png = autolog_store.download_artifacts(run.info.run_id, "training_confusion_matrix.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_signature_and_input_example_follow_config(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_input_examples=True, log_model_signatures=True)
    Ridge().fit(X, y)
    mltrail.sklearn.autolog(log_input_examples=False, log_model_signatures=False)
    Ridge().fit(X, y)
    with_both, with_neither = all_runs()
    from mltrail.models import Model

    def mlmodel(run):
        folder = model_folder(run.info.run_id, client=autolog_store)
        return Model.load(os.path.join(folder, "MLmodel"))

    first, second = mlmodel(with_both), mlmodel(with_neither)
    assert first.signature is not None and first.saved_input_example_info is not None
    assert second.signature is None and second.saved_input_example_info is None


def test_dataframe_input_gives_named_signature_and_example(autolog_store, all_runs, regression_data):
    import pandas as pd

    X, _, y, _ = regression_data
    frame = pd.DataFrame(X, columns=["trip_distance", "passengers", "hour", "weekday"])
    mltrail.sklearn.autolog(log_input_examples=True)
    Ridge().fit(frame, y)
    (run,) = all_runs()
    from mltrail.models import Model

    folder = model_folder(run.info.run_id, client=autolog_store)
    model = Model.load(os.path.join(folder, "MLmodel"))
    assert [c["name"] for c in model.signature.inputs.to_dict()] == list(frame.columns)
    loaded = mltrail.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(frame.iloc[:3]), Ridge().fit(frame, y).predict(frame.iloc[:3]))


def test_registered_model_name_registers_each_autologged_model(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(registered_model_name="taxi-duration")
    Ridge(alpha=0.1).fit(X, y)
    Ridge(alpha=0.2).fit(X, y)
    first, second = all_runs()
    versions = autolog_store.search_model_versions("name = 'taxi-duration'")
    assert sorted((v.version, v.run_id) for v in versions) == [(1, first.info.run_id), (2, second.info.run_id)]
    model = mltrail.sklearn.load_model("models:/taxi-duration/2")
    assert model.alpha == 0.2


def test_active_user_run_is_reused_and_left_running(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    with mltrail.start_run() as run:
        mltrail.log_param("owner", "me")
        Ridge().fit(X, y)
        assert autolog_store.get_run(run.info.run_id).info.status == "RUNNING"
    (logged,) = all_runs()
    assert logged.info.run_id == run.info.run_id
    assert logged.data.params["owner"] == "me" and "training_score" in logged.data.metrics


def test_pipeline_is_one_run_with_every_steps_params(autolog_store, all_runs, classification_data):
    X, _, y, _ = classification_data
    mltrail.sklearn.autolog(log_models=False, log_plots=False)
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=3)), ("clf", LogisticRegression(C=0.3))])
    pipe.fit(X, y)
    (run,) = all_runs()
    params = run.data.params
    assert params["scale__with_mean"] == "True"
    assert params["pca__n_components"] == "3"
    assert params["clf__C"] == "0.3"
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.metrics["training_score"] == pytest.approx(pipe.score(X, y))


def test_user_estimator_defined_after_autolog_is_covered(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)

    class MeanRegressor(RegressorMixin, BaseEstimator):
        def __init__(self, shrink=1.0):
            self.shrink = shrink

        def fit(self, X, y):
            self.mean_ = float(np.mean(y)) * self.shrink
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    MeanRegressor(shrink=0.5).fit(X, y)
    (run,) = all_runs()
    assert run.data.params == {"shrink": "0.5"}
    assert run.data.tags["estimator_name"] == "MeanRegressor"
    assert "training_mean_squared_error" in run.data.metrics


def test_every_registered_estimator_fit_is_patched(autolog_store):
    from sklearn.utils import all_estimators

    mltrail.sklearn.autolog()
    missing = []
    for name, cls in all_estimators():
        for method in ("fit", "fit_transform", "fit_predict"):
            owner = next((k for k in cls.__mro__ if method in vars(k)), None)
            if owner is None or not issubclass(owner, BaseEstimator):
                continue  # inherited from a mixin: it calls a patched fit
            if not integration.is_wrapped(owner, method):
                missing.append(f"{name}.{method}")
    assert missing == []
    mltrail.sklearn.autolog(disable=True)
    assert not any(integration.is_wrapped(cls, "fit") for _, cls in all_estimators())


def test_disable_restores_exact_original_callables(autolog_store):
    before = {cls: vars(cls)["fit"] for cls in (Ridge, LogisticRegression, KMeans, Pipeline)}
    hook_before = vars(BaseEstimator).get("__init_subclass__")
    mltrail.sklearn.autolog()
    mltrail.sklearn.autolog()  # idempotent
    assert all(vars(cls)["fit"] is not fit for cls, fit in before.items())
    mltrail.autolog(disable=True)
    assert all(vars(cls)["fit"] is fit for cls, fit in before.items())
    assert vars(BaseEstimator).get("__init_subclass__") is hook_before


def test_transformer_fit_transform_and_clusterer_fit_predict(autolog_store, all_runs, classification_data):
    X, _, _, _ = classification_data
    mltrail.sklearn.autolog(log_models=False)
    PCA(n_components=2).fit_transform(X)
    labels = KMeans(n_clusters=3, n_init=2, random_state=0).fit_predict(X)
    pca_run, kmeans_run = all_runs()
    assert pca_run.data.params["n_components"] == "2"
    assert kmeans_run.data.tags["estimator_name"] == "KMeans"
    assert kmeans_run.data.metrics["training_silhouette_score"] == pytest.approx(skm.silhouette_score(X, labels))


def test_failing_fit_propagates_and_run_ends_failed(autolog_store, all_runs, autolog_warnings):
    mltrail.sklearn.autolog()
    X = np.array([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(ValueError, match="NaN") as info:
        Ridge().fit(X, [1.0, 2.0])
    assert type(info.value) is ValueError
    (run,) = all_runs()
    assert run.info.status == "FAILED"
    assert run.data.params["alpha"] == "1.0"
    assert autolog_warnings() == []


def test_framework_imported_after_autolog(tmp_path, sqlite_uri):
    script = textwrap.dedent(
        """
        import json, sys
        import mltrail
        mltrail.set_tracking_uri(sys.argv[1])
        mltrail.autolog(log_models=False)
        assert "sklearn" not in sys.modules
        from sklearn.linear_model import Ridge
        Ridge(alpha=2.0).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
        run = mltrail.last_active_run()
        print(json.dumps({"alpha": run.data.params.get("alpha"), "status": run.info.status}))
        """
    )
    path = tmp_path / "late_import.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path), sqlite_uri], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"alpha": "2.0", "status": "FINISHED"}


def test_exclusive_leaves_user_run_alone(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(exclusive=True, log_models=False)
    with mltrail.start_run() as run:
        Ridge().fit(X, y)
    assert autolog_store.get_run(run.info.run_id).data.params == {}


def test_universal_autolog_does_not_override_framework_config(autolog_store, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False, extra_tags={"by": "sklearn.autolog"})
    mltrail.autolog(extra_tags={"by": "mltrail.autolog"})
    Ridge().fit(X, y)
    (run,) = all_runs()
    assert run.data.tags["by"] == "sklearn.autolog"
    assert not has_model(run.info.run_id, client=autolog_store)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_inner_fits_in_parallel_workers_are_not_runs(autolog_store, all_runs, regression_data, backend):
    import joblib
    from sklearn.ensemble import BaggingRegressor, IsolationForest

    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    with joblib.parallel_backend(backend, n_jobs=2):
        BaggingRegressor(Ridge(), n_estimators=4, n_jobs=2, random_state=0).fit(X, y)
    IsolationForest(n_estimators=4, n_jobs=2, random_state=0).fit(X)  # sklearn picks threads itself
    runs = all_runs()
    assert [r.data.tags["estimator_name"] for r in runs] == ["BaggingRegressor", "IsolationForest"]
