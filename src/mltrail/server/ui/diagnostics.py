"""Autologged diagnostics drawn from their data: confusion matrix, ROC and PR curves, feature importance.

Autologging writes a small JSON beside each plot PNG (``<prefix>confusion_matrix.json``,
``<prefix>roc_curve.json``, ``<prefix>precision_recall_curve.json``, and XGBoost's
``feature_importance_<type>.json`` as ``{feature: value}``, MLflow's format).
:func:`find_diagnostics` pairs them with their PNGs in the run's artifact root;
:func:`load_diagnostic` reads one JSON and checks its shape, so the page draws
an interactive chart from it, or shows the PNG when the data is missing or malformed.

>>> [d["name"] for d in find_diagnostics(run)]
['training_confusion_matrix', 'training_roc_curve']
>>> load_diagnostic(run, "training_confusion_matrix.json")["matrix"]
[[5, 1], [0, 4]]
"""

from __future__ import annotations

import json
import math
import posixpath
from typing import Any, Optional

from ...exceptions import InvalidParameterError
from .artifact_views import LocalCopy, repository

#: JSON files bigger than this are not drawn (the PNG is shown instead)
MAX_DIAGNOSTIC_BYTES = 5 * 1024 * 1024
#: a feature-importance chart shows the top features only
MAX_FEATURES = 50
_SUFFIXES = ("confusion_matrix", "roc_curve", "precision_recall_curve")
_TITLES = {"confusion_matrix": "Confusion matrix", "roc_curve": "ROC curve",
           "precision_recall_curve": "Precision-recall curve", "feature_importance": "Feature importance"}


def diagnostic_kind(stem: str) -> Optional[str]:
    """The kind of diagnostic a file stem (name without extension) names, or None.

    >>> diagnostic_kind("val_roc_curve"), diagnostic_kind("feature_importance_gain"), diagnostic_kind("model")
    ('roc_curve', 'feature_importance', None)
    """
    if stem.startswith("feature_importance_") and len(stem) > len("feature_importance_"):
        return "feature_importance"
    for suffix in _SUFFIXES:
        if stem.endswith(suffix):
            return suffix
    return None


def find_diagnostics(run: Any) -> list[dict[str, Any]]:
    """The diagnostics in the run's artifact root: ``{"name", "kind", "title", "json", "png"}`` each
    (``json``/``png`` are artifact paths or None), sorted by name."""
    found: dict[str, dict[str, Any]] = {}
    try:
        entries = repository(run).list_artifacts(None)
    except Exception:  # an unreadable artifact store must not break the run page
        return []
    for info in entries:
        if info.is_dir:
            continue
        name = posixpath.basename(info.path)
        stem, ext = posixpath.splitext(name)
        kind = diagnostic_kind(stem)
        if kind is None or ext.lower() not in (".json", ".png"):
            continue
        prefix = stem[: len(stem) - len(kind)] if kind != "feature_importance" else ""
        title = _TITLES[kind] + (f" ({stem[len('feature_importance_'):]})" if kind == "feature_importance" else "")
        if prefix:
            title = f"{title} · {prefix.rstrip('_')}"
        entry = found.setdefault(stem, {"name": stem, "kind": kind, "title": title, "json": None, "png": None})
        entry[ext.lower()[1:]] = info.path
    return [found[k] for k in sorted(found)]


def _numbers(value: Any, what: str) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise InvalidParameterError(f"Invalid {what}: expected a list of numbers")
    return [float(v) for v in value]


def _finite(value: Any, what: str) -> Optional[float]:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidParameterError(f"Invalid {what} {value!r}: expected a finite number")
    return float(value)


def _confusion(data: dict[str, Any]) -> dict[str, Any]:
    labels, matrix = data.get("labels"), data.get("matrix")
    if not isinstance(labels, list) or not labels:
        raise InvalidParameterError("Invalid confusion matrix: 'labels' must be a non-empty list")
    if not isinstance(matrix, list) or len(matrix) != len(labels):
        raise InvalidParameterError(f"Invalid confusion matrix: 'matrix' must have {len(labels)} rows (one per label)")
    rows = []
    for row in matrix:
        values = _numbers(row, "confusion matrix row")
        if len(values) != len(labels):
            raise InvalidParameterError(f"Invalid confusion matrix: each row must have {len(labels)} counts")
        rows.append([int(v) if v.is_integer() else v for v in values])
    return {"kind": "confusion_matrix", "labels": [str(x) for x in labels], "matrix": rows}


def _curves(data: dict[str, Any], kind: str, x: str, y: str, score: str) -> dict[str, Any]:
    curves = data.get("curves")
    if not isinstance(curves, list) or not curves:
        raise InvalidParameterError(f"Invalid {kind}: 'curves' must be a non-empty list")
    out = []
    for curve in curves:
        if not isinstance(curve, dict):
            raise InvalidParameterError(f"Invalid {kind}: each curve must be an object")
        xs, ys = _numbers(curve.get(x), f"{kind} {x}"), _numbers(curve.get(y), f"{kind} {y}")
        if len(xs) != len(ys):
            raise InvalidParameterError(f"Invalid {kind}: {x} and {y} differ in length ({len(xs)} and {len(ys)})")
        out.append({"label": str(curve.get("label", "")), x: xs, y: ys, score: _finite(curve.get(score), f"{kind} {score}")})
    return {"kind": kind, "curves": out}


def _importance(data: dict[str, Any]) -> dict[str, Any]:
    if not data:
        raise InvalidParameterError("Invalid feature importance: no features")
    pairs = []
    for feature, value in data.items():
        number = _finite(value, f"importance of feature {feature!r}")
        if number is None:
            raise InvalidParameterError(f"Invalid importance of feature {feature!r}: expected a number")
        pairs.append((str(feature), number))
    pairs.sort(key=lambda p: -p[1])
    top = pairs[:MAX_FEATURES]
    return {"kind": "feature_importance", "features": [p[0] for p in top], "values": [p[1] for p in top],
            "total": len(pairs)}


def load_diagnostic(run: Any, path: str) -> dict[str, Any]:
    """One diagnostic JSON of the run, checked and normalized for drawing (see the module docstring).

    Raises InvalidParameterError naming what is wrong when the file is not a
    diagnostic, too big, not JSON or not of its kind's shape.
    """
    stem, ext = posixpath.splitext(posixpath.basename(path))
    kind = diagnostic_kind(stem)
    if kind is None or ext.lower() != ".json":
        raise InvalidParameterError(
            f"Artifact {path!r} is not a diagnostic: expected <prefix>confusion_matrix.json, <prefix>roc_curve.json, "
            "<prefix>precision_recall_curve.json or feature_importance_<type>.json"
        )
    copy = LocalCopy(run, path)
    try:
        with open(copy.local, "rb") as fh:
            raw = fh.read(MAX_DIAGNOSTIC_BYTES + 1)
    finally:
        copy.cleanup()
    if len(raw) > MAX_DIAGNOSTIC_BYTES:
        raise InvalidParameterError(f"Diagnostic {path!r} is larger than {MAX_DIAGNOSTIC_BYTES} bytes: not drawn")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidParameterError(f"Diagnostic {path!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidParameterError(f"Diagnostic {path!r} must hold a JSON object")
    if kind == "feature_importance":
        return _importance(data)
    if data.get("kind") not in (None, kind):
        raise InvalidParameterError(f"Diagnostic {path!r} says kind {data.get('kind')!r}; its name says {kind!r}")
    if kind == "confusion_matrix":
        return _confusion(data)
    if kind == "roc_curve":
        return _curves(data, kind, "fpr", "tpr", "auc")
    return _curves(data, kind, "recall", "precision", "average_precision")
