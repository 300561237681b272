"""Autologging never breaks training: broken stores, read-only databases, unwritable artifacts, bad input.

Each case checks what the user gets back (the very object fit returns
without autologging, with the same predictions), that no exception escapes,
and that exactly one warning on ``mltrail.autologging`` says what was not
logged and why.
"""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LogisticRegression, Ridge

import mltrail
from tests.integrations._logged import has_model
import mltrail.store


def fit_reference_and_autologged(X, y, make):
    """(plain model, autologged model, what the autologged fit returned)."""
    plain = make().fit(X, y)
    model = make()
    returned = model.fit(X, y)
    return plain, model, returned


@pytest.mark.parametrize("log_models", [True, False])
def test_store_raising_on_every_call(autolog_store, autolog_warnings, classification_data, log_models):
    X, X_val, y, _ = classification_data
    # nothing listens on port 1: every store call fails with a connection error
    mltrail.set_tracking_uri("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    mltrail.sklearn.autolog(log_models=log_models)
    plain, model, returned = fit_reference_and_autologged(X, y, lambda: LogisticRegression(max_iter=300))
    assert returned is model
    np.testing.assert_array_equal(model.predict(X_val), plain.predict(X_val))
    (message,) = autolog_warnings()
    assert "could not start or find a run" in message
    assert mltrail.active_run() is None


def test_read_only_database(autolog_store, autolog_warnings, regression_data, tmp_path):
    X, X_val, y, _ = regression_data
    db = tmp_path / "ro.db"
    mltrail.set_tracking_uri(f"sqlite:///{db}")
    with mltrail.start_run():  # creates the schema and the Default experiment
        pass
    mltrail.store._clear_store_cache()
    mltrail.set_tracking_uri(f"sqlite:///file:{db}?mode=ro&uri=true")
    mltrail.sklearn.autolog()
    plain, model, returned = fit_reference_and_autologged(X, y, Ridge)
    assert returned is model
    np.testing.assert_allclose(model.predict(X_val), plain.predict(X_val))
    (message,) = autolog_warnings()
    assert "readonly" in message.replace("-", "").replace(" ", "").lower() or "read-only" in message
    assert mltrail.active_run() is None


def test_unwritable_artifact_root(autolog_store, autolog_warnings, all_runs, classification_data, tmp_path,
                                  monkeypatch):
    X, X_val, y, _ = classification_data
    blocker = tmp_path / "a-file"
    blocker.write_text("artifacts cannot go below a regular file")
    monkeypatch.setenv("MLTRAIL_ARTIFACT_ROOT", str(blocker / "artifacts"))
    mltrail.set_tracking_uri(f"sqlite:///{tmp_path / 'fresh.db'}")
    mltrail.sklearn.autolog()  # model + plots both need the artifact store
    plain, model, returned = fit_reference_and_autologged(X, y, lambda: LogisticRegression(max_iter=300))
    assert returned is model
    np.testing.assert_array_equal(model.predict(X_val), plain.predict(X_val))
    assert mltrail.flush_artifacts()
    # the call's own warning, then one per figure the background writer could not store
    background = [m for m in autolog_warnings() if "could not log the model" not in m]
    (message,) = [m for m in autolog_warnings() if "could not log the model" in m]
    assert len(background) == 3 and all("NotADirectoryError" in m for m in background)
    assert {m.split(": could not ")[1].split(":")[0] for m in background} == {
        "log estimator.html", "draw the classifier plots", "write the classifier plots' data"
    }
    run = mltrail.last_active_run()
    assert run.info.status == "FINISHED" and "training_accuracy_score" in run.data.metrics


class BrokenParams(RegressorMixin, BaseEstimator):
    """An estimator whose get_params raises."""

    def fit(self, X, y):
        self.coef_ = np.linalg.lstsq(X, y, rcond=None)[0]
        return self

    def predict(self, X):
        return X @ self.coef_

    def get_params(self, deep=True):
        raise RuntimeError("params are secret")


def test_get_params_raising(autolog_store, autolog_warnings, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    model = BrokenParams()
    assert model.fit(X, y) is model
    (run,) = all_runs()
    assert run.data.params == {}
    assert "training_mean_squared_error" in run.data.metrics
    assert mltrail.flush_artifacts()
    # the call's warning, and the background writer's (in either order: the diagram reads params too)
    html, message = sorted(autolog_warnings(), key=lambda m: "estimator.html" not in m)
    assert "could not read the estimator's params: RuntimeError: params are secret" in message
    assert "could not log estimator.html: RuntimeError: params are secret" in html


class Unprintable:
    def __str__(self):
        raise ValueError("no text for you")

    __repr__ = __str__


class OddParams(RegressorMixin, BaseEstimator):
    """Params that cannot become strings, or become very long ones."""

    def __init__(self, weird=None, long_text="x"):
        self.weird = weird
        self.long_text = long_text

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_params_that_cannot_be_strings_or_are_too_long(autolog_store, autolog_warnings, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    OddParams(weird=Unprintable(), long_text="y" * 10_000).fit(X, y)
    (run,) = all_runs()
    params = run.data.params
    assert params["weird"].startswith("<unprintable Unprintable")
    assert len(params["long_text"]) <= 6000 and params["long_text"].endswith("characters]")
    assert "truncated" in params["long_text"]
    assert "training_r2_score" in run.data.metrics
    assert mltrail.flush_artifacts()
    html, message = sorted(autolog_warnings(), key=lambda m: "estimator.html" not in m)
    assert "long_text" in message and "truncated" in message
    assert "could not log estimator.html: ValueError: no text for you" in html


class NanRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(len(X), np.nan)


def test_nan_metrics_are_logged_as_nan(autolog_store, autolog_warnings, all_runs, regression_data):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # our metric code must not spray RuntimeWarnings at the user
        NanRegressor().fit(X, y)
    (run,) = all_runs()
    assert math.isnan(run.data.metrics["training_mean_squared_error"])
    assert autolog_warnings() == []


class HoldsSomething(RegressorMixin, BaseEstimator):
    def __init__(self, thing=None):
        self.thing = thing

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


@pytest.mark.parametrize(
    "thing, serialization_format, reason",
    [
        (lambda x: x, "pickle", "lambda"),  # plain pickle cannot store a lambda
        (threading.Lock(), "cloudpickle", "lock"),  # nothing can pickle a lock
    ],
    ids=["lambda", "lock"],
)
def test_unpicklable_model(autolog_store, autolog_warnings, all_runs, regression_data, thing,
                           serialization_format, reason):
    X, _, y, _ = regression_data
    mltrail.sklearn.autolog(serialization_format=serialization_format)
    model = HoldsSomething(thing=thing)
    assert model.fit(X, y) is model
    (run,) = all_runs()
    assert "thing" in run.data.params and "training_score" in run.data.metrics
    assert run.info.status == "FINISHED"
    assert not has_model(run.info.run_id, client=autolog_store)
    (message,) = autolog_warnings()
    assert "could not log the model" in message and reason in message.lower()
