"""Training metrics for sklearn autologging, from one prediction pass.

sklearn's metric functions validate their arguments on every call, which
costs a millisecond or more each; autologging computes the same numbers
directly with numpy (tests check them against sklearn's to 1e-9). Metric
keys follow MLflow's autologging names (``training_accuracy_score``,
``training_root_mean_squared_error``, ...)::

    metrics = classifier_metrics(y, y_pred, proba, classes, sample_weight)
    metrics["training_f1_score"]
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np


def _weights(n: int, sample_weight: Any) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    return np.asarray(sample_weight, dtype=np.float64).reshape(-1)


def classification_scores(y_true: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, float]:
    """Accuracy and weighted precision, recall and F1 (sklearn's ``average="weighted"``, zero_division=0)."""
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    w = _weights(len(y_true), sample_weight)
    labels, inverse = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    k = len(labels)
    t_idx, p_idx = inverse[: len(y_true)], inverse[len(y_true):]
    cm = np.bincount(t_idx * k + p_idx, weights=w, minlength=k * k).reshape(k, k)
    tp = np.diag(cm)
    true_sum = cm.sum(axis=1)
    pred_sum = cm.sum(axis=0)
    total = cm.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_sum > 0, tp / pred_sum, 0.0)
        recall = np.where(true_sum > 0, tp / true_sum, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    support_total = true_sum.sum()
    weighted = (lambda v: float(np.dot(v, true_sum) / support_total)) if support_total > 0 else (lambda v: 0.0)
    return {
        "accuracy_score": float(tp.sum() / total) if total > 0 else float("nan"),
        "precision_score": weighted(precision),
        "recall_score": weighted(recall),
        "f1_score": weighted(f1),
    }


def _binary_auc(positive: np.ndarray, score: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(score, kind="mergesort")[::-1]
    score, positive, w = score[order], positive[order], w[order]
    distinct = np.where(np.diff(score))[0]
    ends = np.r_[distinct, len(score) - 1]
    tps = np.cumsum(positive * w)[ends]
    fps = np.cumsum((1 - positive) * w)[ends]
    if tps[-1] <= 0 or fps[-1] <= 0:
        return float("nan")  # one class only: undefined
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def probability_scores(
    y_true: Any, proba: np.ndarray, classes: np.ndarray, sample_weight: Any = None
) -> dict[str, float]:
    """log_loss and roc_auc (binary, or one-vs-rest weighted by class support) from predict_proba."""
    y_true = np.asarray(y_true).reshape(-1)
    proba = np.asarray(proba, dtype=np.float64)
    w = _weights(len(y_true), sample_weight)
    classes = np.asarray(classes)
    if proba.ndim != 2 or proba.shape[1] != len(classes) or len(classes) < 2:
        return {}
    position = np.searchsorted(classes, y_true)
    position = np.clip(position, 0, len(classes) - 1)
    if not np.array_equal(classes[position], y_true):
        return {}  # labels unseen in training: leave these two out
    eps = np.finfo(proba.dtype).eps
    clipped = np.clip(proba, eps, 1 - eps)
    out = {"log_loss": float(-np.dot(w, np.log(clipped[np.arange(len(y_true)), position])) / w.sum())}
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(y_true)), position] = 1.0
    if len(classes) == 2:
        out["roc_auc"] = _binary_auc(onehot[:, 1], proba[:, 1], w)
    else:
        support = onehot.T @ w
        aucs = np.array([_binary_auc(onehot[:, c], proba[:, c], w) for c in range(len(classes))])
        present = support > 0
        if np.all(np.isfinite(aucs[present])) and support.sum() > 0:
            out["roc_auc"] = float(np.dot(aucs[present], support[present]) / support[present].sum())
    return {k: v for k, v in out.items() if not np.isnan(v)}


def regression_scores(y_true: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, float]:
    """mse, rmse, mae and r2 (multi-output: uniform average over outputs, as sklearn)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim == 1:
        y_true = y_true.reshape(-1, 1)
    if y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1)
    w = _weights(len(y_true), sample_weight)
    total = w.sum()
    err = y_true - y_pred
    mse = (w @ (err * err)) / total
    mae = (w @ np.abs(err)) / total
    mean = (w @ y_true) / total
    ss_res = w @ (err * err)
    ss_tot = w @ ((y_true - mean) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return {
        "mean_squared_error": float(mse.mean()),
        "root_mean_squared_error": float(np.sqrt(mse).mean()),
        "mean_absolute_error": float(mae.mean()),
        "r2_score": float(r2.mean()),
    }


def silhouette(X: Any, labels: Any, max_samples: int = 1000) -> Optional[float]:
    """Silhouette score when cheap: at most ``max_samples`` rows and 2 <= clusters < rows."""
    labels = np.asarray(labels).reshape(-1)
    n = len(labels)
    n_clusters = len(np.unique(labels))
    if n > max_samples or not 2 <= n_clusters < n:
        return None
    from sklearn.metrics import silhouette_score

    return float(silhouette_score(X, labels))
