"""log_model in MLflow 3's layout: a LoggedModel per call, stored outside the run's artifacts."""

from __future__ import annotations

import os
import re

import pytest

import mltrail
from mltrail import MlflowClient
from mltrail.entities import LoggedModelStatus
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError


def test_log_model_in_a_run_creates_a_logged_model_outside_the_run_artifacts(tracking, pipeline, iris_like):
    X, _ = iris_like
    mltrail.set_experiment("layout")
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(
            pipeline, name="clf", params={"C": 1.0}, tags={"team": "growth"}, model_type="classifier", step=2
        )
    run_id = run.info.run_id
    assert re.fullmatch(r"m-[0-9a-f]{32}", info.model_id)
    assert info.model_uri == f"models:/{info.model_id}" and info.name == "clf" and info.run_id == run_id
    model = mltrail.get_logged_model(info.model_id)
    assert model.source_run_id == run_id and model.status is LoggedModelStatus.READY
    assert model.params == {"C": "1.0"} and model.tags["team"] == "growth" and model.model_type == "classifier"
    experiment = mltrail.get_experiment(run.info.experiment_id)
    assert model.artifact_location == f"{experiment.artifact_location}/models/{info.model_id}/artifacts"
    assert sorted(os.listdir(model.artifact_location))[:2] == ["MLmodel", "conda.yaml"]
    client = MlflowClient()
    assert client.list_artifacts(run_id) == []  # nothing in the run's own artifacts
    assert [(o.model_id, o.step) for o in client.get_run(run_id).outputs.model_outputs] == [(info.model_id, 2)]
    assert mltrail.sklearn.load_model(info.model_uri).predict(X[:3]).tolist() == pipeline.predict(X[:3]).tolist()
    mlmodel = mltrail.models.Model.load(model.artifact_location)
    assert mlmodel.to_dict()["model_id"] == info.model_id and mlmodel.run_id == run_id


def test_log_model_outside_a_run_starts_no_run(tracking, pipeline):
    mltrail.set_experiment("no-run")
    info = mltrail.sklearn.log_model(pipeline, name="model")
    assert mltrail.active_run() is None
    experiment_id = mltrail.get_experiment_by_name("no-run").experiment_id
    assert mltrail.search_runs([experiment_id], output_format="list") == []
    model = mltrail.get_logged_model(info.model_id)
    assert model.source_run_id is None and model.experiment_id == experiment_id and info.run_id is None


def test_log_model_to_a_run_id_uses_that_run_not_the_active_one_and_refuses_a_deleted_run(tracking, pipeline):
    client = MlflowClient()
    other_experiment = client.create_experiment("other")
    target = client.create_run(other_experiment).info.run_id
    deleted = client.create_run(other_experiment).info.run_id
    client.delete_run(deleted)
    mltrail.set_experiment("active")
    with mltrail.start_run() as active:
        info = mltrail.sklearn.log_model(pipeline, name="model", run_id=target)
        with pytest.raises(InvalidStateError, match=f"run {deleted!r}: the run is deleted"):
            mltrail.sklearn.log_model(pipeline, name="refused", run_id=deleted)
    model = mltrail.get_logged_model(info.model_id)
    assert (model.source_run_id, model.experiment_id) == (target, other_experiment) and info.run_id == target
    assert client.get_run(active.info.run_id).outputs.model_outputs == []
    assert [m.name for m in mltrail.search_logged_models([other_experiment], output_format="list")] == ["model"]
    assert mltrail.last_logged_model().model_id == info.model_id


def test_artifact_path_is_a_deprecated_alias_of_name(tracking, pipeline):
    with pytest.warns(FutureWarning, match="artifact_path"):
        info = mltrail.sklearn.log_model(pipeline, artifact_path="legacy")
    assert info.name == "legacy"
    with pytest.raises(InvalidParameterError, match="only name"):
        mltrail.sklearn.log_model(pipeline, artifact_path="a", name="b")


def test_runs_uri_loads_the_newest_model_of_that_name_and_plain_folders_still(tracking, pipeline, tmp_path):
    from sklearn.dummy import DummyClassifier

    import numpy as np

    X = np.zeros((4, 4))
    dummy = DummyClassifier(strategy="constant", constant=7).fit(X, [7, 7, 7, 7])
    with mltrail.start_run() as run:
        first = mltrail.sklearn.log_model(pipeline, name="model")
        second = mltrail.sklearn.log_model(dummy, name="model")  # same name, same run: both kept
        folder = tmp_path / "plain"
        folder.mkdir()
        (folder / "notes.txt").write_text("hi")
        mltrail.log_artifacts(str(folder), "plain")
    assert first.model_id != second.model_id
    loaded = mltrail.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.predict(X[:1]).tolist() == [7]
    assert mltrail.sklearn.load_model(first.model_uri).predict(np.zeros((1, 4))).tolist() == pipeline.predict(np.zeros((1, 4))).tolist()
    assert [f.path for f in MlflowClient().list_artifacts(run.info.run_id)] == ["plain"]
    with pytest.raises(ResourceNotFoundError):
        mltrail.sklearn.load_model(f"runs:/{run.info.run_id}/nothing-here")


def test_models_uri_of_unknown_or_unfinished_model_is_refused(tracking):
    with pytest.raises(ResourceNotFoundError, match="m-" + "0" * 32):
        mltrail.pyfunc.load_model("models:/m-" + "0" * 32)
    pending = mltrail.initialize_logged_model(name="agent")
    with pytest.raises(mltrail.exceptions.InvalidStateError, match="PENDING"):
        mltrail.pyfunc.load_model(pending.model_uri)


def test_a_failed_save_marks_the_model_failed_and_leaves_no_staging_folder(tracking):
    from mltrail.models.python_model import PythonModel

    class Broken(PythonModel):
        def __reduce__(self):
            raise RuntimeError("cannot pickle me")

        def predict(self, context, model_input):
            return model_input

    mltrail.set_experiment("broken")
    with pytest.raises(Exception, match="cannot pickle me"):
        mltrail.pyfunc.log_model(name="model", python_model=Broken())
    [model] = mltrail.search_logged_models(output_format="list")
    assert model.status is LoggedModelStatus.FAILED and "cannot pickle me" in model.status_message
    experiment = mltrail.get_experiment_by_name("broken")
    staging = os.path.join(experiment.artifact_location, ".mltrail-tmp")
    assert os.listdir(staging) == []
    assert not os.path.exists(model.artifact_location)


def test_staging_folder_is_outside_the_run_listing_while_saving(tracking, pipeline, monkeypatch):
    """A log_model killed mid-save leaves its folder in <experiment>/.mltrail-tmp, never in a run's artifacts."""
    from mltrail.models import saving

    seen = {}
    real = saving.save_model_folder

    def spy(path, *args, **kwargs):
        seen["path"] = os.path.abspath(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr("mltrail_sklearn._flavor.save_model_folder", spy)
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(pipeline, name="model")
    experiment = mltrail.get_experiment(run.info.experiment_id)
    assert seen["path"].startswith(os.path.join(experiment.artifact_location, ".mltrail-tmp") + os.sep)
    assert not seen["path"].startswith(run.info.artifact_uri)
    assert os.path.isdir(mltrail.get_logged_model(info.model_id).artifact_location)


def test_autolog_then_manual_log_model_keeps_both(tracking, iris_like):
    from sklearn.linear_model import LogisticRegression

    X, y = iris_like
    mltrail.sklearn.autolog()
    try:
        with mltrail.start_run() as run:
            est = LogisticRegression(max_iter=300).fit(X, y)
            manual = mltrail.sklearn.log_model(est, name="model")
    finally:
        mltrail.sklearn.autolog(disable=True)
    models = mltrail.search_logged_models(
        experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{run.info.run_id}'", output_format="list"
    )
    assert len(models) == 2 and manual.model_id in {m.model_id for m in models}
    assert {m.name for m in models} == {"model"}
    # runs:/<run>/model is the newest: the manual one
    assert mltrail.get_logged_model(manual.model_id).source_run_id == run.info.run_id
    folder = mltrail.models.uri.resolve_model_uri(f"runs:/{run.info.run_id}/model")
    assert folder == mltrail.get_logged_model(manual.model_id).artifact_location


def test_metrics_link_to_models_as_mlflow_3(tracking, pipeline):
    import pandas as pd

    with mltrail.start_run() as run:
        at3 = mltrail.sklearn.log_model(pipeline, name="a", step=3)
        at0 = mltrail.sklearn.log_model(pipeline, name="b")
        mltrail.log_metric("acc", 0.9)  # step 0: linked to the model logged at step 0
        ds = mltrail.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="eval")
        mltrail.log_metric("f1", 0.7, step=5, model_id=at3.model_id, dataset=ds)
    assert [(m.key, m.value) for m in mltrail.get_logged_model(at0.model_id).metrics] == [("acc", 0.9)]
    [f1] = mltrail.get_logged_model(at3.model_id).metrics
    assert (f1.key, f1.step, f1.dataset_name, f1.dataset_digest, f1.run_id) == ("f1", 5, "eval", ds.digest, run.info.run_id)
    assert mltrail.get_run(run.info.run_id).data.metrics == {"acc": 0.9, "f1": 0.7}


def test_fluent_logged_model_functions(tracking, pipeline):
    mltrail.set_experiment("fluent")
    with mltrail.start_run() as run:
        pending = mltrail.initialize_logged_model(name="agent", params={"k": 1}, model_type="agent")
        assert pending.source_run_id == run.info.run_id and pending.status is LoggedModelStatus.PENDING
        info = mltrail.sklearn.log_model(pipeline, name="agent", model_id=pending.model_id, params={"j": 2})
    assert info.model_id == pending.model_id
    assert mltrail.last_logged_model().model_id == pending.model_id
    mltrail.set_logged_model_tags(info.model_id, {"stage": "dev"})
    mltrail.log_model_params({"z": "3"}, model_id=info.model_id)
    mltrail.delete_logged_model_tag(info.model_id, "stage")
    got = mltrail.get_logged_model(info.model_id)
    assert got.params == {"k": "1", "j": "2", "z": "3"} and "stage" not in got.tags
    assert got.status is LoggedModelStatus.READY
    frame = mltrail.search_logged_models(filter_string="params.k = '1'")
    assert frame["model_id"].tolist() == [info.model_id] and frame["status"].tolist() == ["READY"]
    with mltrail.set_active_model(name="chat") as active:
        assert mltrail.get_active_model_id() == active.model_id
        with mltrail.start_run():
            mltrail.log_metric("latency", 12.0)
    assert mltrail.get_active_model_id() is None
    assert [m.key for m in mltrail.get_logged_model(active.model_id).metrics] == ["latency"]
    assert mltrail.set_active_model(name="chat").model_id == active.model_id  # found again by name
    mltrail.clear_active_model()


def test_runs_uri_still_loads_a_model_folder_logged_as_plain_artifacts(tracking, pipeline, iris_like, tmp_path):
    """A model folder in the run's artifacts (MLflow 2 layout, or copied there) keeps loading by runs:/."""
    X, _ = iris_like
    folder = tmp_path / "saved"
    mltrail.sklearn.save_model(pipeline, str(folder))
    with mltrail.start_run() as run:
        mltrail.log_artifacts(str(folder), "old_model")
    loaded = mltrail.sklearn.load_model(f"runs:/{run.info.run_id}/old_model")
    assert loaded.predict(X[:4]).tolist() == pipeline.predict(X[:4]).tolist()
    assert mltrail.MlflowClient().get_logged_model_of_run(run.info.run_id, "old_model") is None
