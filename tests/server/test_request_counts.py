"""DESIGN.md rule 6 over HTTP: an autologged call that owns its run costs two write requests
(``runs/create``, then ``runs/finish``: the last batch and the end in one transaction), a call that
reuses a run one; and ``store.rest`` falls back to MLflow's own calls against a server without
mltrail's extension endpoints."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pytest

import mltrail
from mltrail.autologging import forget_warnings
from mltrail.entities import Dataset, DatasetInput, Metric, Param, RunTag
from mltrail.exceptions import InvalidParameterError

X = np.arange(40.0).reshape(20, 2)
Y = X[:, 0] * 2.0 + 1.0


@pytest.fixture
def tracked(recorded_server) -> Iterator:
    """Start a recorded server and make it the tracking URI; autologging disabled afterwards."""

    def _start(without: tuple[str, ...] = ()):
        uri, recorder = recorded_server(without)
        mltrail.set_tracking_uri(uri)
        forget_warnings()
        return uri, recorder

    yield _start
    mltrail.autolog(disable=True)
    while mltrail.active_run() is not None:
        mltrail.end_run()


def _dataset(name: str = "train") -> DatasetInput:
    return DatasetInput(Dataset(name, "d1g35t", "code", '{"x": 1}'), [])


def test_sklearn_fit_that_owns_its_run_is_two_write_requests(tracked) -> None:
    from sklearn.linear_model import LinearRegression

    uri, recorder = tracked()
    mltrail.sklearn.autolog(log_models=False)
    recorder.requests.clear()
    LinearRegression().fit(X, Y)
    assert recorder.writes() == ["POST runs/create", "POST runs/finish"]
    run = mltrail.last_active_run()
    stored = mltrail.Client().get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params["fit_intercept"] == "True"
    assert stored.data.metrics["training_r2_score"] == pytest.approx(1.0)
    assert [d.dataset.name for d in stored.inputs.dataset_inputs]  # the datasets came in the same request


def test_sklearn_fit_in_a_user_run_is_one_write_request(tracked) -> None:
    from sklearn.linear_model import LinearRegression

    uri, recorder = tracked()
    mltrail.sklearn.autolog(log_models=False)
    with mltrail.start_run() as run:
        recorder.requests.clear()
        LinearRegression().fit(X, Y)
        assert recorder.writes() == ["POST runs/log-batch-inputs"]
    stored = mltrail.Client().get_run(run.info.run_id)
    assert stored.data.params["fit_intercept"] == "True"
    assert stored.inputs.dataset_inputs


def test_xgboost_iterations_travel_in_the_last_batch(tracked) -> None:
    xgb = pytest.importorskip("xgboost")
    uri, recorder = tracked()
    mltrail.xgboost.autolog(log_models=False)
    recorder.requests.clear()
    dtrain = xgb.DMatrix(X, label=Y)
    xgb.train({"max_depth": 2}, dtrain, num_boost_round=30, evals=[(dtrain, "train")], verbose_eval=False)
    assert recorder.writes() == ["POST runs/create", "POST runs/finish"]
    run_id = mltrail.last_active_run().info.run_id
    assert len(mltrail.Client().get_metric_history(run_id, "train-rmse")) == 30


def test_hyperopt_trial_is_create_and_finish(tracked) -> None:
    hyperopt = pytest.importorskip("hyperopt")
    uri, recorder = tracked()
    mltrail.hyperopt.autolog()
    recorder.requests.clear()
    hyperopt.fmin(lambda p: p["x"] ** 2, {"x": hyperopt.hp.uniform("x", -1, 1)}, algo=hyperopt.tpe.suggest,
                  max_evals=4, trials=hyperopt.Trials(), show_progressbar=False)
    writes = recorder.writes()
    # the parent run and four trials: each created once and ended with its batch in one request
    assert writes.count("POST runs/create") == 5
    assert writes.count("POST runs/finish") == 5
    assert len(writes) == 10


def test_finish_run_over_the_batch_limit_sends_the_first_part_before(tracked) -> None:
    uri, recorder = tracked()
    client = mltrail.Client()
    run = client.create_run("0")
    recorder.requests.clear()
    metrics = [Metric("m", float(i), 1700000000000 + i, i) for i in range(1500)]
    client.finish_run(run.info.run_id, "FINISHED", metrics=metrics, params=[Param("a", "1")])
    assert recorder.writes() == ["POST runs/log-batch", "POST runs/finish"]
    assert len(client.get_metric_history(run.info.run_id, "m")) == 1500
    assert client.get_run(run.info.run_id).info.status == "FINISHED"


def test_finish_with_a_bad_value_leaves_the_run_as_it_was(tracked) -> None:
    uri, recorder = tracked()
    client = mltrail.Client()
    run = client.create_run("0")
    client.log_param(run.info.run_id, "alpha", "1")
    with pytest.raises(InvalidParameterError):
        client.finish_run(run.info.run_id, "FINISHED", metrics=[Metric("m", 1.0, 1700000000000, 0)],
                          params=[Param("alpha", "2")])
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "RUNNING"
    assert stored.data.metrics == {}
    assert stored.data.params == {"alpha": "1"}


def test_finish_refuses_an_unknown_status(tracked) -> None:
    import httpx

    uri, recorder = tracked()
    run = mltrail.Client().create_run("0")
    answer = httpx.post(uri + "/api/2.0/mlflow/runs/finish", json={"run_id": run.info.run_id, "status": "DONE"})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'DONE'" in answer.json()["message"]
    assert mltrail.Client().get_run(run.info.run_id).info.status == "RUNNING"


def test_server_without_extensions_gets_mlflows_calls(tracked) -> None:
    uri, recorder = tracked(without=("runs/finish", "runs/log-batch-inputs"))
    client = mltrail.Client()
    first, second = client.create_run("0"), client.create_run("0")
    recorder.requests.clear()
    client.log_batch(first.info.run_id, metrics=[Metric("m", 1.0, 1700000000000, 0)], datasets=[_dataset()])
    info = client.finish_run(first.info.run_id, "FAILED", params=[Param("a", "1")], tags=[RunTag("t", "v")],
                             datasets=[_dataset("eval")])
    client.finish_run(second.info.run_id, "FINISHED", metrics=[Metric("m", 2.0, 1700000000000, 0)])
    assert recorder.writes() == [
        "POST runs/log-batch-inputs", "POST runs/log-batch", "POST runs/log-inputs",  # learns: no extensions
        "POST runs/log-batch", "POST runs/log-inputs", "POST runs/update",
        "POST runs/log-batch", "POST runs/update",
    ]
    assert info.status == "FAILED"
    stored = client.get_run(first.info.run_id)
    assert stored.data.metrics == {"m": 1.0} and stored.data.params == {"a": "1"} and stored.data.tags["t"] == "v"
    assert sorted(d.dataset.name for d in stored.inputs.dataset_inputs) == ["eval", "train"]
    assert client.get_run(second.info.run_id).info.status == "FINISHED"


def test_log_batch_past_every_limit_is_split_into_requests_the_server_accepts(tracked) -> None:
    uri, recorder = tracked()
    client = mltrail.Client()
    run_id = client.create_run("0").info.run_id
    recorder.requests.clear()
    client.log_batch(run_id, metrics=[Metric("m", float(i), 1700000000000, i) for i in range(1850)],
                     params=[Param(f"p{i}", str(i)) for i in range(250)], tags=[RunTag(f"t{i}", "v") for i in range(30)])
    # 100 params + 30 tags + 870 metrics | 100 params + 900 metrics | 50 params + 80 metrics
    assert recorder.writes() == ["POST runs/log-batch"] * 3
    stored = client.get_run(run_id)
    assert len(stored.data.params) == 250 and len([t for t in stored.data.tags if t.startswith("t")]) == 30
    assert len(client.get_metric_history(run_id, "m")) == 1850
