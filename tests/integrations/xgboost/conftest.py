"""Fixtures for the xgboost autologging tests (test_autolog*.py); the flavor tests do not use them."""

from __future__ import annotations

import logging
from typing import Callable, Iterator

import numpy as np
import pytest

import mltrail
from mltrail.autologging import forget_warnings


@pytest.fixture
def autolog_store(sqlite_uri: str) -> Iterator[mltrail.Client]:
    """A fresh SQLite store as tracking URI; every integration disabled again afterwards."""
    mltrail.set_tracking_uri(sqlite_uri)
    forget_warnings()
    yield mltrail.Client()
    mltrail.xgboost.wait_for_figures()
    mltrail.autolog(disable=True)  # also what a test enabled through mltrail.autolog()
    while mltrail.active_run() is not None:
        mltrail.end_run()


@pytest.fixture
def autolog_warnings(caplog) -> Callable[[], list[str]]:
    """A function returning the WARNING messages logged so far on ``mltrail.autologging``."""
    caplog.set_level(logging.WARNING, logger="mltrail.autologging")
    return lambda: [
        r.getMessage() for r in caplog.records if r.name == "mltrail.autologging" and r.levelno >= logging.WARNING
    ]


@pytest.fixture
def all_runs(autolog_store: mltrail.Client) -> Callable[[], list]:
    """A function returning every run of the Default experiment, oldest first."""

    def runs() -> list:
        experiment = autolog_store.get_experiment_by_name("Default")
        if experiment is None:
            return []
        return list(reversed(autolog_store.search_runs([experiment.experiment_id], order_by=["start_time DESC"])))

    return runs


@pytest.fixture
def dmatrices():
    """(dtrain, dvalid, X_valid, y_valid): a small regression problem with named features."""
    import pandas as pd
    import xgboost as xgb

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["distance", "hour", "pickup", "dropoff"])
    y = 2.0 * X["distance"] - X["hour"] + rng.normal(0, 0.3, 400)
    dtrain = xgb.DMatrix(X[:300], label=y[:300])
    dvalid = xgb.DMatrix(X[300:], label=y[300:])
    return dtrain, dvalid, X[300:], y[300:]

