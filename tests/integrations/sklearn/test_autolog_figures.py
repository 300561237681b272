"""sklearn figures written by the background writer: estimator.html, plot PNG + JSON, metric_info.json."""

from __future__ import annotations

import gc
import json
import os
import weakref

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression, Ridge

import mltrail
from mltrail.autologging import background, charts
from mltrail_sklearn import _autolog_plots


def _names(client: mltrail.Client, run_id: str) -> set[str]:
    return {f.path for f in client.list_artifacts(run_id)}


def _json(client: mltrail.Client, run_id: str, path: str) -> dict:
    with open(client.download_artifacts(run_id, path), encoding="utf-8") as fh:
        return json.load(fh)


def _files_on_disk(run) -> set[str]:
    root = run.info.artifact_uri.removeprefix("file://")
    return set(os.listdir(root)) if os.path.isdir(root) else set()


def test_figures_are_complete_once_the_run_owner_ends_the_run(autolog_store, classification_data):
    X, _, y, _ = classification_data
    mltrail.sklearn.autolog(log_models=False)
    with mltrail.start_run() as run:
        LogisticRegression(max_iter=300).fit(X, y)
    # read from disk, not through the client (itself a flush point): ending the run was enough
    on_disk = _files_on_disk(run)
    for stem in ("confusion_matrix", "roc_curve", "precision_recall_curve"):
        assert {f"training_{stem}.png", f"training_{stem}.json"} <= on_disk
    assert "estimator.html" in on_disk


def test_figures_of_a_run_the_fit_created_are_there_when_the_run_is_read(autolog_store, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    Ridge().fit(X, y)
    run = mltrail.last_active_run()
    assert run.info.status == "FINISHED"
    assert "estimator.html" in _names(autolog_store, run.info.run_id)


def test_binary_plot_json_has_the_ui_shapes_and_sklearns_numbers(autolog_store, classification_data):
    X, _, y, _ = classification_data
    y = (y == 2).astype(int)
    mltrail.sklearn.autolog(log_models=False)
    model = LogisticRegression(max_iter=300).fit(X, y)
    run_id = mltrail.last_active_run().info.run_id
    proba = model.predict_proba(X)[:, 1]

    cm = _json(autolog_store, run_id, "training_confusion_matrix.json")
    assert cm == {"kind": "confusion_matrix", "labels": [0, 1],
                  "matrix": skm.confusion_matrix(y, model.predict(X)).tolist()}

    roc = _json(autolog_store, run_id, "training_roc_curve.json")
    assert roc["kind"] == "roc_curve" and [c["label"] for c in roc["curves"]] == ["1"]
    (curve,) = roc["curves"]
    assert set(curve) == {"label", "fpr", "tpr", "auc"}
    assert curve["auc"] == pytest.approx(skm.roc_auc_score(y, proba))
    assert (curve["fpr"][0], curve["tpr"][0], curve["fpr"][-1], curve["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert all(isinstance(v, float) for v in curve["fpr"] + curve["tpr"])

    pr = _json(autolog_store, run_id, "training_precision_recall_curve.json")
    assert pr["kind"] == "precision_recall_curve"
    (curve,) = pr["curves"]
    assert set(curve) == {"label", "precision", "recall", "average_precision"} and curve["label"] == "1"
    assert curve["average_precision"] == pytest.approx(skm.average_precision_score(y, proba))
    assert len(curve["precision"]) == len(curve["recall"]) and curve["recall"][-1] == 1.0


def test_pos_label_picks_the_curve_and_multiclass_gets_one_curve_per_class(autolog_store, classification_data):
    X, _, y, _ = classification_data
    labels = np.array(["low", "mid", "high"])[y]
    mltrail.sklearn.autolog(log_models=False)
    model = LogisticRegression(max_iter=300).fit(X, labels)
    run_id = mltrail.last_active_run().info.run_id
    roc = _json(autolog_store, run_id, "training_roc_curve.json")
    assert [c["label"] for c in roc["curves"]] == ["high", "low", "mid"]  # model.classes_ order
    cm = _json(autolog_store, run_id, "training_confusion_matrix.json")
    assert cm["labels"] == ["high", "low", "mid"]
    assert cm["matrix"] == skm.confusion_matrix(labels, model.predict(X), labels=model.classes_).tolist()

    binary = np.where(y == 2, "yes", "no")
    mltrail.sklearn.autolog(log_models=False, pos_label="no")
    LogisticRegression(max_iter=300).fit(X, binary)
    roc = _json(autolog_store, mltrail.last_active_run().info.run_id, "training_roc_curve.json")
    assert [c["label"] for c in roc["curves"]] == ["no"]


def test_long_curves_are_downsampled_keeping_their_shape():
    rng = np.random.default_rng(3)
    positive = (rng.random(20_000) < 0.3).astype(float)
    score = positive * 0.35 + rng.random(20_000)
    fpr, tpr, recall, precision = _autolog_plots.curves(positive, score)
    assert len(fpr) > 5_000
    xs, ys = _autolog_plots.downsample(fpr, tpr)
    assert len(xs) <= _autolog_plots.MAX_CURVE_POINTS
    assert (xs[0], ys[0], xs[-1], ys[-1]) == (fpr[0], tpr[0], fpr[-1], tpr[-1])
    assert np.all(np.diff(xs) >= 0)  # points kept in order
    # the shape survives: every original point lies close to a kept one (vertical runs included)
    gaps = np.hypot(fpr[::7, None] - xs[None, :], tpr[::7, None] - ys[None, :]).min(axis=1)
    assert gaps.max() < 0.01
    assert float(np.trapezoid(ys, xs)) == pytest.approx(float(np.trapezoid(tpr, fpr)), abs=1e-3)
    short = np.array([0.0, 0.5, 1.0])
    assert _autolog_plots.downsample(short, short)[0] is short  # short curves untouched


def test_a_failing_drawing_warns_once_keeps_the_data_and_the_fit_result(
    autolog_store, autolog_warnings, classification_data, monkeypatch
):
    X, X_val, y, _ = classification_data

    def broken(*args, **kwargs):
        raise RuntimeError("no ink")

    monkeypatch.setattr(charts, "heatmap_png", broken)
    mltrail.sklearn.autolog(log_models=False)
    reference = LogisticRegression(max_iter=300)
    reference.fit(X, y)  # autologged too
    model = LogisticRegression(max_iter=300)
    assert model.fit(X, y) is model
    np.testing.assert_array_equal(model.predict(X_val), reference.predict(X_val))
    assert mltrail.flush_artifacts()
    assert autolog_warnings() == [
        "mltrail autologging (sklearn): could not draw the classifier plots: RuntimeError: no ink. "
        "The result of your call is unaffected."
    ]  # two fits, one warning
    names = _names(autolog_store, mltrail.last_active_run().info.run_id)
    assert "training_confusion_matrix.json" in names and "training_roc_curve.json" in names
    assert "training_confusion_matrix.png" not in names and "estimator.html" in names


def test_no_reference_to_the_training_data_outlives_the_fit(autolog_store, classification_data):
    X, _, y, _ = classification_data
    X, y = X.copy(), y.copy()
    refs = weakref.ref(X), weakref.ref(y)
    mltrail.sklearn.autolog(log_models=False)
    with background.busy():  # keep the writer from drawing: its queued tasks must not hold X or y
        model = LogisticRegression(max_iter=300).fit(X, y)
        run_id = mltrail.last_active_run().info.run_id
        assert background.pending(run_id) == 3  # estimator.html, plot data, plot PNGs
        del X, y
        gc.collect()
        assert [r() for r in refs] == [None, None]
    assert mltrail.flush_artifacts()
    assert "training_roc_curve.json" in _names(autolog_store, run_id) and model.coef_.shape[1] == 4


def test_estimator_html_shows_the_estimator_as_fitted_not_as_changed_later(autolog_store, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    with background.busy():  # the diagram is drawn after the user changed the estimator
        model = Ridge(alpha=0.25).fit(X, y)
        run_id = mltrail.last_active_run().info.run_id
        model.set_params(alpha=7.5)
    with open(autolog_store.download_artifacts(run_id, "estimator.html"), encoding="utf-8") as fh:
        page = fh.read()
    assert "alpha=0.25" in page and "7.5" not in page


def test_metric_info_json_names_each_post_training_metric_call_as_mlflow_does(autolog_store, regression_data):
    X_train, X_val, y_train, y_val = regression_data
    X_test, y_test = X_val[:10], y_val[:10]
    mltrail.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)
    pred_val, pred_test = model.predict(X_val), model.predict(X_test)
    skm.mean_squared_error(y_val, pred_val)
    skm.mean_squared_error(y_test, pred_test)  # MLflow counts calls per function, whatever the dataset
    skm.r2_score(y_val, y_pred=pred_val, multioutput="uniform_average")
    model.score(X_val, y_val)
    run = mltrail.last_active_run()
    run = autolog_store.get_run(run.info.run_id)
    expected = {  # what MLflow 3.17 writes for the same script
        "Ridge_score_X_val": "Ridge.score(X=X_val, y=y_val)",
        "mean_squared_error-2_X_test": "mean_squared_error(y_true=y_test, y_pred=pred_test)",
        "mean_squared_error_X_val": "mean_squared_error(y_true=y_val, y_pred=pred_val)",
        "r2_score_X_val": "r2_score(y_true=y_val, y_pred=pred_val, multioutput='uniform_average')",
    }
    assert _json(autolog_store, run.info.run_id, "metric_info.json") == expected
    assert set(expected) <= set(run.data.metrics)
