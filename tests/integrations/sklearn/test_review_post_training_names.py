"""Post-training metric names when the evaluation happens inside a function (a sweep objective, a helper)."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics
from sklearn.linear_model import Ridge

import mltrail

_rng = np.random.default_rng(5)
X_holdout = _rng.normal(size=(30, 3))
y_holdout = X_holdout @ np.array([1.0, -1.0, 0.5])


def _evaluate(model):
    # X_holdout is a module global here, as in a script whose objective reads the validation set
    return sklearn.metrics.mean_squared_error(y_holdout, model.predict(X_holdout))


def test_a_module_level_dataset_used_inside_a_function_is_named(autolog_store, all_runs):
    mltrail.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_holdout, y_holdout)
    error = _evaluate(model)
    (run,) = all_runs()
    assert run.data.metrics["mean_squared_error_X_holdout"] == pytest.approx(error)
    assert not any(key.endswith("unknown_dataset") for key in run.data.metrics)
