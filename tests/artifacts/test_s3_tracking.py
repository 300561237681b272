"""Everything that stores or copies artifacts, with the artifact root in S3 (moto's standalone server):
run artifacts, MLflow 3 logged models, loads by ``runs:/`` and ``models:/``, registry copies and their
deletion, ``mltrail.artifacts`` user functions and ``mltrail gc``."""

from __future__ import annotations

import os

import boto3
import numpy as np
import pytest

import mltrail


def _keys(bucket: str, prefix: str = "") -> list[str]:
    s3 = boto3.session.Session().client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
    return sorted(o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                  for o in page.get("Contents", []))


@pytest.fixture
def s3_root(s3_bucket, sqlite_uri, monkeypatch) -> str:
    """An embedded SQLite store whose artifact root is ``s3://<bucket>/mltrail``."""
    root = f"s3://{s3_bucket}/mltrail"
    monkeypatch.setenv("MLTRAIL_ARTIFACT_ROOT", root)
    mltrail.set_tracking_uri(sqlite_uri)
    return root


def test_run_artifacts_live_in_s3(s3_root, s3_bucket, tmp_path) -> None:
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "preds.csv").write_text("y\n1\n")
    (tmp_path / "vectorizer.pkl").write_bytes(b"\x80pickle")
    mltrail.set_experiment("s3-exp")
    with mltrail.start_run() as run:
        mltrail.log_artifact(str(tmp_path / "vectorizer.pkl"), artifact_path="extra_artifacts")
        mltrail.log_artifacts(str(tmp_path / "outputs"), artifact_path="outputs")
        mltrail.log_dict({"features": ["a", "b"]}, "features.json")
        mltrail.log_text("hello", "notes/hello.txt")
    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith(f"{s3_root}/")
    prefix = run.info.artifact_uri[len(f"s3://{s3_bucket}/"):]
    assert _keys(s3_bucket, prefix) == [f"{prefix}/{p}" for p in (
        "extra_artifacts/vectorizer.pkl", "features.json", "notes/hello.txt", "outputs/preds.csv")]

    assert [f.path for f in mltrail.artifacts.list_artifacts(run_id=run_id)] == [
        "extra_artifacts", "features.json", "notes", "outputs"]
    assert mltrail.artifacts.load_dict(f"runs:/{run_id}/features.json") == {"features": ["a", "b"]}
    assert mltrail.artifacts.load_text(f"{run.info.artifact_uri}/notes/hello.txt") == "hello"
    local = mltrail.artifacts.download_artifacts(run_id=run_id, artifact_path="outputs", dst_path=str(tmp_path / "dl"))
    assert open(os.path.join(local, "preds.csv")).read() == "y\n1\n"
    client = mltrail.MlflowClient()
    assert [f.path for f in client.list_artifacts(run_id, "extra_artifacts")] == ["extra_artifacts/vectorizer.pkl"]


def test_an_experiment_can_name_its_own_s3_location(s3_bucket, sqlite_uri, tmp_path) -> None:
    mltrail.set_tracking_uri(sqlite_uri)
    exp = mltrail.create_experiment("own-location", artifact_location=f"s3://{s3_bucket}/teams/a")
    (tmp_path / "f.txt").write_text("x")
    with mltrail.start_run(experiment_id=exp) as run:
        mltrail.log_artifact(str(tmp_path / "f.txt"))
    assert _keys(s3_bucket, "teams/a/") == [f"teams/a/{run.info.run_id}/artifacts/f.txt"]


def test_models_are_logged_loaded_registered_and_deleted_in_s3(s3_root, s3_bucket) -> None:
    from sklearn.linear_model import LinearRegression

    X = np.arange(20, dtype=float).reshape(10, 2)
    y = X @ np.array([1.0, 2.0])
    model = LinearRegression().fit(X, y)
    mltrail.set_experiment("s3-models")
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(model, name="model", input_example=X[:2])
    logged = mltrail.get_logged_model(info.model_id)
    assert logged.artifact_location.startswith(f"{s3_root}/") and str(logged.status) == "READY"
    model_prefix = logged.artifact_location[len(f"s3://{s3_bucket}/"):]
    assert f"{model_prefix}/MLmodel" in _keys(s3_bucket, model_prefix)

    expected = model.predict(X)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        assert np.allclose(mltrail.pyfunc.load_model(uri).predict(X), expected)
        assert np.allclose(mltrail.sklearn.load_model(uri).predict(X), expected)

    version = mltrail.register_model(f"runs:/{run.info.run_id}/model", "s3-taxi")
    assert version.version == 1 and str(version.status) == "READY"
    client = mltrail.MlflowClient()
    copy = client.get_model_version_download_uri("s3-taxi", 1)
    assert copy == f"{s3_root}/models/s3-taxi/1"
    copied = _keys(s3_bucket, "mltrail/models/s3-taxi/1/")
    assert "mltrail/models/s3-taxi/1/MLmodel" in copied and len(copied) >= 4
    assert np.allclose(mltrail.pyfunc.load_model("models:/s3-taxi/1").predict(X), expected)

    # the copy is immutable: a change to the logged model's files does not reach the version...
    s3 = boto3.session.Session().client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
    s3.put_object(Bucket=s3_bucket, Key=f"{model_prefix}/MLmodel", Body=b"flavors: {}\n")
    assert np.allclose(mltrail.pyfunc.load_model("models:/s3-taxi/1").predict(X), expected)
    # ...and an edited MLmodel in S3 is caught by the recorded sha256
    with pytest.raises(mltrail.exceptions.MltrailError, match="MLmodel"):
        mltrail.pyfunc.load_model(info.model_uri)

    client.delete_model_version("s3-taxi", 1)
    assert _keys(s3_bucket, "mltrail/models/s3-taxi/") == []
    assert f"{model_prefix}/MLmodel" in _keys(s3_bucket, model_prefix)  # the logged model's own files stay


def test_gc_removes_the_s3_copy_of_a_failed_registration(s3_root, s3_bucket) -> None:
    from sklearn.linear_model import LinearRegression

    from mltrail.cli.gc import collect
    from mltrail.entities import ModelVersionStatus

    X = np.arange(8, dtype=float).reshape(4, 2)
    with mltrail.start_run() as run:
        mltrail.sklearn.log_model(LinearRegression().fit(X, X[:, 0]), name="model")
    client = mltrail.MlflowClient()
    client.create_registered_model("gc-taxi")
    store = client._registry_store
    pending = store.create_model_version("gc-taxi", f"runs:/{run.info.run_id}/model", run.info.run_id,
                                         storage_root=f"{s3_root}/models")
    location = store.get_model_version_download_uri("gc-taxi", pending.version)
    # a registration killed mid-copy: part of the copy is in S3, the version PENDING_REGISTRATION
    mltrail.artifacts.get_artifact_repository(location).log_bytes(b"partial", "MLmodel")
    assert _keys(s3_bucket, "mltrail/models/gc-taxi/")
    # a registration whose copy failed, its copy left behind
    failed = store.create_model_version("gc-taxi", f"runs:/{run.info.run_id}/model", run.info.run_id,
                                        storage_root=f"{s3_root}/models")
    failed_location = store.get_model_version_download_uri("gc-taxi", failed.version)
    mltrail.artifacts.get_artifact_repository(failed_location).log_bytes(b"partial", "MLmodel")
    store.set_model_version_status("gc-taxi", failed.version, ModelVersionStatus.FAILED_REGISTRATION, "copy failed")
    # an upload a killed process never finished: its parts stay billed until aborted
    s3 = boto3.session.Session().client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
    s3.create_multipart_upload(Bucket=s3_bucket, Key=f"mltrail/0/{run.info.run_id}/artifacts/huge.bin")
    assert _keys(s3_bucket, "mltrail/models/gc-taxi/")

    lines = collect(client, older_than_seconds=0)
    assert any("Expired registration: gc-taxi version 1" in line for line in lines)
    assert any("Removed copy of failed registration: gc-taxi version 2" in line for line in lines)
    assert f"Aborted unfinished S3 upload: {s3_root}/0/{run.info.run_id}/artifacts/huge.bin" in lines
    assert _keys(s3_bucket, "mltrail/models/gc-taxi/") == []
    assert s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
