"""Fixtures for model tests: a tracking database, a small fitted pipeline and its data."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pytest

import mltrail


def _end_all_runs() -> None:
    while mltrail.active_run() is not None:
        mltrail.end_run()


@pytest.fixture
def tracking(sqlite_uri: str) -> Iterator[str]:
    """Fluent API pointed at a fresh SQLite file; no run left active afterwards."""
    _end_all_runs()
    mltrail.set_tracking_uri(sqlite_uri)
    yield sqlite_uri
    _end_all_runs()


@pytest.fixture(scope="session")
def iris_like() -> tuple[pd.DataFrame, pd.Series]:
    """120 rows, 4 float columns, 3 classes (generated, deterministic)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    y = pd.Series((X["sepal_length"] + X["petal_width"] > 0).astype(int) + (X["petal_length"] > 1).astype(int))
    return X, y


@pytest.fixture(scope="session")
def pipeline(iris_like):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris_like
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(X, y)


@pytest.fixture
def saved_model(tmp_path, pipeline, iris_like) -> str:
    """A pipeline saved with an input example (so it has a signature)."""
    X, _ = iris_like
    path = str(tmp_path / "model")
    mltrail.sklearn.save_model(pipeline, path, input_example=X[:5])
    return path
