"""MLflow's download routes: ``/get-artifact`` and ``/model-versions/get-artifact`` send one file as
an attachment, with MLflow's JSON errors, and under ``--auth`` only to readers of its run or model."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import mltrail


def _logged(server: str, tmp_path: Path) -> str:
    """A run with a text artifact ``notes/readme.txt`` and a logged model ``model``; its id."""
    mltrail.set_tracking_uri(server)
    (tmp_path / "readme.txt").write_text("hello from the run\n")
    X = np.random.default_rng(0).normal(size=(8, 2))
    with mltrail.start_run() as run:
        mltrail.log_artifact(str(tmp_path / "readme.txt"), "notes")
        mltrail.sklearn.log_model(LinearRegression().fit(X, X @ [1.0, 2.0]), name="model")
    return run.info.run_id


def _assert_attachment(answer: httpx.Response, filename: str) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment")
    assert f'filename="{filename}"' in answer.headers["content-disposition"]
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_run_file_and_a_registered_version_file_download_as_attachments(http_uri, tmp_path):
    run_id = _logged(http_uri, tmp_path)
    for key in ("run_uuid", "run_id"):  # MLflow's UI sends run_uuid; run_id works too
        answer = httpx.get(f"{http_uri}/get-artifact", params={"path": "notes/readme.txt", key: run_id}, timeout=60)
        _assert_attachment(answer, "readme.txt")
        assert answer.text == "hello from the run\n"
    # a file of the MLflow 3 logged model, under its name as in the run's tree
    mlmodel = httpx.get(f"{http_uri}/get-artifact", params={"path": "model/MLmodel", "run_uuid": run_id}, timeout=60)
    _assert_attachment(mlmodel, "MLmodel")
    assert "flavors:" in mlmodel.text and "sklearn" in mlmodel.text
    mltrail.register_model(f"runs:/{run_id}/model", "downloads")
    version_file = httpx.get(f"{http_uri}/model-versions/get-artifact",
                             params={"path": "MLmodel", "name": "downloads", "version": "1"}, timeout=60)
    _assert_attachment(version_file, "MLmodel")
    assert version_file.text == mlmodel.text.replace("\r", "")


@pytest.mark.parametrize("route, params, status, code, text", [
    ("/get-artifact", {"run_uuid": "0" * 32}, 400, "INVALID_PARAMETER_VALUE", "'path'"),
    ("/get-artifact", {"path": "notes/readme.txt"}, 400, "INVALID_PARAMETER_VALUE", "'run_uuid' or 'run_id'"),
    ("/get-artifact", {"path": "x", "run_uuid": "0" * 32}, 404, "RESOURCE_DOES_NOT_EXIST", "0" * 32),
    ("/get-artifact", {"path": "notes", "run_uuid": None}, 404, "RESOURCE_DOES_NOT_EXIST", "notes"),
    ("/get-artifact", {"path": "notes/missing.txt", "run_uuid": None}, 404, "RESOURCE_DOES_NOT_EXIST", "missing.txt"),
    ("/model-versions/get-artifact", {"path": "MLmodel", "name": "nope", "version": "1"}, 404,
     "RESOURCE_DOES_NOT_EXIST", "nope"),
])
def test_bad_requests_get_mlflow_json_errors_naming_the_value(http_uri, tmp_path, route, params, status, code, text):
    run_id = _logged(http_uri, tmp_path)
    params = {k: run_id if v is None else v for k, v in params.items()}
    answer = httpx.get(f"{http_uri}{route}", params=params, timeout=60)
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code and text in answer.json()["message"]


@pytest.mark.parametrize("hostile", ["../../../../etc/passwd", "notes/../../../etc/passwd", "/etc/passwd",
                                     "%2e%2e/%2e%2e/etc/passwd", "notes/..%2f..%2f..%2fetc/passwd"])
def test_paths_climbing_out_are_refused(http_uri, tmp_path, hostile):
    run_id = _logged(http_uri, tmp_path)
    answer = httpx.get(f"{http_uri}/get-artifact", params={"path": hostile, "run_uuid": run_id}, timeout=60)
    assert answer.status_code in (400, 404) and "root:" not in answer.text


def test_under_auth_only_readers_of_the_run_or_model_download(auth_server, tmp_path):
    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    bob = server.user("bob")
    ana = server.user("ana")
    eid = server.call("POST", "experiments/create", bob, json={"name": "bob-exp"}).json()["experiment_id"]
    run_id = server.call("POST", "runs/create", bob, json={"experiment_id": eid}).json()["run"]["info"]["run_id"]
    server.call("POST", "registered-models/create", bob, json={"name": "bob-model"}).raise_for_status()
    for params in ({"path": "x.txt", "run_uuid": run_id}, {"path": "x.txt", "run_id": run_id},
                   {"path": "x.txt", "run_uuid": "0" * 32, "run_id": run_id}):
        answer = httpx.get(f"{server.url}/get-artifact", params=params, headers=ana, timeout=30)
        assert answer.status_code == 403, params
    answer = httpx.get(f"{server.url}/model-versions/get-artifact",
                       params={"path": "MLmodel", "name": "bob-model", "version": "1"}, headers=ana, timeout=30)
    assert answer.status_code == 403
    anonymous = httpx.get(f"{server.url}/get-artifact", params={"path": "x.txt", "run_uuid": run_id}, timeout=30)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    # the owner gets past the guard (the file does not exist: 404 naming it)
    answer = httpx.get(f"{server.url}/get-artifact", params={"path": "x.txt", "run_uuid": run_id}, headers=bob,
                       timeout=30)
    assert answer.status_code == 404 and "x.txt" in answer.json()["message"]
