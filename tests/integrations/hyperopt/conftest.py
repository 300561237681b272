"""Fixtures for the hyperopt sweep-tracking tests."""

from __future__ import annotations

import logging
from typing import Iterator

import numpy as np
import pytest

import mltrail


@pytest.fixture
def tracking(autolog_store: mltrail.Client) -> Iterator[mltrail.Client]:
    """The shared fresh store (../conftest.py), with hyperopt's own logging quietened."""
    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    yield autolog_store


class RunTree:
    """The runs of the Default experiment, as a user browsing them would see them."""

    def __init__(self, client: mltrail.Client) -> None:
        self.client = client

    def all(self) -> list:
        experiment = self.client.get_experiment_by_name("Default")
        if experiment is None:
            return []
        return list(reversed(self.client.search_runs([experiment.experiment_id], order_by=["start_time DESC"],
                                                     max_results=1000)))

    def parents(self) -> list:
        return [r for r in self.all() if "mlflow.parentRunId" not in r.data.tags]

    def children(self, parent_id: str) -> list:
        kids = [r for r in self.all() if r.data.tags.get("mlflow.parentRunId") == parent_id]
        return sorted(kids, key=lambda r: int(r.data.tags["mltrail.hyperopt.tid"]))


@pytest.fixture
def runs(tracking: mltrail.Client) -> RunTree:
    return RunTree(tracking)


@pytest.fixture
def xgb_data():
    """(dtrain, dvalid, y_valid) for the seed's XGBoost objective."""
    import xgboost as xgb

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = 3.0 * X[:, 0] - X[:, 1] + rng.normal(0, 0.5, 300)
    return xgb.DMatrix(X[:240], label=y[:240]), xgb.DMatrix(X[240:], label=y[240:]), y[240:]
