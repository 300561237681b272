"""``model-versions/create`` copies only what the caller may register: never a file of the server's
host outside the run (or logged model) named, never a fetch from another host.

Requests are sent as a remote caller would send them (raw JSON), against a server whose artifact
root is a local folder (``--no-serve-artifacts``: runs' artifact URIs are local paths on the server).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import mltrail
from mltrail.artifacts.local import local_path_from_uri

RULE = "has to be contained within the artifact directory of the run specified by the run_id"


@pytest.fixture
def server(serve_http, sqlite_uri: str, tmp_path: Path) -> str:
    return serve_http(sqlite_uri, serve_artifacts=False, artifacts_destination=None,
                      default_artifact_root=str(tmp_path / "artifact-root"))


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A folder of the server's host that looks like a model (an MLmodel file) and holds a secret."""
    folder = tmp_path / "server-secret"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mltrail.sklearn\n")
    (folder / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY----- not for you")
    return folder


def _create(server: str, name: str, source: str, **fields) -> httpx.Response:
    body = {"name": name, "source": source, **{k: v for k, v in fields.items() if v is not None}}
    return httpx.post(f"{server}/api/2.0/mlflow/model-versions/create", json=body, timeout=60)


def _versions(server: str, name: str) -> list:
    answer = httpx.get(f"{server}/api/2.0/mlflow/model-versions/search", params={"filter": f"name='{name}'"}, timeout=60)
    return answer.json().get("model_versions", [])


def _run_with_model_folder(server: str, tmp_path: Path) -> tuple[str, str]:
    """A run whose (local) artifacts hold a plain model folder ``plain``; (run id, that folder's path)."""
    client = mltrail.Client(server)
    eid = client.create_experiment("sources")
    run = client.create_run(eid)
    X = np.random.default_rng(0).normal(size=(8, 2))
    mltrail.sklearn.save_model(LinearRegression().fit(X, X @ [1.0, 2.0]), str(tmp_path / "saved"))
    client.log_artifacts(run.info.run_id, str(tmp_path / "saved"), "plain")
    root = local_path_from_uri(client.get_run(run.info.run_id).info.artifact_uri)
    return run.info.run_id, os.path.join(root, "plain")


def _assert_refused(answer: httpx.Response, source: str, rule: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert f"Invalid model version source: '{source}'" in body["message"] and rule in body["message"]


def test_a_server_folder_outside_every_run_is_refused_and_nothing_is_copied(server, secret, tmp_path, monkeypatch):
    run_id, _ = _run_with_model_folder(server, tmp_path)
    httpx.post(f"{server}/api/2.0/mlflow/registered-models/create", json={"name": "m"}, timeout=60)
    monkeypatch.setenv("HOME", str(secret.parent))  # so ~/server-secret is the secret folder on the server
    for source, rid in [(str(secret), None), (str(secret), run_id), (f"file://{secret}", run_id),
                        ("~/server-secret", run_id)]:
        _assert_refused(_create(server, "m", source, run_id=rid), source, RULE)
    assert _versions(server, "m") == []
    copied = [p for p in (tmp_path / "artifact-root").rglob("id_rsa")]
    assert copied == []


def test_a_symlink_in_the_run_artifacts_to_a_server_folder_is_refused(server, secret, tmp_path):
    run_id, plain = _run_with_model_folder(server, tmp_path)
    link = os.path.join(os.path.dirname(plain), "looks-inside")
    os.symlink(secret, link)
    httpx.post(f"{server}/api/2.0/mlflow/registered-models/create", json={"name": "m"}, timeout=60)
    _assert_refused(_create(server, "m", link, run_id=run_id), link, RULE)
    assert _versions(server, "m") == []


def test_a_folder_inside_the_named_run_registers_and_loads(server, tmp_path):
    run_id, plain = _run_with_model_folder(server, tmp_path)
    other_run = mltrail.Client(server).create_run("0").info.run_id
    httpx.post(f"{server}/api/2.0/mlflow/registered-models/create", json={"name": "m"}, timeout=60)
    # the same folder with the id of another run is refused: the folder is not that run's
    _assert_refused(_create(server, "m", plain, run_id=other_run), plain, RULE)
    answer = _create(server, "m", plain, run_id=run_id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model_version"]["run_id"] == run_id
    mltrail.set_tracking_uri(server)
    model = mltrail.pyfunc.load_model("models:/m/1")
    assert np.allclose(model.predict(np.array([[1.0, 1.0]])), [3.0])


def test_an_unknown_run_id_is_named_as_such(server, secret):
    httpx.post(f"{server}/api/2.0/mlflow/registered-models/create", json={"name": "m"}, timeout=60)
    _assert_refused(_create(server, "m", str(secret), run_id="0" * 32), str(secret),
                    "The run_id request parameter must identify the resource that contains the source")


@pytest.mark.parametrize("source", [
    "http://127.0.0.1:9/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts/model",
    "https://internal.example/api/2.0/mlflow-artifacts/artifacts/model",
    "mlflow-artifacts://127.0.0.1:9/0/abc/artifacts/model",  # this server serves no artifacts itself
])
def test_sources_that_would_make_the_server_fetch_from_a_host_are_refused(server, source):
    httpx.post(f"{server}/api/2.0/mlflow/registered-models/create", json={"name": "m"}, timeout=60)
    _assert_refused(_create(server, "m", source), source, "would make it connect to the host named in the URI")
    assert _versions(server, "m") == []
