"""Fixtures for registry tests: a client on each backend and real logged sklearn models."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

import mltrail
from mltrail.client import Client


@pytest.fixture(params=["direct", "http"])
def client(request: pytest.FixtureRequest, store_uri: str) -> Client:
    """A client (tracking = registry) on a new database, for SQLite, PostgreSQL and MariaDB in turn,
    directly and (SQLite only) through a live ``mltrail server``."""
    uri = store_uri
    if request.param == "http":
        if not store_uri.startswith("sqlite"):
            pytest.skip("the http variant runs over SQLite only")
        uri = request.getfixturevalue("serve_http")(store_uri)
    mltrail.set_tracking_uri(uri)
    return Client(uri)


@pytest.fixture
def sqlite_client(sqlite_uri: str) -> Client:
    """A client on a new SQLite database only (tests that need no other backend)."""
    mltrail.set_tracking_uri(sqlite_uri)
    return Client(sqlite_uri)


@pytest.fixture
def training_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
    return X, y


@pytest.fixture
def log_model(training_data) -> Callable[..., str]:
    """``log_model(intercept=..., artifact_path="model")`` fits a LinearRegression on data whose
    intercept is ``intercept`` (so predictions tell models apart), logs it to a new run of the
    current tracking URI and returns its ``runs:/`` URI."""
    from sklearn.linear_model import LinearRegression

    X, y = training_data

    def _log(intercept: float = 3.0, artifact_path: str = "model") -> str:
        model = LinearRegression().fit(X, y - 3.0 + intercept)
        with mltrail.start_run() as run:
            mltrail.sklearn.log_model(model, name=artifact_path)
        return f"runs:/{run.info.run_id}/{artifact_path}"

    return _log


@pytest.fixture
def log_plain_model(training_data, tmp_path_factory) -> Callable[..., str]:
    """Like ``log_model`` but the model is a plain folder of the run's artifacts (saved, then
    logged with ``log_artifacts``: the MLflow 2 layout), for tests about the run's own files."""
    from sklearn.linear_model import LinearRegression

    X, y = training_data

    def _log(intercept: float = 3.0, artifact_path: str = "model") -> str:
        model = LinearRegression().fit(X, y - 3.0 + intercept)
        local = tmp_path_factory.mktemp("plain-model") / "m"
        mltrail.sklearn.save_model(model, str(local))
        with mltrail.start_run() as run:
            mltrail.log_artifacts(str(local), artifact_path)
        return f"runs:/{run.info.run_id}/{artifact_path}"

    return _log


@pytest.fixture
def intercept_of() -> Callable[[str], float]:
    """``intercept_of(model_uri)`` loads the model with pyfunc and returns the intercept its
    prediction at the origin reveals (the ``intercept`` given to ``log_model``)."""

    def _intercept(model_uri: str) -> float:
        loaded = mltrail.pyfunc.load_model(model_uri)
        prediction = np.asarray(loaded.predict(np.zeros((1, 3))), dtype=float)
        return round(float(prediction.ravel()[0]), 6)

    return _intercept
