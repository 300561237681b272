"""MLflow functions an MLflow user calls (issue 10 items 5 and 14): artifacts, tables, stepped
images, entity dicts, fluent extras, datasets and error codes, against MLflow 3.17's shapes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mltrail
from mltrail import _system_tags
from mltrail.entities import Experiment, Run, RunInfo
from mltrail.exceptions import InvalidParameterError, MlflowException, ResourceNotFoundError, http_status_for


def test_artifacts_module_downloads_lists_and_loads(tracking_uri: str, tmp_path) -> None:
    with mltrail.start_run() as run:
        mltrail.log_dict({"alpha": 0.1}, "config.json")
        mltrail.log_dict({"beta": [1, 2]}, "config.yaml")
        mltrail.log_text("héllo", "notes/readme.txt")
        mltrail.log_image(np.full((4, 6, 3), 200, dtype=np.uint8), "plots/img.png")
    rid = run.info.run_id
    arts = mltrail.artifacts
    assert arts.load_dict(f"runs:/{rid}/config.json") == {"alpha": 0.1}
    assert arts.load_dict(f"runs:/{rid}/config.yaml") == {"beta": [1, 2]}
    assert arts.load_text(f"runs:/{rid}/notes/readme.txt") == "héllo"
    assert arts.load_image(f"runs:/{rid}/plots/img.png").size == (6, 4)
    assert sorted(f.path for f in arts.list_artifacts(run_id=rid)) == ["config.json", "config.yaml", "notes", "plots"]
    assert [f.path for f in arts.list_artifacts(f"runs:/{rid}/notes")] == ["notes/readme.txt"]
    local = arts.download_artifacts(run_id=rid, artifact_path="notes", dst_path=str(tmp_path / "out"))
    assert open(f"{local}/readme.txt", encoding="utf-8").read() == "héllo"
    whole = arts.download_artifacts(run_id=rid, dst_path=str(tmp_path / "all"))
    assert json.load(open(f"{whole}/config.json")) == {"alpha": 0.1}
    with pytest.raises(InvalidParameterError, match="Exactly one of `run_id` or `artifact_uri`"):
        arts.download_artifacts(f"runs:/{rid}/config.json", run_id=rid)
    with pytest.raises(MlflowException, match="JSON"):
        arts.load_dict(f"runs:/{rid}/notes/readme.txt")


def test_log_table_appends_and_load_table_joins_runs(tracking_uri: str, client) -> None:
    ids = []
    for n in range(2):
        with mltrail.start_run() as run:
            mltrail.log_table({"inputs": [f"q{n}"], "score": [n / 2]}, artifact_file="eval/qa.json")
            mltrail.log_table(pd.DataFrame({"inputs": [f"r{n}"], "score": [1.0]}), artifact_file="eval/qa.json")
        ids.append(run.info.run_id)
    path = mltrail.artifacts.download_artifacts(f"runs:/{ids[0]}/eval/qa.json")
    assert json.load(open(path)) == {"columns": ["inputs", "score"], "data": [["q0", 0.0], ["r0", 1.0]]}  # MLflow's split layout
    tag = json.loads(client.get_run(ids[0]).data.tags[_system_tags.LOGGED_ARTIFACTS])
    assert tag == [{"path": "eval/qa.json", "type": "table"}]
    table = mltrail.load_table("eval/qa.json", run_ids=ids, extra_columns=["run_id"])
    assert sorted(table["inputs"]) == ["q0", "q1", "r0", "r1"] and set(table["run_id"]) == set(ids)
    with pytest.raises(InvalidParameterError, match="json or .parquet"):
        mltrail.log_table({"a": [1]}, artifact_file="t.csv")
    with pytest.raises(ResourceNotFoundError):
        mltrail.load_table("missing.json")


def test_log_image_with_key_writes_mlflow3_layout(tracking_uri: str, client) -> None:
    image = np.zeros((600, 300, 3), dtype=np.uint8)
    with mltrail.start_run() as run:
        mltrail.log_image(image, key="val/pred", step=3, timestamp=1700000000000)
        mltrail.log_image(image, "static.png")  # the old form stays
    files = sorted((f.path for f in client.list_artifacts(run.info.run_id, "images")), key=len)
    assert len(files) == 2
    assert files[0].startswith("images/val~pred+step+3+timestamp+1700000000000+") and files[0].endswith(".png")
    assert files[1] == files[0][:-4] + "+compressed.webp"
    thumb = mltrail.artifacts.load_image(f"runs:/{run.info.run_id}/{files[1]}")
    assert thumb.size == (128, 256)
    assert client.get_run(run.info.run_id).data.tags[_system_tags.LOGGED_IMAGES] == "True"
    with pytest.raises(TypeError):
        mltrail.log_image(image, "x.png", key="k", run_id=run.info.run_id)


def test_entities_convert_to_and_from_mlflows_dicts(tracking_uri: str, client) -> None:
    with mltrail.start_run() as run:
        mltrail.log_param("alpha", "0.1")
        mltrail.log_metric("rmse", 6.9)
    stored = client.get_run(run.info.run_id)
    as_dict = stored.to_dictionary()
    assert sorted(as_dict) == ["data", "info", "inputs"]
    assert sorted(as_dict["info"]) == [
        "artifact_uri", "end_time", "experiment_id", "lifecycle_stage", "run_id", "run_name", "start_time",
        "status", "user_id",
    ]
    assert as_dict["data"]["params"] == {"alpha": "0.1"} and as_dict["data"]["metrics"] == {"rmse": 6.9}
    assert Run.from_dictionary(as_dict) == stored and stored._info is stored.info
    assert RunInfo.from_dictionary(dict(stored.info)) == stored.info
    experiment = client.get_experiment("0")
    assert Experiment.from_dictionary(experiment.to_dictionary()) == experiment
    assert dict(mltrail.entities.Metric("m", 1.0, 5, 2)) == {  # MLflow 3's Metric (checked against 3.17)
        "dataset_digest": None, "dataset_name": None, "key": "m", "model_id": None, "run_id": None,
        "step": 2, "timestamp": 5, "value": 1.0}


def test_fluent_extras(tracking_uri: str, client) -> None:
    assert mltrail.is_tracking_uri_set()
    exp = mltrail.set_experiment("extras")
    mltrail.set_experiment_tag("team", "x")
    mltrail.delete_experiment_tag("team")
    assert client.get_experiment(exp.experiment_id).tags == {}
    with pytest.raises(ResourceNotFoundError, match="team"):
        mltrail.delete_experiment_tag("team")
    train = mltrail.data.from_pandas(pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1], "p": [0, 0]}),
                                     source="/data/train.csv", targets="y", predictions="p", name="train", digest="d1")
    assert train.df.shape == (2, 3) and train.digest == "d1" and train.predictions == "p"
    with mltrail.start_run() as run:
        mltrail.log_inputs([train, None], contexts=["training", None])
    mltrail.delete_run(run.info.run_id)
    mltrail.restore_run(run.info.run_id)
    stored = client.get_run(run.info.run_id)
    assert stored.info.lifecycle_stage == "active"
    [used] = stored.inputs.dataset_inputs
    assert (used.dataset.name, used.dataset.digest) == ("train", "d1")
    assert mltrail.data.get_source(used).uri == "/data/train.csv"
    mltrail.delete_experiment(exp.experiment_id)
    mltrail.restore_experiment(exp.experiment_id)
    assert client.get_experiment(exp.experiment_id).lifecycle_stage == "active"


def test_errors_carry_mlflows_http_status() -> None:
    error = MlflowException.invalid_parameter_value("alpha must be positive, got -1")
    assert isinstance(error, InvalidParameterError) and error.error_code == "INVALID_PARAMETER_VALUE"
    assert error.get_http_status_code() == 400
    assert MlflowException("gone", error_code="RESOURCE_DOES_NOT_EXIST").get_http_status_code() == 404
    assert [http_status_for(c) for c in ("INVALID_STATE", "PERMISSION_DENIED", "NOT_IMPLEMENTED", "nope")] == [
        500, 403, 501, 500,
    ]
