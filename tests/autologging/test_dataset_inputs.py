"""Autologging records the training data as dataset inputs (``log_datasets``, default True)."""

from __future__ import annotations

import json
from typing import Iterator

import numpy as np
import pytest

import mltrail
from mltrail.autologging import forget_warnings
from mltrail.entities import DATASET_CONTEXT_TAG

sklearn = pytest.importorskip("sklearn")


@pytest.fixture
def client(sqlite_uri: str) -> Iterator[mltrail.Client]:
    mltrail.set_tracking_uri(sqlite_uri)
    forget_warnings()
    yield mltrail.Client()
    mltrail.autolog(disable=True)
    while mltrail.active_run() is not None:
        mltrail.end_run()


def _inputs(client: mltrail.Client) -> list[tuple[str, str, dict, dict]]:
    """(context, name, schema, profile) of every dataset input of the last autologged run."""
    run = client.get_run(mltrail.last_active_run().info.run_id)
    return sorted(
        (
            {t.key: t.value for t in i.tags}[DATASET_CONTEXT_TAG],
            i.dataset.name,
            json.loads(i.dataset.schema),
            json.loads(i.dataset.profile),
        )
        for i in run.inputs.dataset_inputs
    )


def test_sklearn_fit_logs_its_training_data(client):
    from sklearn.linear_model import Ridge

    mltrail.sklearn.autolog(log_models=False)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 3)), rng.normal(size=120)
    Ridge().fit(X, y)

    [(context, name, schema, profile)] = _inputs(client)
    assert (context, name) == ("train", "dataset")
    assert profile == {"num_rows": 120, "num_elements": 360}
    features = json.loads(schema["mlflow_tensorspec"]["features"])[0]["tensor-spec"]
    assert features == {"dtype": "float64", "shape": [-1, 3]}
    assert json.loads(schema["mlflow_tensorspec"]["targets"])[0]["tensor-spec"]["shape"] == [-1]

    # the same data fitted again in another run is the same dataset (one row); other data is not
    Ridge(alpha=2.0).fit(X, y)
    Ridge().fit(X[:60], y[:60])
    with client._tracking_store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM datasets").scalar() == 2


def test_sklearn_pipeline_on_a_dataframe_logs_one_dataset_with_its_columns(client):
    import pandas as pd
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    mltrail.sklearn.autolog(log_models=False)
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"trip_distance": rng.random(50), "passenger_count": rng.integers(1, 5, 50)})
    make_pipeline(StandardScaler(), LinearRegression()).fit(df, pd.Series(rng.random(50), name="duration"))

    [(context, _, schema, profile)] = _inputs(client)  # the outermost fit only
    assert context == "train"
    assert [(c["name"], c["type"]) for c in schema["mlflow_colspec"]] == [
        ("trip_distance", "double"), ("passenger_count", "long"),
    ]
    assert schema["targets"] == "duration"
    assert profile == {"num_rows": 50, "num_elements": 100}


def test_log_datasets_false_logs_none(client):
    from sklearn.linear_model import Ridge

    mltrail.sklearn.autolog(log_models=False, log_datasets=False)
    Ridge().fit(np.ones((10, 2)), np.arange(10.0))
    run = client.get_run(mltrail.last_active_run().info.run_id)
    assert run.data.params["alpha"] == "1.0"
    assert run.inputs.dataset_inputs == []


def test_xgboost_train_logs_train_and_eval_datasets(client):
    xgb = pytest.importorskip("xgboost")

    mltrail.xgboost.autolog(log_models=False)
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(300, 4)), rng.normal(size=300)
    dtrain = xgb.DMatrix(X[:200], label=y[:200], feature_names=["distance", "hour", "pickup", "dropoff"])
    dvalid = xgb.DMatrix(X[200:], label=y[200:], feature_names=["distance", "hour", "pickup", "dropoff"])
    xgb.train({"max_depth": 2}, dtrain, num_boost_round=3, evals=[(dtrain, "train"), (dvalid, "validation")],
              verbose_eval=False)

    got = _inputs(client)
    assert [(context, name, profile) for context, name, _, profile in got] == [
        ("eval", "validation", {"num_rows": 100, "num_elements": 400}),
        ("train", "train", {"num_rows": 200, "num_elements": 800}),
    ]
    assert [c["name"] for c in got[1][2]["mlflow_colspec"]] == ["distance", "hour", "pickup", "dropoff"]
    run = client.get_run(mltrail.last_active_run().info.run_id)
    assert "validation-rmse" in run.data.metrics  # logged with the datasets in the run's last transaction


def test_xgboost_sklearn_api_logs_the_eval_set(client):
    xgb = pytest.importorskip("xgboost")

    mltrail.xgboost.autolog(log_models=False)
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(80, 2)), rng.normal(size=80)
    xgb.XGBRegressor(n_estimators=2).fit(X[:60], y[:60], eval_set=[(X[60:], y[60:])], verbose=False)
    assert [(c, n, p["num_rows"]) for c, n, _, p in _inputs(client)] == [("eval", "validation_0", 20), ("train", "train", 60)]
