"""The real MLflow 3.x client (``mlflow-skinny``) against ``mltrail server``, and the reverse:
runs logged by mltrail read back by the stock client."""

from __future__ import annotations

import math
import os
import uuid

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

import mltrail  # noqa: E402


@pytest.fixture
def stock(live_server: str) -> MlflowClient:
    mlflow.set_tracking_uri(live_server)
    mlflow.set_registry_uri(live_server)
    yield MlflowClient(live_server, live_server)
    mlflow.set_tracking_uri(None)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_experiments_create_get_rename_delete_restore(stock):
    name = _name("exp")
    exp_id = stock.create_experiment(name, tags={"team": "taxi"})
    exp = stock.get_experiment(exp_id)
    assert (exp.name, exp.tags["team"], exp.lifecycle_stage) == (name, "taxi", "active")
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert stock.get_experiment_by_name(name).experiment_id == exp_id
    assert stock.get_experiment_by_name(_name("missing")) is None
    stock.rename_experiment(exp_id, name + "-v2")
    stock.set_experiment_tag(exp_id, "stage", "dev")
    stock.delete_experiment(exp_id)
    assert stock.get_experiment(exp_id).lifecycle_stage == "deleted"
    stock.restore_experiment(exp_id)
    found = stock.search_experiments(filter_string=f"name = '{name}-v2'")
    assert [(e.experiment_id, e.tags["stage"]) for e in found] == [(exp_id, "dev")]
    with pytest.raises(MlflowException) as err:
        stock.create_experiment(name + "-v2")
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_runs_params_metrics_tags_batch_and_history(stock):
    mlflow.set_experiment(_name("runs"))
    with mlflow.start_run(run_name="lasso") as run:
        mlflow.log_param("alpha", 0.01)
        mlflow.log_params({"l1": 1, "path": "./data/green.parquet"})
        for step, loss in enumerate([9.1, 7.4, 6.9]):
            mlflow.log_metric("rmse", loss, step=step)
        mlflow.log_metrics({"mae": 3.5, "nan": float("nan"), "inf": float("inf")})
        mlflow.set_tags({"developer": "ana", "model": "lasso"})
        mlflow.set_tag("tmp", "x")
        mlflow.delete_tag("tmp")
    run_id = run.info.run_id
    got = stock.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "lasso"
    assert got.data.params == {"alpha": "0.01", "l1": "1", "path": "./data/green.parquet"}
    assert got.data.metrics["rmse"] == 6.9 and got.data.metrics["mae"] == 3.5
    assert math.isnan(got.data.metrics["nan"]) and got.data.metrics["inf"] == math.inf
    assert got.data.tags["developer"] == "ana" and "tmp" not in got.data.tags
    assert [(m.step, m.value) for m in stock.get_metric_history(run_id, "rmse")] == [(0, 9.1), (1, 7.4), (2, 6.9)]
    from mlflow.entities import Metric, Param, RunTag

    stock.log_batch(run_id, metrics=[Metric("loss", float(i), 1000 + i, i) for i in range(250)],
                    params=[Param("batch", "yes")], tags=[RunTag("b", "1")])
    assert len(stock.get_metric_history(run_id, "loss")) == 250
    # a retried log-batch (same rows again) does not duplicate metric rows
    stock.log_batch(run_id, metrics=[Metric("loss", 1.0, 1001, 1)])
    assert len(stock.get_metric_history(run_id, "loss")) == 250
    with pytest.raises(MlflowException) as err:
        stock.log_param(run_id, "alpha", 0.5)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as err:
        stock.get_run("0" * 32)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_search_runs_filters_order_and_paging(stock):
    exp_id = stock.create_experiment(_name("search"))
    for i in range(5):
        run = stock.create_run(exp_id, run_name=f"r{i}")
        stock.log_metric(run.info.run_id, "rmse", 10 - i)
        stock.log_param(run.info.run_id, "i", i)
        stock.set_terminated(run.info.run_id)
    runs = stock.search_runs([exp_id], "metrics.rmse < 8", order_by=["metrics.rmse ASC"])
    assert [r.data.metrics["rmse"] for r in runs] == [6.0, 7.0]
    first = stock.search_runs([exp_id], order_by=["params.i ASC"], max_results=2)
    second = stock.search_runs([exp_id], order_by=["params.i ASC"], max_results=2, page_token=first.token)
    third = stock.search_runs([exp_id], order_by=["params.i ASC"], max_results=2, page_token=second.token)
    assert [r.data.params["i"] for r in [*first, *second, *third]] == ["0", "1", "2", "3", "4"]
    assert third.token is None
    df = mlflow.search_runs([exp_id], filter_string="params.i = '3'")
    assert list(df["metrics.rmse"]) == [7.0]


def test_artifacts_log_list_download(stock, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "pred.csv").write_text("y\n1\n")
    (tmp_path / "vec.pkl").write_bytes(b"\x00\x01vec")
    mlflow.set_experiment(_name("artifacts"))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "vec.pkl"), artifact_path="extra")
        mlflow.log_artifacts(str(tmp_path / "out"), artifact_path="outputs")
        mlflow.log_dict({"a": 1}, "config.json")
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    run_id = run.info.run_id
    assert sorted(f.path for f in stock.list_artifacts(run_id)) == ["config.json", "extra", "outputs"]
    assert [(f.path, f.file_size) for f in stock.list_artifacts(run_id, "extra")] == [("extra/vec.pkl", 5)]
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="outputs", dst_path=str(tmp_path / "dl"))
    assert open(os.path.join(local, "pred.csv")).read() == "y\n1\n"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json") == {"a": 1}


def _saved_model(tmp_path, intercept: float) -> str:
    from sklearn.linear_model import LinearRegression

    X = np.random.default_rng(0).normal(size=(20, 3))
    model = LinearRegression().fit(X, X @ np.array([1.0, 0.0, 0.0]) + intercept)
    path = str(tmp_path / f"model-{intercept}")
    mlflow.sklearn.save_model(model, path)
    return path


def test_registry_register_transition_alias_and_load(stock, tmp_path):
    name = _name("taxi")
    mlflow.set_experiment(_name("registry"))
    with mlflow.start_run() as run:
        mlflow.log_artifacts(_saved_model(tmp_path, 3.0), artifact_path="model")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert (mv.name, mv.version, mv.status) == (name, "1", "READY")
    stock.transition_model_version_stage(name, "1", "Production")
    assert stock.get_latest_versions(name, ["Production"])[0].version == "1"
    stock.set_registered_model_alias(name, "champion", "1")
    assert stock.get_model_version_by_alias(name, "champion").version == "1"
    stock.set_model_version_tag(name, "1", "validated", "yes")
    stock.update_registered_model(name, description="taxi fares")
    model = stock.get_registered_model(name)
    assert model.description == "taxi fares" and model.aliases == {"champion": "1"}
    versions = stock.search_model_versions(f"name = '{name}'")
    assert [(v.version, v.tags) for v in versions] == [("1", {"validated": "yes"})]
    for uri in (f"models:/{name}/1", f"models:/{name}@champion", f"models:/{name}/Production"):
        loaded = mlflow.pyfunc.load_model(uri)
        assert float(np.ravel(loaded.predict(np.zeros((1, 3))))[0]) == pytest.approx(3.0)
    stock.delete_registered_model_alias(name, "champion")
    stock.delete_model_version(name, "1")
    stock.delete_registered_model(name)
    with pytest.raises(MlflowException) as err:
        stock.get_registered_model(name)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_runs_logged_by_mltrail_read_by_the_stock_client(stock, live_server, tmp_path):
    client = mltrail.MlflowClient(live_server)
    exp_id = client.create_experiment(_name("reverse"))
    run = client.create_run(exp_id, run_name="from-mltrail")
    client.log_param(run.info.run_id, "alpha", 0.5)
    for step in range(3):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    client.log_text(run.info.run_id, "hello", "notes/hello.txt")
    client.set_terminated(run.info.run_id)
    got = stock.get_run(run.info.run_id)
    assert (got.info.run_name, got.info.status, got.data.params) == ("from-mltrail", "FINISHED", {"alpha": "0.5"})
    assert [m.value for m in stock.get_metric_history(run.info.run_id, "loss")] == [1.0, 0.5, 1.0 / 3]
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/hello.txt") == "hello"
