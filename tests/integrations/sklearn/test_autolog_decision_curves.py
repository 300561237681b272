"""ROC and precision-recall curves for classifiers without predict_proba (an SVC): from decision_function,
as MLflow draws them; the AUC equals scikit-learn's."""

from __future__ import annotations

import json

import pytest
from sklearn import metrics as skm
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC, LinearSVC

import mltrail


def _curve(client: mltrail.Client, run_id: str, name: str) -> dict:
    with open(client.download_artifacts(run_id, f"training_{name}.json"), encoding="utf-8") as fh:
        return json.load(fh)


def test_binary_svc_curves_come_from_its_decision_function(autolog_store, classification_data):
    X, _, y, _ = classification_data
    y = (y == 2).astype(int)
    mltrail.sklearn.autolog(log_models=False)
    model = SVC(random_state=0).fit(X, y)
    run_id = mltrail.last_active_run().info.run_id
    roc = _curve(autolog_store, run_id, "roc_curve")
    (curve,) = roc["curves"]
    expected = skm.roc_auc_score(y, model.decision_function(X))
    assert curve["auc"] == pytest.approx(expected, abs=1e-6)
    pr = _curve(autolog_store, run_id, "precision_recall_curve")
    assert pr["curves"][0]["average_precision"] == pytest.approx(
        skm.average_precision_score(y, model.decision_function(X)), abs=1e-6)


def test_a_search_over_an_svc_gets_the_curves_on_its_parent_run(autolog_store, classification_data):
    X, _, y, _ = classification_data
    y = (y == 2).astype(int)
    mltrail.sklearn.autolog(log_models=False)
    with mltrail.start_run() as run:
        GridSearchCV(LinearSVC(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    names = {f.path for f in autolog_store.list_artifacts(run.info.run_id)}
    assert {"training_roc_curve.png", "training_precision_recall_curve.png"} <= names
