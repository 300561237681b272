"""MLflow 3 logged models over HTTP: the stock MLflow client's log_model / load_model / register_model
against ``mltrail server``, and mltrail's own client through ``store.rest``."""

from __future__ import annotations

import json

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

import mltrail  # noqa: E402

sklearn_linear = pytest.importorskip("sklearn.linear_model")


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, X @ np.array([1.0, -2.0, 0.5])


def test_stock_client_logs_loads_and_registers_a_logged_model(live_server):
    mlflow.set_tracking_uri(live_server)
    X, y = _data()
    mlflow.set_experiment(f"stock-logged-{np.random.default_rng().integers(1e9)}")
    model = sklearn_linear.LinearRegression().fit(X, y)
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", "0.1")
        info = mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle")
    assert info.model_uri == f"models:/{info.model_id}"
    # both clients see the same logged model, READY, linked to the run, with the run's params
    mine = mltrail.Client(live_server).get_logged_model(info.model_id)
    assert (mine.name, str(mine.status), mine.source_run_id) == ("model", "READY", run.info.run_id)
    stock = MlflowClient(live_server)
    assert stock.get_logged_model(info.model_id).status.name == "READY"
    found = mlflow.search_logged_models(experiment_ids=[run.info.experiment_id], output_format="list")
    assert [m.model_id for m in found] == [info.model_id]
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        np.testing.assert_allclose(mlflow.pyfunc.load_model(uri).predict(X), model.predict(X))
    name = f"reg-{info.model_id[-8:]}"
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert mv.version == "1"
    np.testing.assert_allclose(mlflow.pyfunc.load_model(f"models:/{name}/1").predict(X), model.predict(X))
    # the stock client notes the version on the logged model itself; the server does not note it twice
    tag = mltrail.Client(live_server).get_logged_model(info.model_id).tags["mlflow.modelVersions"]
    assert [(v["name"], str(v["version"])) for v in json.loads(tag)] == [(name, "1")]


def test_mltrail_client_logs_a_logged_model_over_http(live_server, tmp_path):
    mltrail.set_tracking_uri(live_server)
    X, y = _data()
    mltrail.set_experiment(f"mine-logged-{np.random.default_rng().integers(1e9)}")
    model = sklearn_linear.Ridge(alpha=0.5).fit(X, y)
    with mltrail.start_run() as run:
        mltrail.log_param("alpha", 0.5)
        info = mltrail.sklearn.log_model(model, name="model", tags={"team": "taxi"})
    stock = MlflowClient(live_server)
    theirs = stock.get_logged_model(info.model_id)
    assert (theirs.name, theirs.status.name, theirs.source_run_id) == ("model", "READY", run.info.run_id)
    assert theirs.tags["team"] == "taxi" and theirs.params == {"alpha": "0.5"}
    # the store recorded MLmodel's sha256 and checks it on load by URI
    assert mltrail.Client(live_server).get_logged_model(info.model_id).mlmodel_sha256
    loaded = mltrail.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    mlflow.set_tracking_uri(live_server)  # the stock client resolves models:/ on the server it is pointed at
    try:
        np.testing.assert_allclose(mlflow.sklearn.load_model(info.model_uri).predict(X), model.predict(X))
    finally:
        mlflow.set_tracking_uri(None)
    mv = mltrail.register_model(f"runs:/{run.info.run_id}/model", f"mine-{info.model_id[-8:]}")
    assert (mv.version, mv.model_id, mv.source) == (1, info.model_id, info.model_uri)
    tag = stock.get_logged_model(info.model_id).tags["mlflow.modelVersions"]
    assert json.loads(tag) == [{"name": f"mine-{info.model_id[-8:]}", "version": 1}]
