"""Post-training metrics: evaluation calls on an autologged model's predictions go to its run.

After ``model.fit(X_train, y_train)`` was autologged::

    y_pred = model.predict(X_val)                      # remembered: from model, on "X_val"
    mean_squared_error(y_val, y_pred)                  # logs mean_squared_error_X_val
    mean_squared_error(y_val, y_pred)                  # logs mean_squared_error-2_X_val
    model.score(X_val, y_val)                          # logs Ridge_score_X_val

The dataset name is the caller's variable holding the data passed to
``predict`` (a local of the caller's frame, else a global of its module),
``unknown_dataset`` otherwise. As in MLflow, the ``-N`` index counts the calls
of one metric function per run (whatever the dataset), and the run gets an
artifact ``metric_info.json`` mapping each such metric key to the call that
produced it (``{"mean_squared_error_X_val": "mean_squared_error(y_true=y_val, y_pred=y_pred)"}``),
rewritten by the background writer after every new metric.
Metric functions are patched on ``sklearn.metrics`` (and where ``__main__``
bound them early with ``from sklearn.metrics import ...``). Each metric is one
``log_metric`` transaction; nothing here ever raises into the user's code.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any, Callable, Optional

from mltrail.autologging import Integration, describe_error, in_autologged_call, suppressed, warn_once

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
_SUFFIXES = ("_score", "_error", "_loss")
_NOT_METRICS = frozenset({"get_scorer", "make_scorer", "check_scoring", "get_scorer_names"})
UNKNOWN_DATASET = "unknown_dataset"

_lock = threading.Lock()
#: id(estimator) -> (weak reference, run id, client)
_models: dict[int, tuple[Any, str, Any]] = {}
#: id(prediction) -> (weak reference, run id, client, dataset name)
_outputs: dict[int, tuple[Any, str, Any, str]] = {}
#: (run id, metric name) -> number of calls so far
_calls: dict[tuple[str, str], int] = {}
#: run id -> {metric key: call command} (metric_info.json)
_call_info: dict[str, dict[str, str]] = {}
_MAX_OUTPUTS = 10_000
_MAX_RUNS_WITH_INFO = 1000
METRIC_INFO_FILE = "metric_info.json"


def remember_model(estimator: Any, run_id: Optional[str]) -> None:
    """Mark ``estimator`` as autologged into ``run_id`` (its predictions are then tracked)."""
    if run_id is None:
        return
    from mltrail import fluent

    active = fluent.active_run()
    client = active.client if active is not None else None
    key = id(estimator)
    try:
        ref = weakref.ref(estimator, lambda _r, key=key: _models.pop(key, None))
    except TypeError:
        return
    with _lock:
        _models[key] = (ref, run_id, client)


def forget_all() -> None:
    """Drop every remembered model and prediction (autologging was disabled)."""
    with _lock:
        _models.clear()
        _outputs.clear()
        _calls.clear()
        _call_info.clear()


def _model_entry(instance: Any) -> Optional[tuple[Any, str, Any]]:
    entry = _models.get(id(instance))
    if entry is None or entry[0]() is not instance:
        return None
    return entry


def _caller_frame() -> Any:
    """The first frame calling into the patched method from outside wrapt and mltrail."""
    frame = sys._getframe(2)
    depth = 0
    while frame is not None and depth < 6:
        module = frame.f_globals.get("__name__", "")
        if not (module.startswith("wrapt") or module.startswith("mltrail")):
            return frame
        frame = frame.f_back
        depth += 1
    return None


def _from_sklearn(frame: Any) -> bool:
    """True for calls sklearn makes itself (cross-validation scoring...): those are not the user's evaluation."""
    return frame is not None and frame.f_globals.get("__name__", "").startswith("sklearn.")


def _dataset_name(data: Any, frame: Any) -> str:
    """The name of a variable of the calling frame holding ``data``: a local, else a global of its module.

    (A function evaluating on a module-level ``X_val`` - an objective in a
    sweep - names it too.)
    """
    return _variable_name(data, frame) or UNKNOWN_DATASET


def _predict_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple, kwargs: dict) -> Any:
    result = wrapped(*args, **kwargs)
    if not _models or instance is None or in_autologged_call():
        return result
    try:
        entry = _model_entry(instance)
        frame = _caller_frame() if entry is not None else None
        if entry is not None and not _from_sklearn(frame):
            data = args[0] if args else kwargs.get("X")
            key = id(result)
            ref = weakref.ref(result, lambda _r, key=key: _outputs.pop(key, None))
            with _lock:
                if len(_outputs) >= _MAX_OUTPUTS:
                    _outputs.pop(next(iter(_outputs)))
                _outputs[key] = (ref, entry[1], entry[2], _dataset_name(data, frame))
    except TypeError:
        pass  # predictions that cannot be weakly referenced (lists) are not tracked
    except Exception as exc:
        warn_once(f"mltrail autologging (sklearn): could not track predictions: {describe_error(exc)}")
    return result


def _variable_name(value: Any, frame: Any) -> Optional[str]:
    if frame is not None:
        for namespace in (frame.f_locals, frame.f_globals):
            for name, candidate in namespace.items():
                if candidate is value and not name.startswith("_"):
                    return name
    return None


def _argument_text(value: Any, frame: Any) -> str:
    """An argument as MLflow writes it in a call command: a scalar's repr, else the caller's variable name."""
    import numpy as np

    if value is None or np.isscalar(value):
        if isinstance(value, str) and len(value) > 32:
            return repr(value[:32] + "...")
        return repr(value)
    return _variable_name(value, frame) or f"<{type(value).__name__}>"


def call_command(function: Callable[..., Any], owner: Any, args: tuple, kwargs: dict, frame: Any) -> str:
    """``mean_squared_error(y_true=y_val, y_pred=y_pred)`` / ``Ridge.score(X=X_val, y=y_val)``."""
    import inspect

    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    if owner is not None and names[:1] == ["self"]:
        names = names[1:]
    parts = [f"{name}={_argument_text(value, frame)}" for name, value in zip(names, args)]
    parts += [f"{name}={_argument_text(value, frame)}" for name, value in kwargs.items()]
    prefix = f"{type(owner).__name__}." if owner is not None else ""
    return f"{prefix}{function.__name__}({', '.join(parts)})"


def _log_metric(run_id: str, client: Any, name: str, dataset: str, value: Any, command: str) -> None:
    number = float(value)
    with _lock:
        count = _calls.get((run_id, name), 0) + 1
        _calls[(run_id, name)] = count
        key = f"{name}_{dataset}" if count == 1 else f"{name}-{count}_{dataset}"
        info = _call_info.get(run_id)
        if info is None:
            if len(_call_info) >= _MAX_RUNS_WITH_INFO:
                _call_info.pop(next(iter(_call_info)))
            info = _call_info[run_id] = {}
        info[key] = command
        snapshot = dict(sorted(info.items()))
    if client is None:
        from mltrail import Client

        client = Client()
    client.log_metric(run_id, key, number)
    _write_metric_info_later(client, run_id, snapshot)


def _write_metric_info_later(client: Any, run_id: str, info: dict[str, str]) -> None:
    import json

    from mltrail.autologging import background

    def render() -> dict[str, bytes]:
        return {METRIC_INFO_FILE: json.dumps(info, indent=2).encode("utf-8")}

    def on_error(exc: BaseException) -> None:
        warn_once(f"mltrail autologging (sklearn): could not write {METRIC_INFO_FILE}: {describe_error(exc)}")

    background.submit(run_id, render, client=client, on_error=on_error)


def _is_scalar(value: Any) -> bool:
    import numbers

    return isinstance(value, numbers.Real) or (getattr(value, "ndim", None) == 0 and hasattr(value, "dtype"))


def _metric_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple, kwargs: dict) -> Any:
    if not _outputs or in_autologged_call() or _from_sklearn(_caller_frame()):
        return wrapped(*args, **kwargs)
    with suppressed():  # helpers the metric fits (LabelBinarizer...) are not the user's fits
        result = wrapped(*args, **kwargs)
    try:
        for value in (*args, *kwargs.values()):
            entry = _outputs.get(id(value))
            if entry is not None and entry[0]() is value:
                if _is_scalar(result):
                    command = call_command(wrapped, None, args, kwargs, _caller_frame())
                    _log_metric(entry[1], entry[2], wrapped.__name__, entry[3], result, command)
                break
    except Exception as exc:
        warn_once(
            f"mltrail autologging (sklearn): could not log post-training metric {wrapped.__name__}: "
            f"{describe_error(exc)}"
        )
    return result


def _score_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple, kwargs: dict) -> Any:
    if not _models or instance is None or in_autologged_call():
        return wrapped(*args, **kwargs)
    entry = _model_entry(instance)
    frame = _caller_frame() if entry is not None else None
    if entry is None or _from_sklearn(frame):
        return wrapped(*args, **kwargs)
    with suppressed():  # score's own predict and metric calls are not logged again
        result = wrapped(*args, **kwargs)
    try:
        data = args[0] if args else kwargs.get("X")
        command = call_command(wrapped, instance, args, kwargs, frame)
        _log_metric(entry[1], entry[2], f"{type(instance).__name__}_score", _dataset_name(data, frame), result, command)
    except Exception as exc:
        warn_once(f"mltrail autologging (sklearn): could not log the score: {describe_error(exc)}")
    return result


def _owner(cls: type, attribute: str) -> Optional[type]:
    """The class defining ``attribute`` for ``cls``: the estimator itself or an sklearn mixin it uses."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            if klass is cls or (klass.__module__ or "").startswith("sklearn"):
                return klass
            return None
    return None


def patch_class(integration: Integration, cls: type) -> None:
    """Track predictions and scores of ``cls``, patching the class (or sklearn mixin) defining them."""
    for attribute in PREDICT_METHODS:
        owner = _owner(cls, attribute)
        if owner is not None:
            integration.wrap_plain(owner, attribute, _predict_wrapper)
    owner = _owner(cls, "score")
    if owner is not None:
        integration.wrap_plain(owner, "score", _score_wrapper)


def patch_metric_functions(integration: Integration) -> None:
    """Patch sklearn.metrics' scoring functions, and their early bindings in ``__main__``."""
    import sklearn.metrics

    main = sys.modules.get("__main__")
    main_names = vars(main) if main is not None else {}
    for name in getattr(sklearn.metrics, "__all__", ()):
        if name in _NOT_METRICS or not name.endswith(_SUFFIXES):
            continue
        original = getattr(sklearn.metrics, name, None)
        if not callable(original) or isinstance(original, type):
            continue
        if not integration.wrap_plain(sklearn.metrics, name, _metric_wrapper):
            continue
        wrapper = vars(sklearn.metrics)[name]
        for bound_name, value in list(main_names.items()):
            if value is original:
                integration.replace(main, bound_name, wrapper)
