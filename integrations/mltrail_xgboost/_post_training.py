"""What a finished xgboost training logs: params, metrics, datasets, the booster's configuration,
feature importance (JSON + PNG) and the model.

Both paths end here: a wrapped call (``xgboost.train``, the sklearn API's
``fit``) and a training reached through an early-bound ``train``::

    log_training(call, training, booster, model=estimator, example=X, importance_types=("weight",))
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

from mltrail.autologging import AutologCall, log_model_per_policy
from mltrail.exceptions import InvalidParameterError

from ._datasets import log_training_datasets
from ._figures import importance_render
from ._tracked_training import TrackedTraining, buffer_metrics

#: What ``Booster.get_score(importance_type=...)`` accepts.
IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


def check_importance_types(value: Any) -> tuple[str, ...]:
    """``importance_types`` as a tuple ("gain" -> ("gain",)); an unknown type raises InvalidParameterError.

    >>> check_importance_types("gain"), check_importance_types(["weight", "cover"])
    (('gain',), ('weight', 'cover'))
    """
    types = (value,) if isinstance(value, str) else tuple(value or ())
    unknown = [t for t in types if t not in IMPORTANCE_TYPES]
    if unknown:
        raise InvalidParameterError(
            f"importance_types={value!r}: {', '.join(map(repr, unknown))} is not an xgboost importance type "
            f"(expected some of {', '.join(IMPORTANCE_TYPES)})"
        )
    return types


def log_training(
    call: AutologCall, training: TrackedTraining, booster: Any, model: Any, example: Any,
    importance_types: Optional[Sequence[str]],
) -> None:
    """Log what ``training`` produced in ``call``'s run (``model`` is the booster or the sklearn estimator;
    ``example`` the sklearn API's training data, None for ``xgboost.train``)."""
    record = training.record
    call.log_params(record.params())
    call.safely("log the metrics", lambda: buffer_metrics(call, training.remaining_rows(booster)))
    if call.config.log_datasets:
        call.safely("describe the training data", log_training_datasets, call, training.dtrain, training.evals)
    if booster is None:
        return
    if not call.skips_figures:
        call.safely("log booster_config.json", _log_booster_config, call, booster)
    for importance_type in importance_types or ():
        call.safely(f"log {importance_type} feature importance", _log_importance, call, booster, importance_type)
    if call.config.log_models:
        _log_model(call, model, booster, training.dtrain, example)


def _log_booster_config(call: AutologCall, booster: Any) -> None:
    """The booster's full configuration (every effective parameter), as xgboost's ``save_config`` gives it."""
    config = json.dumps(json.loads(booster.save_config()), indent=2)
    repository = _active_run_repository(call.run_id)
    if repository is not None:
        repository.log_bytes(config.encode("utf-8"), "booster_config.json")
    else:
        call.client.log_text(call.run_id, config, "booster_config.json")


def _log_importance(call: AutologCall, booster: Any, importance_type: str) -> None:
    scores = booster.get_score(importance_type=importance_type)
    name = f"feature_importance_{importance_type}.json"
    repository = _active_run_repository(call.run_id)
    if repository is not None:
        repository.log_bytes(json.dumps(scores, indent=2).encode("utf-8"), name)
    else:
        call.client.log_dict(call.run_id, scores, name)
    render = importance_render(scores, importance_type) if not call.skips_figures else None
    if render is not None:
        call.log_artifacts_later(f"draw the {importance_type} importance plot", render)


def _log_model(call: AutologCall, model: Any, booster: Any, dtrain: Any, example: Any) -> None:
    from . import _flavor
    from ._examples import dmatrix_signature, example_rows, signature_for

    config = call.config
    input_example = None
    signature: Any = False
    if example is not None:  # the sklearn API: the training data itself
        rows = call.safely("take an input example", example_rows, example, None)
        if rows is not None and config.log_model_signatures:
            signature = call.safely("infer the model signature", signature_for, model, booster, rows)
    else:  # xgboost.train: a DMatrix
        rows = None
        if config.log_input_examples and dtrain is not None:
            rows = call.safely("take an input example", example_rows, None, dtrain)
        if config.log_model_signatures and dtrain is not None:
            signature = call.safely("infer the model signature", dmatrix_signature, dtrain, booster)
    if config.log_input_examples:
        input_example = rows
    if signature is None:
        signature = False
    run_id = call.run_id
    registered = config.registered_model_name

    def log() -> Any:
        from mltrail import fluent

        # the active run's info is at hand: naming it would make the models layer read it again
        target = None if fluent.active_run_id() == run_id else run_id
        return _flavor.log_model(
            model, name="model", signature=signature, input_example=input_example,
            registered_model_name=registered, run_id=target, params=call.pending_params,
        )

    log_model_per_policy(call, log)


def _active_run_repository(run_id: Optional[str]) -> Any:
    """The artifact repository of ``run_id`` when it is the active run (no store read), else None."""
    from mltrail import fluent

    active = fluent.active_run()
    if active is None or active.info.run_id != run_id:
        return None
    from mltrail.artifacts import get_artifact_repository

    return get_artifact_repository(active.info.artifact_uri)


__all__ = ["IMPORTANCE_TYPES", "check_importance_types", "log_training"]
