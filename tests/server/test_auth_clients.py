"""Clients against ``mltrail server --auth``: mltrail's http store with MLTRAIL_/MLFLOW_ credentials
from the environment, and the stock MLflow client (mlflow-skinny) with MLFLOW_TRACKING_USERNAME /
PASSWORD or MLFLOW_TRACKING_TOKEN, artifacts through the proxy included."""

from __future__ import annotations

import pytest

from mltrail.exceptions import PermissionDeniedError, UnauthenticatedError


@pytest.mark.parametrize("style", ["mltrail_token", "mltrail_basic", "mlflow_token", "mlflow_basic"])
def test_mltrail_client_sends_the_environment_credentials(auth_server, monkeypatch, tmp_path, style):
    import mltrail
    from mltrail.client import Client

    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    server.user("ana", "ana-password-1")
    prefix = "MLTRAIL_" if style.startswith("mltrail") else "MLFLOW_"
    if style.endswith("token"):
        monkeypatch.setenv(prefix + "TRACKING_TOKEN", server.store.create_token("ana", "ci"))
    else:
        monkeypatch.setenv(prefix + "TRACKING_USERNAME", "ana")
        monkeypatch.setenv(prefix + "TRACKING_PASSWORD", "ana-password-1")
    mltrail.set_tracking_uri(server.url)
    mltrail.set_experiment("ana-exp")  # created by ana: she MANAGEs it
    (tmp_path / "notes.txt").write_text("hello")
    with mltrail.start_run() as run:
        mltrail.log_param("alpha", 0.1)
        mltrail.log_metric("rmse", 0.5)
        mltrail.log_artifact(str(tmp_path / "notes.txt"))
    client = Client(server.url)
    got = client.get_run(run.info.run_id)
    assert (got.data.params["alpha"], got.data.metrics["rmse"], got.info.status) == ("0.1", 0.5, "FINISHED")
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
    with pytest.raises(PermissionDeniedError, match="needs READ on experiment '0'"):
        client.get_experiment("0")


def test_mltrail_client_without_or_with_wrong_credentials(auth_server, monkeypatch):
    from mltrail.client import Client

    server = auth_server()
    with pytest.raises(UnauthenticatedError, match="Authentication required"):
        Client(server.url).get_experiment("0")
    monkeypatch.setenv("MLTRAIL_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLTRAIL_TRACKING_PASSWORD", "not-the-password")
    with pytest.raises(UnauthenticatedError, match="wrong user name or password"):
        Client(server.url).get_experiment("0")


def test_mltrail_credentials_win_over_mlflow_ones(monkeypatch):
    from mltrail._http import authorization_header

    assert authorization_header() is None
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mlflow-token")
    assert authorization_header() == "Bearer mlflow-token"
    monkeypatch.setenv("MLTRAIL_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLTRAIL_TRACKING_PASSWORD", "pw")
    assert authorization_header() == "Basic YW5hOnB3"
    monkeypatch.setenv("MLTRAIL_TRACKING_TOKEN", "mltrail-token")
    assert authorization_header() == "Bearer mltrail-token"


@pytest.mark.parametrize("style", ["basic", "token"])
def test_stock_mlflow_client_against_an_authenticated_server(auth_server, monkeypatch, tmp_path, style):
    mlflow = pytest.importorskip("mlflow")
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    server.user("ana", "ana-password-1")
    admin_exp = server.call("POST", "experiments/create", server.admin, json={"name": "admins-only"}).json()[
        "experiment_id"]
    if style == "token":
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", server.store.create_token("ana", "stock"))
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "ana-password-1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(server.url)
    try:
        experiment_id = mlflow.create_experiment(f"stock-{style}")
        (tmp_path / "model.txt").write_text("weights")
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_param("alpha", 0.01)
            mlflow.log_metrics({"rmse": 6.9, "mae": 3.5})
            mlflow.set_tag("developer", "ana")
            mlflow.log_artifact(str(tmp_path / "model.txt"), artifact_path="extra")
        client = MlflowClient(server.url)
        got = client.get_run(run.info.run_id)
        assert got.data.metrics == {"rmse": 6.9, "mae": 3.5}
        assert [f.path for f in client.list_artifacts(run.info.run_id, "extra")] == ["extra/model.txt"]
        local = client.download_artifacts(run.info.run_id, "extra/model.txt", str(tmp_path / "dl"))
        assert open(local).read() == "weights"
        assert [e.name for e in client.search_experiments()] == [f"stock-{style}"]
        with pytest.raises(MlflowException) as denied:
            client.get_experiment(admin_exp)
        assert denied.value.error_code == "PERMISSION_DENIED"
        with pytest.raises(MlflowException):
            client.create_run(admin_exp)
    finally:
        mlflow.set_tracking_uri(None)
    assert [r["info"]["run_id"] for r in server.call("POST", "runs/search", server.admin,
                                                      json={"experiment_ids": [admin_exp]}).json().get("runs", [])] == []
