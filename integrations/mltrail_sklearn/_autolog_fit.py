"""The hook run around an estimator's outermost ``fit`` / ``fit_transform`` / ``fit_predict``.

Order of work, each step independent (a failure in one is reported in the
call's single warning and the others still happen): tags and params before
fitting (so a failed fit keeps them), the training data as a dataset input
(``log_datasets``), the user's fit, then training metrics from one prediction
pass, search results, the model, plots; everything but the model and plots
goes to the store in one ``log_batch``. ``estimator.html`` and the plots are
captured here and drawn by ``mltrail.autologging.background`` (complete once
``mltrail.flush_artifacts()`` returns, or the run is read or ended through mltrail).
"""

from __future__ import annotations

import copy
import inspect
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from mltrail.autologging import AutologCall, log_model_per_policy

from . import _autolog_post_training as post_training
from ._autolog_metrics import classification_scores, probability_scores, regression_scores, silhouette
from ._autolog_search import is_search, log_search

#: Classifiers whose predict() is exactly classes_[argmax(predict_proba())]: one pass gives both.
_ARGMAX_PROBA_CLASSES = frozenset(
    {
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._forest.ExtraTreesClassifier",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.ExtraTreeClassifier",
        "sklearn.naive_bayes.GaussianNB",
        "sklearn.naive_bayes.MultinomialNB",
        "sklearn.naive_bayes.BernoulliNB",
        "sklearn.naive_bayes.ComplementNB",
        "sklearn.naive_bayes.CategoricalNB",
    }
)


@dataclass(frozen=True, slots=True)
class _FitSpec:
    """Where X, y and sample_weight sit in a fit method's arguments (cached per function)."""

    names: tuple[str, ...]

    def get(self, name: str, args: tuple, kwargs: dict) -> Any:
        if name in kwargs:
            return kwargs[name]
        try:
            position = self.names.index(name)
        except ValueError:
            return None
        return args[position] if position < len(args) else None


_spec_lock = threading.Lock()
_specs: dict[Any, _FitSpec] = {}


def _fit_spec(function: Any) -> _FitSpec:
    key = getattr(function, "__func__", function)
    spec = _specs.get(key)
    if spec is None:
        try:
            params = list(inspect.signature(function).parameters.values())
            names = tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        except (TypeError, ValueError):
            names = ("X", "y")
        spec = _FitSpec(names if names[:1] != ("self",) else names[1:])
        with _spec_lock:
            _specs[key] = spec
    return spec


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _kind(estimator: Any) -> Optional[str]:
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(estimator):
        return "classifier"
    if is_regressor(estimator):
        return "regressor"
    try:
        from sklearn.utils import get_tags

        if get_tags(estimator).estimator_type == "clusterer":
            return "clusterer"
    except Exception:
        if getattr(estimator, "_estimator_type", None) == "clusterer":
            return "clusterer"
    return None


def log_fit(call: AutologCall) -> None:
    """The sklearn fit hook (see the module docstring)."""
    estimator = call.instance
    cls = type(estimator)
    spec = _fit_spec(call.wrapped)
    X = spec.get("X", call.args, call.kwargs)
    y = spec.get("y", call.args, call.kwargs)
    sample_weight = spec.get("sample_weight", call.args, call.kwargs)
    call.set_tags({"estimator_name": cls.__name__, "estimator_class": _qualified(cls)})
    call.safely("read the estimator's params", _log_params, call, estimator)
    if call.config.log_datasets:
        call.notes["dataset"] = call.safely("describe the training data", _log_training_data, call, X, y)

    call.call_original()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # warnings raised by our own prediction pass and metrics are not the user's business
        warnings.simplefilter("ignore")
        _after_fit(call, estimator, X, y, sample_weight)


def _after_fit(call: AutologCall, estimator: Any, X: Any, y: Any, sample_weight: Any) -> None:
    result = call.result
    searching = is_search(estimator)
    if searching:
        from mltrail import fluent

        active = fluent.active_run()
        if active is not None and active.info.run_id == call.run_id:
            call.notes["start_time"] = active.info.start_time  # children start with the search, as in MLflow
        call.safely("log the search results", log_search, call, estimator, call.notes.get("dataset"))
        if not hasattr(estimator, "best_estimator_"):  # refit=False: nothing can predict
            return
    outputs = call.safely(
        "compute training metrics",
        _log_training_metrics, call, estimator, X, y, sample_weight, call.wrapped.__name__, result,
    )
    predictions = outputs[0] if outputs else None
    if call.config.log_models:
        log_model_per_policy(call, model_logger(call, estimator, X, predictions))
        if searching:
            best = model_logger(call, estimator.best_estimator_, X, predictions, "best_estimator", own_params=True)
            log_model_per_policy(call, best, "log the best estimator")
    if not call.skips_figures:
        call.safely("capture estimator.html", _log_estimator_html, call, estimator)
    plots_wanted = call.config.log_plots and not call.skips_figures
    if outputs and outputs[2] == "classifier" and plots_wanted and y is not None:
        from ._autolog_plots import log_classifier_plots

        scores = outputs[1] if outputs[1] is not None else call.safely(
            "compute decision scores for the curves", _decision_scores, estimator, X
        )
        call.safely("capture the classifier plots", log_classifier_plots, call, estimator, y, outputs[0], scores)
    if call.config.log_post_training_metrics:
        post_training.remember_model(estimator, call.run_id)


def _decision_scores(estimator: Any, X: Any) -> Any:
    """Per-class scores for the ROC and precision-recall curves of a classifier without
    ``predict_proba`` (an SVC), from ``decision_function`` as MLflow's curves use; None without one.

    The curves need only the scores' order, so a binary classifier's single column
    ``s`` (for ``classes_[1]``) becomes ``[-s, s]``.
    """
    decision = getattr(estimator, "decision_function", None)
    if decision is None:
        return None
    scores = np.asarray(decision(X), dtype=np.float64)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


def _log_params(call: AutologCall, estimator: Any) -> None:
    # As MLflow: a search's seed estimator is not what was trained, so its params are not
    # logged deeply (no ``estimator__*``); the candidates' child runs carry them.
    call.log_params(estimator.get_params(deep=not is_search(estimator)))


def _log_training_data(call: AutologCall, X: Any, y: Any) -> Any:
    """Buffer (X, y) as the dataset input with context ``train``; return the dataset (or None)."""
    dataset = training_dataset(X, y)
    if dataset is not None:
        call.log_input(dataset, "train")
    return dataset


def training_dataset(X: Any, y: Any) -> Any:
    """The dataset describing training data ``X`` (DataFrame, array, scipy sparse matrix) and ``y``, or None."""
    import mltrail.data

    if X is None:
        return None
    sparse = sys.modules.get("scipy.sparse")
    if sparse is not None and sparse.issparse(X):
        from ._sparse import from_sparse

        return from_sparse(X, targets=y)
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(X, pandas.DataFrame):
        return mltrail.data.from_pandas(X, targets=y)
    return mltrail.data.from_numpy(X, targets=y)


def _log_estimator_html(call: AutologCall, estimator: Any) -> None:
    """Have the background writer store ``estimator.html`` (sklearn's diagram, ~10 ms to render).

    It renders a shallow copy taken now: the params and fitted attributes
    as they are when the fit returns, even if the user calls ``set_params``
    right after (nested estimators, a Pipeline's steps, are shared).
    """
    try:
        snapshot = copy.copy(estimator)
    except Exception:  # an estimator that refuses to be copied: render the object itself
        snapshot = estimator
    call.log_artifacts_later("log estimator.html", lambda: {"estimator.html": estimator_page(snapshot)})


def estimator_page(estimator: Any) -> bytes:
    """``estimator.html`` as MLflow writes it: sklearn's ``estimator_html_repr`` in a minimal page."""
    from sklearn.utils import estimator_html_repr

    page = (
        '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8"/>\n  </head>\n'
        f"  <body>\n    {estimator_html_repr(estimator)}\n  </body>\n</html>\n"
    )
    return page.encode("utf-8")


def _log_training_metrics(
    call: AutologCall, estimator: Any, X: Any, y: Any, sample_weight: Any, method: str, result: Any
) -> Optional[tuple[Any, Any, Optional[str]]]:
    """Log training metrics; return (predictions, probabilities, kind) for the later steps."""
    if X is None:
        return None
    kind = _kind(estimator)
    metrics: dict[str, float] = {}
    predictions = probabilities = None
    if kind == "clusterer":
        labels = result if method == "fit_predict" else getattr(estimator, "labels_", None)
        if labels is not None:
            score = silhouette(X, labels)
            if score is not None:
                metrics["training_silhouette_score"] = score
        predictions = labels
    elif kind in ("classifier", "regressor") and y is not None:
        predictions, probabilities = _predict_once(estimator, X, kind, method, result)
        if kind == "classifier":
            metrics.update(_classifier_metrics(estimator, y, predictions, probabilities, sample_weight))
        else:
            metrics.update(regression_scores(y, predictions, sample_weight))
        metrics = {f"training_{k}": v for k, v in metrics.items()}
        metrics["training_score"] = _training_score(estimator, X, y, sample_weight, kind, metrics)
    elif method == "fit_predict":
        predictions = result
    call.log_metrics(metrics)
    return predictions, probabilities, kind


def _predict_once(estimator: Any, X: Any, kind: str, method: str, result: Any) -> tuple[Any, Any]:
    if method == "fit_predict" and result is not None and not (kind == "classifier" and hasattr(estimator, "predict_proba")):
        return result, None
    probabilities = None
    if kind == "classifier" and hasattr(estimator, "predict_proba"):
        try:
            probabilities = estimator.predict_proba(X)
        except Exception:  # e.g. a loss without probabilities: metrics from predict only
            probabilities = None
    if probabilities is not None and _qualified(type(estimator)) in _ARGMAX_PROBA_CLASSES:
        proba = np.asarray(probabilities)
        if proba.ndim == 2 and hasattr(estimator, "classes_"):
            return np.asarray(estimator.classes_).take(proba.argmax(axis=1)), probabilities
    return estimator.predict(X), probabilities


def _classifier_metrics(estimator: Any, y: Any, predictions: Any, probabilities: Any, sample_weight: Any) -> dict:
    y_arr = np.asarray(y)
    if y_arr.ndim > 1 and y_arr.shape[1] > 1:
        return {}  # multi-output: only training_score
    metrics = classification_scores(y_arr, predictions, sample_weight)
    classes = getattr(estimator, "classes_", None)
    if probabilities is not None and classes is not None:
        metrics.update(probability_scores(y_arr, probabilities, np.asarray(classes), sample_weight))
    return metrics


def _defining_class(cls: type, attribute: str) -> Optional[type]:
    """The class in ``cls``'s MRO whose namespace defines ``attribute`` (patched or not)."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return klass
    return None


def _training_score(estimator: Any, X: Any, y: Any, sample_weight: Any, kind: str, metrics: dict) -> float:
    from sklearn.base import ClassifierMixin, RegressorMixin
    from sklearn.pipeline import Pipeline

    final = estimator
    while isinstance(final, Pipeline):  # Pipeline.score is its last step's score on transformed X
        final = final.steps[-1][1]
    owner = _defining_class(type(final), "score")
    if kind == "classifier" and owner is ClassifierMixin and "training_accuracy_score" in metrics:
        return metrics["training_accuracy_score"]
    if kind == "regressor" and owner is RegressorMixin and "training_r2_score" in metrics:
        return metrics["training_r2_score"]
    if sample_weight is not None:
        return float(estimator.score(X, y, sample_weight=sample_weight))
    return float(estimator.score(X, y))


def _head(data: Any, rows: int = 5) -> Any:
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[:rows]
    try:
        return data[:rows]
    except Exception:
        return None


def model_logger(
    call: AutologCall, estimator: Any, X: Any, predictions: Any, artifact_path: str = "model",
    own_params: bool = False,
) -> Callable[[], Any]:
    """A function logging ``estimator`` to the call's run with mltrail.sklearn.log_model.

    The logged model carries the run's params (as MLflow 3's do); ``own_params``
    adds the estimator's own (a search's best estimator, whose params the run
    holds only as ``best_*``).

    Signature and input example (per config) are taken now, from the
    training data the call saw; the returned function may run later (a
    child-run policy can defer or drop it).
    """
    from ._flavor import log_model as flavor_log_model

    config = call.config
    signature: Any = False
    input_example = _head(X) if config.log_input_examples else None
    if config.log_model_signatures and X is not None:
        from mltrail.models import infer_signature

        inferred = call.safely(
            "infer the model signature", infer_signature, _head(X), _head(predictions) if predictions is not None else None
        )
        signature = inferred if inferred is not None else False
    run_id = call.run_id
    extra = {k: str(v) for k, v in estimator.get_params(deep=False).items()} if own_params else {}

    def log() -> Any:
        return flavor_log_model(
            estimator,
            name=artifact_path,
            params={**extra, **call.pending_params},
            serialization_format=config.serialization_format,
            registered_model_name=config.registered_model_name,
            signature=signature,
            input_example=input_example,
            run_id=run_id,
        )

    return log
