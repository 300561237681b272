"""Data fixtures for the xgboost autologging tests (test_autolog*.py); shared ones are in ../conftest.py."""

from __future__ import annotations

import numpy as np
import pytest


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

