"""MlflowClient against a real SQLite store: experiments, runs, logging, artifacts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

import mltrail
from mltrail.client import MlflowClient as ClientFromClient
from mltrail.entities import LifecycleStage, Metric, Param, RunStatus, RunTag, ViewType
from mltrail.exceptions import InvalidStateError, ResourceAlreadyExistsError, ResourceNotFoundError
from mltrail.tracking import MlflowClient


def test_client_is_importable_under_mlflows_names():
    from mltrail.tracking.client import MlflowClient as ClientFromTrackingClient

    assert mltrail.MlflowClient is MlflowClient is ClientFromClient is ClientFromTrackingClient is mltrail.Client


def test_default_tracking_uri_is_the_embedded_sqlite_file(tmp_path, monkeypatch):
    client = MlflowClient()
    assert client.tracking_uri == "sqlite:///mltrail.db"
    assert client.get_experiment("0").name == "Default"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", str(tmp_path / "env.db"))
    assert MlflowClient().tracking_uri == "sqlite:///" + str(tmp_path / "env.db")


def test_experiment_lifecycle(client):
    exp_id = client.create_experiment("nyc-taxi", tags={"team": "taxi"})
    exp = client.get_experiment(exp_id)
    assert (exp.name, exp.tags, exp.lifecycle_stage) == ("nyc-taxi", {"team": "taxi"}, LifecycleStage.ACTIVE)
    assert client.get_experiment_by_name("nyc-taxi").experiment_id == exp_id
    assert client.get_experiment_by_name("nope") is None
    with pytest.raises(ResourceAlreadyExistsError, match="nyc-taxi"):
        client.create_experiment("nyc-taxi")

    client.rename_experiment(exp_id, "nyc-taxi-v2")
    client.set_experiment_tag(exp_id, "quarter", 3)
    exp = client.get_experiment(exp_id)
    assert exp.name == "nyc-taxi-v2" and exp.tags == {"team": "taxi", "quarter": "3"}

    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    assert exp_id not in [e.experiment_id for e in client.search_experiments()]
    assert exp_id in [e.experiment_id for e in client.search_experiments(ViewType.DELETED_ONLY)]
    client.restore_experiment(exp_id)
    assert [e.name for e in client.search_experiments(filter_string="name LIKE 'nyc%'")] == ["nyc-taxi-v2"]


def test_run_lifecycle_and_system_fields(client):
    exp_id = client.create_experiment("runs")
    run = client.create_run(exp_id, tags={"team": "taxi"}, run_name="baseline", start_time=1_700_000_000_000)
    run_id = run.info.run_id
    assert len(run_id) == 32 and run.info.status == RunStatus.RUNNING
    assert run.info.run_name == "baseline" and run.info.start_time == 1_700_000_000_000
    assert run.info.user_id  # the login name
    assert run.data.tags["team"] == "taxi" and run.data.tags["mlflow.runName"] == "baseline"

    client.update_run(run_id, name="renamed")
    assert client.get_run(run_id).info.run_name == "renamed"
    client.set_terminated(run_id, status="FAILED", end_time=1_700_000_005_000)
    info = client.get_run(run_id).info
    assert (info.status, info.end_time) == ("FAILED", 1_700_000_005_000)
    client.set_terminated(run_id)
    assert client.get_run(run_id).info.status == "FINISHED"

    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    assert client.search_runs(exp_id) == []
    assert [r.info.run_id for r in client.search_runs(exp_id, run_view_type=ViewType.DELETED_ONLY)] == [run_id]
    client.restore_run(run_id)
    assert [r.info.run_id for r in client.search_runs([exp_id])] == [run_id]


def test_logging_params_metrics_tags_and_history(client):
    run_id = client.create_run("0").info.run_id
    assert client.log_param(run_id, "alpha", 0.01) == 0.01
    client.log_param(run_id, "alpha", "0.01")  # same value again is fine
    for step, loss in enumerate([0.9, 0.5, 0.3]):
        client.log_metric(run_id, "loss", loss, step=step, timestamp=1_700_000_000_000 + step)
    client.log_metric(run_id, "nan", float("nan"))
    client.log_metric(run_id, "inf", float("-inf"))
    client.set_tag(run_id, "developer", "data-scientist")
    client.set_tag(run_id, "tmp", 1)
    client.delete_tag(run_id, "tmp")
    client.log_batch(
        run_id,
        metrics=[Metric("acc", 0.93, 1_700_000_000_000, 0)],
        params=[Param("l1_ratio", "0.5")],
        tags=[RunTag("stage", "dev")],
    )
    data = client.get_run(run_id).data
    assert data.params == {"alpha": "0.01", "l1_ratio": "0.5"}
    assert data.metrics["loss"] == 0.3 and data.metrics["acc"] == 0.93
    assert math.isnan(data.metrics["nan"]) and data.metrics["inf"] == float("-inf")
    assert data.tags["developer"] == "data-scientist" and data.tags["stage"] == "dev"
    assert "tmp" not in data.tags
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (0, 0.9, 1_700_000_000_000),
        (1, 0.5, 1_700_000_000_001),
        (2, 0.3, 1_700_000_000_002),
    ]


def test_numpy_scalars_are_accepted_as_metric_values(client):
    np = pytest.importorskip("numpy")
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "f32", np.float32(0.5), step=np.int64(2))
    client.log_metric(run_id, "arr0d", np.array(1.5))
    assert client.get_run(run_id).data.metrics == {"f32": 0.5, "arr0d": 1.5}
    assert client.get_metric_history(run_id, "f32")[0].step == 2


def test_search_runs_with_filter_and_order(client):
    exp_id = client.create_experiment("search")
    for rmse in (7.5, 6.1, 6.9):
        run_id = client.create_run(exp_id).info.run_id
        client.log_metric(run_id, "rmse", rmse)
    runs = client.search_runs(
        experiment_ids=exp_id,
        filter_string="metrics.rmse < 7",
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=5,
        order_by=["metrics.rmse ASC"],
    )
    assert [r.data.metrics["rmse"] for r in runs] == [6.1, 6.9]


def test_parent_run(client):
    parent = client.create_run("0").info.run_id
    child = client.create_run("0", tags={"mlflow.parentRunId": parent}).info.run_id
    assert client.get_parent_run(child).info.run_id == parent
    assert client.get_parent_run(parent) is None


def test_unknown_ids_raise_not_found_naming_the_id(client):
    with pytest.raises(ResourceNotFoundError, match="deadbeef"):
        client.get_run("deadbeef" * 4)
    with pytest.raises(ResourceNotFoundError, match="424242"):
        client.get_experiment("424242")
    with pytest.raises(ResourceNotFoundError, match="424242"):
        client.create_run("424242")


def test_artifacts_through_the_client(client, tmp_path):
    run = client.create_run(client.create_experiment("arts"))
    run_id = run.info.run_id
    exp_id = run.info.experiment_id
    local = tmp_path / "vectorizer.pkl"
    local.write_bytes(b"vec")
    client.log_artifact(run_id, str(local), artifact_path="extra_artifacts")
    client.log_text(run_id, "all good\n", "notes/summary.txt")
    client.log_dict(run_id, {"alpha": 0.1, "layers": [64, 32]}, "config.yaml")
    client.log_dict(run_id, {"alpha": 0.1}, "config.json")
    # layout: <artifact_root>/<experiment_id>/<run_id>/artifacts/...
    assert run.info.artifact_uri.replace("\\", "/").endswith(f"/{exp_id}/{run_id}/artifacts")
    assert [f.path for f in client.list_artifacts(run_id)] == [
        "config.json", "config.yaml", "extra_artifacts", "notes",
    ]
    assert [f.path for f in client.list_artifacts(run_id, "extra_artifacts")] == ["extra_artifacts/vectorizer.pkl"]
    out = client.download_artifacts(run_id, "", str(tmp_path / "out"))
    assert (Path(out) / "extra_artifacts" / "vectorizer.pkl").read_bytes() == b"vec"
    assert (Path(out) / "notes" / "summary.txt").read_text() == "all good\n"
    assert yaml.safe_load((Path(out) / "config.yaml").read_text()) == {"alpha": 0.1, "layers": [64, 32]}
    assert json.loads((Path(out) / "config.json").read_text()) == {"alpha": 0.1}
    assert client.get_artifact_uri(run_id, "notes") == run.info.artifact_uri + "/notes"


def test_artifacts_refused_on_a_deleted_run(client, tmp_path):
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    with pytest.raises(InvalidStateError, match=f"{run_id}.*deleted"):
        client.log_text(run_id, "x", "x.txt")
    client.restore_run(run_id)
    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize("backend_uri", ["postgres_uri", "mysql_uri"])
def test_client_workflow_on_server_databases(backend_uri, request):
    uri = request.getfixturevalue(backend_uri)
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("server")
    run_id = client.create_run(exp_id, run_name="r").info.run_id
    client.log_param(run_id, "alpha", 0.5)
    for step in range(3):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    client.set_terminated(run_id)
    run = client.search_runs(exp_id, "metrics.loss < 0.5")[0]
    assert run.info.status == "FINISHED" and run.data.params == {"alpha": "0.5"}
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [1.0, 0.5, 1 / 3]
