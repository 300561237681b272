"""Model URIs: runs:/, models:/ (through the registry), file:// and plain paths."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError
from mltrail.models.uri import ModelsUri, parse_models_uri, resolve_model_uri, set_registry_resolver


def test_runs_uri_loads_what_was_logged(tracking, pipeline, iris_like):
    X, _ = iris_like
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(pipeline, name="model", input_example=X[:3])
    # MLflow 3: the info's URI names the logged model; runs:/<run>/<name> still loads it
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == run.info.run_id
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        loaded = mltrail.sklearn.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))
    mlmodel = mltrail.models.Model.load(mltrail.models.download_model(f"runs:/{run.info.run_id}/model"))
    location = mltrail.get_logged_model(info.model_id).artifact_location
    assert mlmodel.run_id == run.info.run_id and mlmodel.artifact_path == location == info.artifact_path


def test_unknown_run_is_named(tracking):
    missing = "0" * 32
    with pytest.raises(ResourceNotFoundError, match=missing):
        mltrail.pyfunc.load_model(f"runs:/{missing}/model")


def test_unknown_path_in_a_run_is_named(tracking, pipeline):
    with mltrail.start_run() as run:
        mltrail.sklearn.log_model(pipeline, name="model")
    with pytest.raises(ResourceNotFoundError, match="no model at 'modle'"):
        mltrail.sklearn.load_model(f"runs:/{run.info.run_id}/modle")


def test_file_uri_and_plain_path(saved_model, pipeline, iris_like):
    X, _ = iris_like
    by_uri = mltrail.sklearn.load_model(pathlib.Path(saved_model).as_uri())
    rel = os.path.relpath(saved_model)
    by_rel = mltrail.sklearn.load_model(rel)
    for m in (by_uri, by_rel):
        np.testing.assert_array_equal(m.predict(X[:5]), pipeline.predict(X[:5]))
    with pytest.raises(ResourceNotFoundError, match="no such file or folder"):
        mltrail.sklearn.load_model(saved_model + "-nope")


def test_models_uri_forms_parse():
    assert parse_models_uri("models:/churn/3") == ModelsUri("churn", version="3")
    assert parse_models_uri("models:/churn/Production") == ModelsUri("churn", stage="Production")
    assert parse_models_uri("models:/churn@champion") == ModelsUri("churn", alias="champion")
    assert parse_models_uri("models:/churn/latest") == ModelsUri("churn")
    assert parse_models_uri("models:/m-" + "a" * 32) == ModelsUri("", model_id="m-" + "a" * 32)
    with pytest.raises(InvalidParameterError, match="malformed"):
        parse_models_uri("models:/churn")
    with pytest.raises(InvalidParameterError, match="malformed"):
        parse_models_uri("models:/m-" + "a" * 31)


def test_models_uri_resolves_through_the_registry(tracking, pipeline, iris_like):
    X, _ = iris_like
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipeline, artifact_path="model", registered_model_name="iris-clf")
    assert info.registered_model_version == "1" or str(info.registered_model_version) == "1"
    client = mltrail.MlflowClient()
    client.set_registered_model_alias("iris-clf", "champion", "1")
    for uri in ("models:/iris-clf/1", "models:/iris-clf@champion", "models:/iris-clf/latest"):
        model = mltrail.pyfunc.load_model(uri)
        np.testing.assert_array_equal(model.predict(X[:5]), pipeline.predict(X[:5]))
    with pytest.raises(ResourceNotFoundError):
        mltrail.pyfunc.load_model("models:/no-such-model/1")


def test_a_custom_registry_resolver_can_be_installed(saved_model, pipeline, iris_like):
    seen = []

    def resolver(ref: ModelsUri) -> str:
        seen.append(ref)
        return saved_model

    set_registry_resolver(resolver)
    try:
        assert resolve_model_uri("models:/x@prod") == saved_model
        X, _ = iris_like
        assert mltrail.sklearn.load_model("models:/x/7").predict(X[:5]).tolist() == pipeline.predict(X[:5]).tolist()
    finally:
        set_registry_resolver(None)
    assert seen == [ModelsUri("x", alias="prod"), ModelsUri("x", version="7")]
