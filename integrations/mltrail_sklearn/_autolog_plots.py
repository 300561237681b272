"""Classifier plots for sklearn autologging: confusion matrix, ROC and precision-recall PNGs.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no GUI,
small figures) from the predictions autologging already has, and logged in
one artifact upload: ``training_confusion_matrix.png``,
``training_roc_curve.png``, ``training_precision_recall_curve.png``.
Nothing is drawn when matplotlib is not installed.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Optional

import numpy as np

from mltrail.autologging import AutologCall

_MAX_CLASSES_FOR_CURVES = 10
_FIGSIZE = (4.0, 3.6)
_DPI = 72


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels.tolist())}
    k = len(labels)
    t = np.fromiter((index.get(v, -1) for v in y_true.tolist()), dtype=np.int64, count=len(y_true))
    p = np.fromiter((index.get(v, -1) for v in y_pred.tolist()), dtype=np.int64, count=len(y_pred))
    keep = (t >= 0) & (p >= 0)
    return np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k)


def _curves(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, ...]:
    """(fpr, tpr, recall, precision) at every distinct threshold, highest first."""
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


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIGSIZE, dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _confusion_png(path: str, cm: np.ndarray, labels: np.ndarray) -> None:
    fig, ax = _figure()
    ax.imshow(cm, cmap="Blues")
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, [str(v) for v in labels])
    ax.set_yticks(ticks, [str(v) for v in labels])
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    if len(labels) <= 10:
        threshold = cm.max() / 2.0 if cm.size else 0
        for (i, j), value in np.ndenumerate(cm):
            ax.text(j, i, str(value), ha="center", va="center", color="white" if value > threshold else "black")
    ax.set_title("Confusion matrix (training)")
    fig.tight_layout()
    fig.savefig(path, format="png")


def _curve_png(path: str, series: list[tuple[str, np.ndarray, np.ndarray]], xlabel: str, ylabel: str, title: str) -> None:
    fig, ax = _figure()
    for label, x, y in series:
        ax.plot(x, y, label=label, linewidth=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    fig.savefig(path, format="png")


def _positive_columns(classes: np.ndarray, pos_label: Any) -> list[int]:
    if len(classes) == 2:
        if pos_label is not None and pos_label in classes.tolist():
            return [classes.tolist().index(pos_label)]
        return [1]
    return list(range(len(classes)))


def log_classifier_plots(
    call: AutologCall, estimator: Any, y: Any, y_pred: Any, proba: Optional[Any], prefix: str = "training_"
) -> None:
    """Draw and log the PNGs (curves only with probabilities and at most 10 classes)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    y_true = np.asarray(y).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    classes = np.asarray(getattr(estimator, "classes_", np.unique(np.concatenate([y_true, y_pred]))))
    if classes.ndim != 1:
        return
    with tempfile.TemporaryDirectory(prefix="mltrail-plots-") as tmp:
        _confusion_png(os.path.join(tmp, f"{prefix}confusion_matrix.png"), _confusion(y_true, y_pred, classes), classes)
        if proba is not None and 2 <= len(classes) <= _MAX_CLASSES_FOR_CURVES:
            proba = np.asarray(proba, dtype=np.float64)
            roc, pr = [], []
            for column in _positive_columns(classes, call.config.get("pos_label")):
                fpr, tpr, recall, precision = _curves((y_true == classes[column]).astype(np.float64), proba[:, column])
                roc.append((f"class {classes[column]}", fpr, tpr))
                pr.append((f"class {classes[column]}", recall, precision))
            _curve_png(os.path.join(tmp, f"{prefix}roc_curve.png"), roc, "False positive rate", "True positive rate",
                       "ROC curve (training)")
            _curve_png(os.path.join(tmp, f"{prefix}precision_recall_curve.png"), pr, "Recall", "Precision",
                       "Precision-recall curve (training)")
        call.client.log_artifacts(call.run_id, tmp)
