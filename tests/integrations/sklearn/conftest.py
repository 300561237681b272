"""Data fixtures for the sklearn autologging tests (test_autolog*.py); shared ones are in ../conftest.py."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 4))
    y = X @ np.array([1.5, -2.0, 0.5, 0.0]) + rng.normal(0, 0.1, 120)
    return X[:90], X[90:], y[:90], y[90:]


@pytest.fixture
def classification_data():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(150, 4))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.3, 150), [-0.5, 0.5])  # 3 classes
    return X[:110], X[110:], y[:110], y[110:]
