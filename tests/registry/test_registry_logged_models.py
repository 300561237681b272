"""Registered versions point at the MLflow 3 logged model they came from."""

from __future__ import annotations


import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError


def test_register_from_runs_uri_points_at_the_logged_model(client, log_model, intercept_of):
    uri = log_model(intercept=5.0)
    run_id = uri.split("/")[1]
    logged = client.get_logged_model_of_run(run_id, "model")
    mv = mltrail.register_model(uri, "churn")
    assert mv.model_id == logged.model_id
    assert mv.source == f"models:/{logged.model_id}"  # as MLflow 3 records it
    assert mv.run_id == run_id
    again = client.get_model_version("churn", mv.version)
    assert (again.model_id, again.source) == (logged.model_id, f"models:/{logged.model_id}")
    assert client.search_model_versions("name = 'churn'")[0].model_id == logged.model_id
    # the registered copy stays immutable: under <root>/models/<name>/<version>, not the logged model's folder
    copy = client.get_model_version_download_uri("churn", mv.version)
    assert copy.rstrip("/").endswith("/models/churn/1") and copy != logged.artifact_location
    assert round(intercept_of("models:/churn/1"), 6) == 5.0
    assert client.get_model_version_mlmodel_sha256("churn", 1) == logged.mlmodel_sha256


def test_register_from_models_model_id_uri(client, training_data, intercept_of):
    from sklearn.linear_model import LinearRegression

    X, y = training_data
    info = mltrail.sklearn.log_model(LinearRegression().fit(X, y + 4.0), name="outside-run")
    mv = mltrail.register_model(info.model_uri, "churn")
    assert (mv.model_id, mv.source, mv.run_id) == (info.model_id, info.model_uri, None)
    assert round(intercept_of("models:/churn/1"), 6) == 7.0
    assert round(intercept_of(info.model_uri), 6) == 7.0


def test_a_plain_folder_registers_without_model_id(client, log_model, intercept_of, tmp_path):
    run_id = log_model(intercept=3.0).split("/")[1]
    logged = client.get_logged_model_of_run(run_id, "model")
    copy = mltrail.artifacts.download_artifacts(artifact_uri=f"models:/{logged.model_id}", dst_path=str(tmp_path / "copied"))
    if client.tracking_uri.startswith("http"):  # a server copies no folder of its host outside the run named
        with pytest.raises(InvalidParameterError, match="contained within the artifact directory of the run"):
            mltrail.register_model(copy, "plain")
        return
    mv = mltrail.register_model(copy, "plain")
    assert mv.model_id is None and mv.source == copy
    assert round(intercept_of("models:/plain/1"), 6) == 3.0
