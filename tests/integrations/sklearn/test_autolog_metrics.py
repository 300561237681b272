"""The numpy training metrics equal sklearn's own functions (weights, ties, multi-class, multi-output)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mltrail_sklearn._autolog_metrics import classification_scores, probability_scores, regression_scores

rng = np.random.default_rng(3)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_classification_scores_match_sklearn(n_classes, weighted):
    y = rng.integers(0, n_classes, 300)
    y_pred = np.where(rng.random(300) < 0.7, y, rng.integers(0, n_classes, 300))
    y_pred[y_pred == n_classes - 1] = 0  # one class never predicted: zero_division path
    w = rng.random(300) if weighted else None
    got = classification_scores(y, y_pred, w)
    assert got["accuracy_score"] == pytest.approx(skm.accuracy_score(y, y_pred, sample_weight=w), abs=1e-12)
    for name, fn in [("precision_score", skm.precision_score), ("recall_score", skm.recall_score),
                     ("f1_score", skm.f1_score)]:
        expected = fn(y, y_pred, average="weighted", sample_weight=w, zero_division=0)
        assert got[name] == pytest.approx(expected, abs=1e-12), name


def test_string_labels():
    y = np.array(["cat", "dog", "dog", "eel", "cat"])
    p = np.array(["cat", "dog", "eel", "eel", "dog"])
    got = classification_scores(y, p)
    assert got["f1_score"] == pytest.approx(skm.f1_score(y, p, average="weighted"))


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
def test_probability_scores_match_sklearn_with_ties(n_classes, weighted):
    y = rng.integers(0, n_classes, 400)
    raw = np.round(rng.random((400, n_classes)) + np.eye(n_classes)[y] * 0.6, 1)  # rounding makes ties
    proba = raw / raw.sum(axis=1, keepdims=True)
    w = rng.random(400) if weighted else None
    classes = np.arange(n_classes)
    got = probability_scores(y, proba, classes, w)
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba, sample_weight=w, labels=classes), rel=1e-9)
    if n_classes == 2:
        expected_auc = skm.roc_auc_score(y, proba[:, 1], sample_weight=w)
    else:
        expected_auc = skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted", sample_weight=w)
    assert got["roc_auc"] == pytest.approx(expected_auc, rel=1e-9)


def test_probability_scores_skip_undefined_auc():
    y = np.zeros(10, dtype=int)  # one class present: roc_auc is undefined, log_loss is not
    proba = np.column_stack([np.full(10, 0.8), np.full(10, 0.2)])
    got = probability_scores(y, proba, np.array([0, 1]))
    assert "roc_auc" not in got and got["log_loss"] == pytest.approx(-np.log(0.8))


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_scores_match_sklearn(outputs, weighted):
    y = rng.normal(size=(200, outputs)).squeeze()
    pred = y + rng.normal(0, 0.3, size=y.shape)
    w = rng.random(200) if weighted else None
    got = regression_scores(y, pred, w)
    assert got["mean_squared_error"] == pytest.approx(skm.mean_squared_error(y, pred, sample_weight=w))
    assert got["root_mean_squared_error"] == pytest.approx(skm.root_mean_squared_error(y, pred, sample_weight=w))
    assert got["mean_absolute_error"] == pytest.approx(skm.mean_absolute_error(y, pred, sample_weight=w))
    assert got["r2_score"] == pytest.approx(skm.r2_score(y, pred, sample_weight=w))


def test_constant_target_r2_follows_sklearn():
    y = np.ones(5)
    assert regression_scores(y, y)["r2_score"] == skm.r2_score(y, y) == 1.0
    assert regression_scores(y, y + 1)["r2_score"] == skm.r2_score(y, y + 1) == 0.0
