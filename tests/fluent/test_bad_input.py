"""Bad input through the fluent API and the client: a clear MltrailError that names the value
and the rule, and nothing already stored changes."""

from __future__ import annotations

import pytest

import mltrail as mlflow
from mltrail.exceptions import (
    InvalidParameterError,
    InvalidStateError,
    MltrailError,
    ResourceNotFoundError,
    StoreUnavailableError,
)


@pytest.fixture
def run(tracking_uri, client):
    """An active run with one param, one metric and one tag already stored."""
    active = mlflow.start_run()
    mlflow.log_param("alpha", "0.1")
    mlflow.log_metric("rmse", 6.9)
    mlflow.set_tag("team", "taxi")
    yield active
    mlflow.end_run()


def _snapshot(client, run_id):
    run = client.get_run(run_id)
    history = {k: [(m.value, m.step) for m in client.get_metric_history(run_id, k)] for k in run.data.metrics}
    return run.data.params, run.data.metrics, run.data.tags, history, run.info.status


def test_non_numeric_metric_value(run, client):
    before = _snapshot(client, run.info.run_id)
    with pytest.raises(InvalidParameterError) as err:
        mlflow.log_metric("rmse", "abc")
    assert "'abc'" in str(err.value) and "number" in str(err.value) and "rmse" in str(err.value)
    with pytest.raises(InvalidParameterError, match="None.*number"):
        client.log_metric(run.info.run_id, "rmse", None)
    with pytest.raises(InvalidParameterError, match="'abc'"):
        mlflow.log_metrics({"ok": 1.0, "rmse": "abc"})
    assert _snapshot(client, run.info.run_id) == before  # "ok" was not written either


def test_param_relogged_with_another_value(run, client):
    before = _snapshot(client, run.info.run_id)
    with pytest.raises(InvalidParameterError) as err:
        mlflow.log_param("alpha", "0.2")
    message = str(err.value)
    assert "alpha" in message and "0.2" in message and "0.1" in message
    with pytest.raises(InvalidParameterError, match="alpha"):
        mlflow.log_params({"beta": 1, "alpha": 0.3})
    assert _snapshot(client, run.info.run_id) == before


@pytest.mark.parametrize("key", ["a/../b", "/abs", "bad!key", "semi;colon", "", "k" * 251])
def test_bad_keys_are_refused_for_metrics_params_and_tags(run, client, key):
    before = _snapshot(client, run.info.run_id)
    shown = repr(key) if len(key) <= 60 else "250 characters"
    for call in (
        lambda: mlflow.log_metric(key, 1.0),
        lambda: mlflow.log_param(key, "v"),
        lambda: mlflow.set_tag(key, "v"),
        lambda: client.log_metric(run.info.run_id, key, 1.0),
    ):
        with pytest.raises(InvalidParameterError) as err:
            call()
        assert shown in str(err.value)
    assert _snapshot(client, run.info.run_id) == before


def test_over_long_values_are_refused(run, client):
    before = _snapshot(client, run.info.run_id)
    with pytest.raises(InvalidParameterError, match="at most 6000 characters"):
        mlflow.log_param("long", "x" * 6001)
    with pytest.raises(InvalidParameterError, match="at most 8000 characters"):
        mlflow.set_tag("long", "x" * 8001)
    assert _snapshot(client, run.info.run_id) == before


def test_logging_to_a_deleted_run_is_refused(tracking_uri, client):
    with mlflow.start_run() as run:
        mlflow.log_metric("rmse", 6.9)
    run_id = run.info.run_id
    client.delete_run(run_id)
    before = _snapshot(client, run_id)
    for call in (
        lambda: client.log_metric(run_id, "rmse", 1.0),
        lambda: client.log_param(run_id, "p", 1),
        lambda: client.set_tag(run_id, "t", 1),
        lambda: mlflow.log_metric("rmse", 1.0, run_id=run_id),
        lambda: client.log_text(run_id, "x", "x.txt"),
    ):
        with pytest.raises(MltrailError) as err:
            call()
        assert run_id in str(err.value) and "deleted" in str(err.value)
    assert _snapshot(client, run_id) == before
    assert client.list_artifacts(run_id) == []


def test_unknown_experiment_and_run_ids(tracking_uri, client):
    with pytest.raises(ResourceNotFoundError, match="4711"):
        mlflow.start_run(experiment_id="4711")
    with pytest.raises(ResourceNotFoundError, match="f" * 32):
        mlflow.get_run("f" * 32)
    with pytest.raises(ResourceNotFoundError, match="e" * 32):
        mlflow.log_metric("x", 1.0, run_id="e" * 32)
    with pytest.raises(ResourceNotFoundError, match="4711"):
        client.get_experiment("4711")
    assert client.search_runs("0") == []


def test_set_experiment_on_deleted_experiment(tracking_uri, client):
    exp_id = client.create_experiment("gone")
    client.delete_experiment(exp_id)
    with pytest.raises(InvalidStateError, match="'gone'.*deleted|deleted.*'gone'"):
        mlflow.set_experiment("gone")
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    assert [e.name for e in client.search_experiments()] == ["Default"]


@pytest.mark.parametrize(
    "bad_filter, token",
    [
        ("metrics.rmse <", "<"),
        ("metrics.rmse ~ 3", "~"),
        ("params.alpha = 0.1 AND", "AND"),
        ("metricz.rmse < 7", "metricz"),
    ],
)
def test_malformed_filter_strings(tracking_uri, client, bad_filter, token):
    with pytest.raises(InvalidParameterError) as err:
        mlflow.search_runs(filter_string=bad_filter)
    assert token in str(err.value)
    with pytest.raises(InvalidParameterError):
        client.search_runs("0", bad_filter)


def test_unknown_order_by_key(tracking_uri, client):
    with pytest.raises(InvalidParameterError, match="colour"):
        mlflow.search_runs(order_by=["attributes.colour ASC"])
    with pytest.raises(InvalidParameterError, match="sideways"):
        client.search_runs("0", order_by=["metrics.rmse sideways"])


def test_artifact_path_traversal(run, client, tmp_path):
    local = tmp_path / "f.txt"
    local.write_text("x")
    for call in (
        lambda: mlflow.log_artifact(str(local), artifact_path="../../escape"),
        lambda: mlflow.log_text("x", "../escape.txt"),
        lambda: mlflow.log_dict({}, "/etc/evil.json"),
        lambda: client.download_artifacts(run.info.run_id, "../..", str(tmp_path / "dl")),
    ):
        with pytest.raises(InvalidParameterError) as err:
            call()
        assert "relative to the run's artifact folder" in str(err.value)
    assert client.list_artifacts(run.info.run_id) == []
    assert not (tmp_path / "dl").exists()


def test_a_file_that_is_not_a_sqlite_database(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 20)
    mlflow.set_tracking_uri(f"sqlite:///{bogus}")
    with pytest.raises(MltrailError) as err:
        mlflow.search_experiments()
    assert str(bogus) in str(err.value)
    assert bogus.read_text().startswith("these are my notes")


def test_an_unreachable_database(tmp_path):
    uri = "postgresql+psycopg://nobody@127.0.0.1:1/nowhere"
    with pytest.raises(StoreUnavailableError) as err:
        mlflow.MlflowClient(uri).get_experiment("0")
    assert "127.0.0.1:1" in str(err.value)
