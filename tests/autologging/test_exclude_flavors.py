"""``mltrail.autolog(exclude_flavors=[...])`` (MLflow's option) leaves those integrations alone."""

from __future__ import annotations

import numpy as np
import pytest

import mltrail

pytest.importorskip("sklearn")
from sklearn.linear_model import Ridge  # noqa: E402


@pytest.fixture
def store(sqlite_uri):
    mltrail.set_tracking_uri(sqlite_uri)
    yield mltrail.Client(sqlite_uri)
    mltrail.autolog(disable=True)


def _fit() -> None:
    X = np.arange(12.0).reshape(6, 2)
    Ridge().fit(X, X[:, 0])


def test_an_excluded_flavor_is_not_autologged(store):
    mltrail.autolog(exclude_flavors=["sklearn"])
    _fit()
    assert store.search_runs(["0"]) == []


def test_excluding_another_flavor_keeps_sklearn(store):
    mltrail.autolog(exclude_flavors=["xgboost"])
    _fit()
    (run,) = store.search_runs(["0"])
    assert run.data.tags["mlflow.autologging"] == "sklearn"
