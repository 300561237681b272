"""Fluent experiment functions: set_experiment, create/get/search/delete, experiment tags."""

from __future__ import annotations

import pytest

import mltrail as mlflow
from mltrail.entities import LifecycleStage
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError


def test_set_experiment_creates_once_and_routes_runs(tracking_uri, client):
    exp = mlflow.set_experiment("nyc-taxi-experiment")
    assert exp.name == "nyc-taxi-experiment" and exp.experiment_id != "0"
    assert mlflow.set_experiment("nyc-taxi-experiment").experiment_id == exp.experiment_id
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id
    assert mlflow.set_experiment(experiment_id="0").name == "Default"
    with mlflow.start_run() as run0:
        pass
    assert run0.info.experiment_id == "0"


def test_default_experiment_and_environment_variable(tracking_uri, monkeypatch):
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    from mltrail.fluent import _state

    _state.active_experiments.clear()
    monkeypatch.setenv("MLTRAIL_EXPERIMENT_NAME", "from-env")
    with mlflow.start_run() as run:
        pass
    assert mlflow.get_experiment(run.info.experiment_id).name == "from-env"


def test_set_experiment_on_a_deleted_experiment_is_refused(tracking_uri, client):
    exp_id = mlflow.create_experiment("gone")
    mlflow.set_experiment("kept")
    mlflow.delete_experiment(exp_id)
    with pytest.raises(InvalidStateError, match=r"deleted experiment 'gone' \(id %s\).*restore" % exp_id):
        mlflow.set_experiment("gone")
    with pytest.raises(InvalidStateError, match="gone"):
        mlflow.set_experiment(experiment_id=exp_id)
    # nothing changed: still deleted, and runs still go to the previously active experiment
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    with mlflow.start_run() as run:
        pass
    assert mlflow.get_experiment(run.info.experiment_id).name == "kept"


def test_set_experiment_argument_errors(tracking_uri):
    with pytest.raises(InvalidParameterError, match="exactly one of experiment_name and experiment_id"):
        mlflow.set_experiment()
    with pytest.raises(InvalidParameterError, match="exactly one"):
        mlflow.set_experiment("a", "1")
    with pytest.raises(ResourceNotFoundError, match="31337"):
        mlflow.set_experiment(experiment_id="31337")


def test_get_search_and_tag_experiments(tracking_uri, client):
    exp_id = mlflow.create_experiment("churn", tags={"team": "crm"})
    assert mlflow.get_experiment(exp_id).tags == {"team": "crm"}
    assert mlflow.get_experiment_by_name("churn").experiment_id == exp_id
    assert mlflow.get_experiment_by_name("missing") is None
    mlflow.set_experiment("churn")
    mlflow.set_experiment_tag("quarter", "Q3")
    mlflow.set_experiment_tags({"owner": "ana", "stage": 2})
    assert client.get_experiment(exp_id).tags == {"team": "crm", "quarter": "Q3", "owner": "ana", "stage": "2"}
    for i in range(3):
        mlflow.create_experiment(f"sweep-{i}")
    names = [e.name for e in mlflow.search_experiments(filter_string="name LIKE 'sweep-%'")]
    assert sorted(names) == ["sweep-0", "sweep-1", "sweep-2"]
    assert len(mlflow.search_experiments(max_results=2)) == 2
