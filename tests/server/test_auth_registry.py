"""The model registry under ``mltrail server --auth``: a creator MANAGEs their model, registering
copies only what the user may read, permissions follow a renamed model and vanish with a deleted one."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from ..conftest import basic


def _model_folder(tmp_path) -> str:
    from sklearn.linear_model import LinearRegression

    import mltrail.sklearn

    X = np.random.default_rng(0).normal(size=(20, 3))
    path = str(tmp_path / "model")
    mltrail.sklearn.save_model(LinearRegression().fit(X, X @ np.array([1.0, 0.0, 0.0])), path)
    return path


def test_registering_needs_read_on_what_is_copied(auth_server, monkeypatch, tmp_path):
    import mltrail
    from mltrail.client import Client

    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    server.user("ana", "ana-password-1")
    bob = server.user("bob")
    monkeypatch.setenv("MLTRAIL_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLTRAIL_TRACKING_PASSWORD", "ana-password-1")
    mltrail.set_tracking_uri(server.url)
    mltrail.set_registry_uri(server.url)
    mltrail.set_experiment("ana-models")
    with mltrail.start_run() as run:
        mltrail.log_artifacts(_model_folder(tmp_path), artifact_path="model")
    mv = mltrail.register_model(f"runs:/{run.info.run_id}/model", "ana-model")
    assert (mv.name, mv.version) == ("ana-model", 1)
    ana = server.store.get_user("ana")
    assert server.store.get_permission("registered_model", "ana-model", ana.id).name == "MANAGE"
    client = Client(server.url, server.url)
    client.set_registered_model_alias("ana-model", "champion", 1)
    # bob makes his own model but may not copy ana's run, her model or a path on the server into it
    server.call("POST", "registered-models/create", bob, json={"name": "bob-model"}).raise_for_status()
    experiment_id = run.info.experiment_id
    for source in (f"runs:/{run.info.run_id}/model", "models:/ana-model/1", "models:/ana-model@champion",
                   f"mlflow-artifacts:/{experiment_id}/{run.info.run_id}/artifacts/model", str(tmp_path / "model")):
        response = server.call("POST", "model-versions/create", bob, json={"name": "bob-model", "source": source})
        assert response.status_code == 403, (source, response.text)
    assert server.call("GET", "model-versions/search", server.admin,
                       params={"filter": "name = 'bob-model'"}).json().get("model_versions", []) == []
    # once ana lets bob read her model, he may copy it
    assert server.call("POST", "registered-models/permissions/create", basic("ana", "ana-password-1"),
                       json={"name": "ana-model", "username": "bob", "permission": "READ"}).status_code == 200
    copied = server.call("POST", "model-versions/create", bob, json={"name": "bob-model", "source": "models:/ana-model/1"})
    assert copied.status_code == 200, copied.text
    # the UI's "register model" may create a new model (its creator MANAGEs it), not add to another's
    ui = f"{server.url}/ajax-api/ui/models/register"
    body = {"run_id": run.info.run_id, "path": "model", "name": "ui-model"}
    assert httpx.post(ui, json=body, headers=basic("ana", "ana-password-1"), timeout=30).status_code == 200
    assert server.store.get_permission("registered_model", "ui-model", ana.id).name == "MANAGE"
    server.store.set_permission("experiment", experiment_id, "bob", "READ")
    response = httpx.post(ui, json=body, headers=bob, timeout=30)
    assert response.status_code == 403 and "needs EDIT on registered model 'ui-model'" in response.text
    assert [v.version for v in client.search_model_versions("name = 'ui-model'")] == [1]


def test_permissions_follow_a_renamed_model_and_vanish_with_a_deleted_one(auth_server):
    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    ana, bob = server.user("ana"), server.user("bob")
    server.call("POST", "registered-models/create", ana, json={"name": "churn"}).raise_for_status()
    server.call("POST", "registered-models/permissions/create", ana,
                json={"name": "churn", "username": "bob", "permission": "READ"}).raise_for_status()
    server.call("POST", "registered-models/rename", ana, json={"name": "churn", "new_name": "churn-v2"}).raise_for_status()
    assert server.call("GET", "registered-models/get", bob, params={"name": "churn-v2"}).status_code == 200
    assert server.call("DELETE", "registered-models/delete", bob, json={"name": "churn-v2"}).status_code == 403
    assert server.call("DELETE", "registered-models/delete", ana, json={"name": "churn-v2"}).status_code == 200
    # bob re-creates the name: it is his alone, ana's old MANAGE does not carry over
    server.call("POST", "registered-models/create", bob, json={"name": "churn-v2"}).raise_for_status()
    assert server.call("GET", "registered-models/get", ana, params={"name": "churn-v2"}).status_code == 403


def test_stock_client_registers_a_model_with_credentials(auth_server, monkeypatch, tmp_path):
    mlflow = pytest.importorskip("mlflow")

    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    server.user("ana", "ana-password-1")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "ana-password-1")
    mlflow.set_tracking_uri(server.url)
    mlflow.set_registry_uri(server.url)
    try:
        experiment_id = mlflow.create_experiment("stock-registry")
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_artifacts(_model_folder(tmp_path), artifact_path="model")
        mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "stock-model")
        assert (mv.name, str(mv.version), mv.status) == ("stock-model", "1", "READY")
        loaded = mlflow.pyfunc.load_model("models:/stock-model/1")
        assert loaded.predict(np.ones((2, 3))).shape == (2,)
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
