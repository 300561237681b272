"""The store records the sha256 of a logged or registered model's MLmodel; loads by URI check it first."""

from __future__ import annotations

import os
import pickle

import pytest

import mltrail
from mltrail.exceptions import ModelIntegrityError


class _Evil:
    """Unpickling it writes a marker file (stands for arbitrary code)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (_touch, (self.marker,))


def _touch(path: str) -> None:
    with open(path, "w") as fh:
        fh.write("pwned")


def _tamper(folder: str, marker: str) -> None:
    """Drop MLmodel's files: key (skipping the per-file check) and swap model.pkl for a malicious pickle."""
    import yaml

    path = os.path.join(folder, "MLmodel")
    with open(path) as fh:
        data = yaml.safe_load(fh)
    del data["files"]
    with open(path, "w") as fh:
        yaml.safe_dump(data, fh)
    with open(os.path.join(folder, "model.pkl"), "wb") as fh:
        pickle.dump(_Evil(marker), fh)


def test_tampered_logged_model_is_refused_by_runs_and_models_uris(tracking, pipeline, tmp_path):
    marker = str(tmp_path / "marker")
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(pipeline, name="model")
    folder = mltrail.get_logged_model(info.model_id).artifact_location
    assert mltrail.get_logged_model(info.model_id).mlmodel_sha256 is not None
    _tamper(folder, marker)
    for uri in (f"runs:/{run.info.run_id}/model", info.model_uri):
        for load in (mltrail.sklearn.load_model, mltrail.pyfunc.load_model):
            with pytest.raises(ModelIntegrityError, match="MLmodel"):
                load(uri)
    assert not os.path.exists(marker)


def test_any_edit_of_mlmodel_is_caught_even_when_files_are_intact(tracking, pipeline):
    info = mltrail.sklearn.log_model(pipeline, name="model")
    path = os.path.join(mltrail.get_logged_model(info.model_id).artifact_location, "MLmodel")
    with open(path, "a") as fh:
        fh.write("extra_key: 1\n")
    with pytest.raises(ModelIntegrityError, match="recorded"):
        mltrail.sklearn.load_model(info.model_uri)


def test_registered_copy_edited_is_refused(tracking, pipeline, tmp_path):
    marker = str(tmp_path / "marker")
    with mltrail.start_run() as run:
        mltrail.sklearn.log_model(pipeline, name="model", registered_model_name="churn")
    client = mltrail.MlflowClient()
    assert client.get_model_version_mlmodel_sha256("churn", 1) is not None
    copy = client.get_model_version_download_uri("churn", 1)
    assert mltrail.sklearn.load_model("models:/churn/1").predict  # intact: loads
    client.set_registered_model_alias("churn", "champion", 1)
    _tamper(copy, marker)
    for uri in ("models:/churn/1", "models:/churn@champion", "models:/churn/latest", "models:/churn/None"):
        with pytest.raises(ModelIntegrityError, match="MLmodel"):
            mltrail.pyfunc.load_model(uri)
    assert not os.path.exists(marker)
    assert run.info.run_id  # the source run is untouched


def test_registering_a_tampered_logged_model_is_refused(tracking, pipeline, tmp_path):
    info = mltrail.sklearn.log_model(pipeline, name="model")
    _tamper(mltrail.get_logged_model(info.model_id).artifact_location, str(tmp_path / "marker"))
    with pytest.raises(ModelIntegrityError):
        mltrail.register_model(info.model_uri, "churn")


def test_bare_path_without_record_keeps_the_per_file_check(tracking, pipeline, tmp_path):
    info = mltrail.sklearn.log_model(pipeline, name="model")
    folder = mltrail.get_logged_model(info.model_id).artifact_location
    with open(os.path.join(folder, "model.pkl"), "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelIntegrityError, match="model.pkl"):
        mltrail.sklearn.load_model(folder)


def test_the_recorded_mlmodel_verdicts_name_the_model_and_the_file(tmp_path):
    from mltrail.models.integrity import sha256_of_file, verify_recorded_mlmodel

    folder, path = str(tmp_path), str(tmp_path / "MLmodel")
    verify_recorded_mlmodel(folder, None)  # nothing recorded: nothing to compare, even without an MLmodel
    os.mkdir(path)  # a folder named MLmodel is no MLmodel file
    with pytest.raises(ModelIntegrityError) as e:
        verify_recorded_mlmodel(folder, "0" * 64, "models:/churn/1")
    assert e.value.message == (
        f"Model 'models:/churn/1' has no MLmodel file at {folder!r}, though one was recorded when it was logged"
    )
    os.rmdir(path)
    with open(path, "w") as fh:
        fh.write("flavors: {}\n")
    recorded = sha256_of_file(path)
    verify_recorded_mlmodel(folder, recorded, "models:/churn/1")
    with open(path, "a") as fh:
        fh.write("# edited\n")
    with pytest.raises(ModelIntegrityError) as e:
        verify_recorded_mlmodel(folder, recorded)
    assert e.value.message == (
        f"Model {folder!r} was modified: its MLmodel file ({path!r}) does not match the sha256 recorded when it was "
        "logged or registered (load with verify=False or set MLTRAIL_VERIFY_MODELS=false to skip this check)"
    )
