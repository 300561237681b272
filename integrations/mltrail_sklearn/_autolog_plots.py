"""Classifier plots for sklearn autologging: confusion matrix, ROC and precision-recall curves.

Each plot is a PNG (MLflow's names: ``training_confusion_matrix.png``,
``training_roc_curve.png``, ``training_precision_recall_curve.png``, drawn
with ``mltrail.autologging.charts`` when Pillow is installed) and, beside it,
the numbers it shows as JSON for the UI to draw interactively::

    training_confusion_matrix.json      {"kind": "confusion_matrix", "labels": [0, 1], "matrix": [[50, 3], [4, 43]]}
    training_roc_curve.json             {"kind": "roc_curve", "curves": [{"label": "1", "fpr": [...], "tpr": [...], "auc": 0.97}]}
    training_precision_recall_curve.json
        {"kind": "precision_recall_curve", "curves": [{"label": "1", "precision": [...], "recall": [...], "average_precision": 0.96}]}

Curves are given for the positive class of a binary classifier (``pos_label``,
else the second class) or for every class (one-vs-rest) up to 10 classes,
and only with probabilities; each curve keeps at most :data:`MAX_CURVE_POINTS`
points, chosen evenly along its length so that its shape survives.

Work split: on the training thread only what must be taken from the user's
data, as new arrays (the confusion counts, one 0/1 array and one score array
per curve); the sorting, drawing and writing run on the background writer.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np

from mltrail.autologging import AutologCall, charts

_MAX_CLASSES_FOR_CURVES = 10
MAX_CURVE_POINTS = 500


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = len(labels)
    t = np.searchsorted(labels, y_true)
    p = np.searchsorted(labels, y_pred)
    t, p = np.clip(t, 0, k - 1), np.clip(p, 0, k - 1)
    keep = (labels[t] == y_true) & (labels[p] == y_pred)
    return np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k)


def curves(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, ...]:
    """(fpr, tpr, recall, precision) at every distinct threshold, highest first (plus the (0, 0) start)."""
    order = np.argsort(score, kind="mergesort")[::-1]
    score, positive = score[order], positive[order]
    ends = np.r_[np.where(np.diff(score))[0], len(score) - 1]
    tps = np.cumsum(positive)[ends]
    fps = np.cumsum(1 - positive)[ends]
    total_pos, total_neg = max(tps[-1], 1e-12), max(fps[-1], 1e-12)
    fpr = np.r_[0.0, fps / total_neg]
    tpr = np.r_[0.0, tps / total_pos]
    precision = np.r_[1.0, tps / np.maximum(tps + fps, 1e-12)]
    recall = np.r_[0.0, tps / total_pos]
    return fpr, tpr, recall, precision


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """sklearn's ``average_precision_score``: sum of precision times recall gained, step-wise."""
    return float(np.sum(np.diff(recall) * precision[1:]))


def downsample(xs: np.ndarray, ys: np.ndarray, limit: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` points of the curve, evenly spaced along its length, both ends kept."""
    if len(xs) <= limit:
        return xs, ys
    length = np.r_[0.0, np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))]
    if length[-1] <= 0:
        keep = np.array([0, len(xs) - 1])
    else:
        targets = np.linspace(0.0, length[-1], limit)
        keep = np.unique(np.clip(np.searchsorted(length, targets), 0, len(xs) - 1))
        keep[0], keep[-1] = 0, len(xs) - 1
    return xs[keep], ys[keep]


def _json_label(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _positive_columns(classes: list, pos_label: Any) -> list[int]:
    if len(classes) == 2:
        if pos_label is not None and pos_label in classes:
            return [classes.index(pos_label)]
        return [1]
    return list(range(len(classes)))


class _Plots:
    """The plots' numbers, computed once on the background writer, shared by the JSON and the PNG task."""

    def __init__(self, prefix: str, labels: list, matrix: list, curve_inputs: list) -> None:
        self.prefix, self.labels, self.matrix = prefix, labels, matrix
        self._curve_inputs: Optional[list] = curve_inputs
        self._curves: Optional[tuple[list, list]] = None

    def curves(self) -> tuple[list, list]:
        """(roc, pr): per curve (label, xs, ys, area), downsampled."""
        if self._curves is None:
            roc, pr = [], []
            for label, positive, score in self._curve_inputs or ():
                fpr, tpr, recall, precision = curves(positive, score)
                roc.append((label, *downsample(fpr, tpr), float(np.trapezoid(tpr, fpr))))
                pr.append((label, *downsample(recall, precision), average_precision(recall, precision)))
            self._curves, self._curve_inputs = (roc, pr), None
        return self._curves

    def json_files(self) -> dict[str, bytes]:
        prefix = self.prefix
        files = {f"{prefix}confusion_matrix.json": _json(
            {"kind": "confusion_matrix", "labels": self.labels, "matrix": self.matrix}
        )}
        roc, pr = self.curves()
        if roc:
            files[f"{prefix}roc_curve.json"] = _json({"kind": "roc_curve", "curves": [
                {"label": str(label), "fpr": x.tolist(), "tpr": y.tolist(), "auc": area} for label, x, y, area in roc
            ]})
            files[f"{prefix}precision_recall_curve.json"] = _json({"kind": "precision_recall_curve", "curves": [
                {"label": str(label), "precision": y.tolist(), "recall": x.tolist(), "average_precision": ap}
                for label, x, y, ap in pr
            ]})
        return files

    def png_files(self) -> dict[str, bytes]:
        prefix = self.prefix
        files = {f"{prefix}confusion_matrix.png": charts.heatmap_png(
            self.matrix, self.labels, "Confusion matrix (training)", "Predicted label", "True label"
        )}
        roc, pr = self.curves()
        if roc:
            files[f"{prefix}roc_curve.png"] = charts.line_chart_png(
                [(f"class {label}", x, y) for label, x, y, _ in roc],
                "ROC curve (training)", "False positive rate", "True positive rate", diagonal=True,
            )
            files[f"{prefix}precision_recall_curve.png"] = charts.line_chart_png(
                [(f"class {label}", x, y) for label, x, y, _ in pr],
                "Precision-recall (training)", "Recall", "Precision",
            )
        return files


def _json(document: dict) -> bytes:
    return json.dumps(document).encode("utf-8")


def log_classifier_plots(
    call: AutologCall, estimator: Any, y: Any, y_pred: Any, proba: Optional[Any], prefix: str = "training_"
) -> None:
    """Capture the plots' numbers now and have the background writer draw and store them."""
    y_true = np.asarray(y).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    classes = getattr(estimator, "classes_", None)
    classes = np.unique(np.concatenate([y_true, y_pred])) if classes is None else np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2:
        return
    labels = [_json_label(c) for c in classes.tolist()]
    matrix = _confusion(y_true, y_pred, classes).tolist()
    curve_inputs = []
    if proba is not None and len(classes) <= _MAX_CLASSES_FOR_CURVES:
        proba = np.asarray(proba, dtype=np.float64)
        for column in _positive_columns(classes.tolist(), call.config.get("pos_label")):
            positive = (y_true == classes[column]).astype(np.float64)  # new arrays: y itself is not kept
            curve_inputs.append((labels[column], positive, np.array(proba[:, column])))
    plots = _Plots(prefix, labels, matrix, curve_inputs)
    call.log_artifacts_later("write the classifier plots' data", plots.json_files)
    if charts.available():
        call.log_artifacts_later("draw the classifier plots", plots.png_files)
