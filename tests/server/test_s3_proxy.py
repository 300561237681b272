"""``mltrail server`` proxying artifacts to an ``s3://`` destination (moto's standalone S3 server):
mltrail's client and the stock MLflow client, single PUTs streamed to S3 in parts, MLflow's multipart
routes, streamed downloads, hostile paths, and a dead endpoint or a missing bucket behind the proxy."""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Iterator

import boto3
import httpx
import numpy as np
import pytest

ART = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu"
CHUNK = 5 * 1024 * 1024


def _s3():
    return boto3.session.Session().client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])


def _keys(bucket: str, prefix: str = "") -> list[str]:
    pages = _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@pytest.fixture
def s3_server(s3_bucket, sqlite_uri, serve_http, monkeypatch) -> str:
    """A mltrail server over SQLite whose artifact destination is ``s3://<bucket>/proxied``."""
    monkeypatch.setenv("MLTRAIL_S3_MULTIPART_CHUNK_SIZE", str(CHUNK))
    return serve_http(sqlite_uri, artifacts_destination=f"s3://{s3_bucket}/proxied")


def test_mltrail_client_logs_models_and_artifacts_through_the_proxy_into_s3(s3_server, s3_bucket, tmp_path) -> None:
    import mltrail
    from sklearn.linear_model import LinearRegression

    mltrail.set_tracking_uri(s3_server)
    mltrail.set_experiment("proxied-s3")
    (tmp_path / "notes.txt").write_text("hello")
    X = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(X, X[:, 0])
    with mltrail.start_run() as run:
        mltrail.log_artifact(str(tmp_path / "notes.txt"), "docs")
        info = mltrail.sklearn.log_model(model, name="model")
    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    exp_id = run.info.experiment_id
    assert f"proxied/{exp_id}/{run_id}/artifacts/docs/notes.txt" in _keys(s3_bucket, "proxied/")
    assert f"proxied/{exp_id}/models/{info.model_id}/artifacts/MLmodel" in _keys(s3_bucket, "proxied/")

    client = mltrail.MlflowClient()
    assert [f.path for f in client.list_artifacts(run_id, "docs")] == ["docs/notes.txt"]
    back = client.download_artifacts(run_id, "docs/notes.txt", str(tmp_path / "dl"))
    assert open(back).read() == "hello"
    for uri in (info.model_uri, f"runs:/{run_id}/model"):
        assert np.allclose(mltrail.pyfunc.load_model(uri).predict(X), model.predict(X))
    version = mltrail.register_model(info.model_uri, "proxied-taxi")
    assert str(version.status) == "READY"
    assert np.allclose(mltrail.pyfunc.load_model("models:/proxied-taxi/1").predict(X), model.predict(X))


def test_a_single_put_is_streamed_to_s3_in_parts_and_streamed_back(s3_server, s3_bucket) -> None:
    data = os.urandom(2 * CHUNK + 777)

    def body() -> Iterator[bytes]:  # chunked transfer: the server does not know the size in advance
        for start in range(0, len(data), 1 << 20):
            yield data[start:start + (1 << 20)]

    put = httpx.put(f"{s3_server}{ART}/0/r1/artifacts/big.bin", content=body(), timeout=60)
    assert put.status_code == 200, put.text
    assert _s3().head_object(Bucket=s3_bucket, Key="proxied/0/r1/artifacts/big.bin")["ETag"].strip('"').endswith("-3")
    small = httpx.put(f"{s3_server}{ART}/0/r1/artifacts/small.txt", content=b"tiny")
    assert small.status_code == 200
    with httpx.stream("GET", f"{s3_server}{ART}/0/r1/artifacts/big.bin", timeout=60) as answer:
        assert answer.status_code == 200 and int(answer.headers["content-length"]) == len(data)
        digest = hashlib.sha256()
        for piece in answer.iter_bytes():
            digest.update(piece)
    assert digest.digest() == hashlib.sha256(data).digest()
    assert httpx.get(f"{s3_server}{ART}/0/r1/artifacts/small.txt").content == b"tiny"
    listing = httpx.get(f"{s3_server}{ART}", params={"path": "0/r1/artifacts"}).json()["files"]
    assert [(f["path"], f["file_size"]) for f in listing] == [("big.bin", str(len(data))), ("small.txt", "4")] or \
        [(f["path"], int(f["file_size"])) for f in listing] == [("big.bin", len(data)), ("small.txt", 4)]
    missing = httpx.get(f"{s3_server}{ART}/0/r1/artifacts/nothing.bin")
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert httpx.delete(f"{s3_server}{ART}/0/r1/artifacts").status_code == 200
    assert _keys(s3_bucket, "proxied/0/r1/") == []


def test_stock_client_against_the_s3_proxy_with_multipart_uploads(s3_server, s3_bucket, tmp_path, monkeypatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(CHUNK))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(CHUNK))
    data = os.urandom(2 * CHUNK + 1000)  # 3 parts
    (tmp_path / "weights.bin").write_bytes(data)
    (tmp_path / "small.txt").write_text("small")
    client = mlflow.MlflowClient(s3_server)
    run = client.create_run("0")
    run_id = run.info.run_id
    client.log_artifact(run_id, str(tmp_path / "weights.bin"), "big")
    client.log_artifact(run_id, str(tmp_path / "small.txt"))
    key = f"proxied/0/{run_id}/artifacts/big/weights.bin"
    assert _s3().head_object(Bucket=s3_bucket, Key=key)["ETag"].strip('"').endswith("-3")
    assert sorted(f.path for f in client.list_artifacts(run_id)) == ["big", "small.txt"]
    back = client.download_artifacts(run_id, "big/weights.bin", str(tmp_path / "down"))
    assert hashlib.sha256(open(back, "rb").read()).digest() == hashlib.sha256(data).digest()
    assert _s3().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_mltrail_client_sends_a_large_file_in_parts_through_the_s3_proxy(s3_server, s3_bucket, tmp_path,
                                                                          monkeypatch) -> None:
    import mltrail

    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(CHUNK))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(6 * 1024 * 1024))
    data = os.urandom(16 * 1024 * 1024)  # client parts of 6 MiB: 3 (one streamed PUT would make 4 of 5 MiB)
    (tmp_path / "weights.bin").write_bytes(data)
    client = mltrail.MlflowClient(s3_server)
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(tmp_path / "weights.bin"), "big")
    key = f"proxied/0/{run_id}/artifacts/big/weights.bin"
    assert _s3().head_object(Bucket=s3_bucket, Key=key)["ETag"].strip('"').endswith("-3")
    back = client.download_artifacts(run_id, "big/weights.bin", str(tmp_path / "down"))
    assert hashlib.sha256(open(back, "rb").read()).digest() == hashlib.sha256(data).digest()


def test_mpu_abort_and_bad_parts_on_s3(s3_server, s3_bucket) -> None:
    created = httpx.post(f"{s3_server}{MPU}/create/0/r2/artifacts", json={"path": "/home/me/f.bin", "num_parts": 2})
    assert created.status_code == 200, created.text
    body = created.json()
    assert [c["part_number"] for c in body["credentials"]] == [1, 2]
    part = httpx.put(body["credentials"][0]["url"], content=b"x" * CHUNK)
    assert part.status_code == 200 and part.headers["ETag"]
    wrong = httpx.post(f"{s3_server}{MPU}/complete/0/r2/artifacts", json={
        "path": "f.bin", "upload_id": body["upload_id"], "parts": [{"part_number": 1, "etag": '"0" '}]})
    assert wrong.status_code == 400, wrong.text
    assert httpx.post(f"{s3_server}{MPU}/abort/0/r2/artifacts",
                      json={"path": "f.bin", "upload_id": body["upload_id"]}).status_code == 200
    assert _s3().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert _keys(s3_bucket, "proxied/0/r2/") == []


@pytest.mark.parametrize("path", ["0/%2e%2e/%2e%2e/outside.txt", "0/..%2f..%2foutside.txt", "0/r/%00x"])
def test_paths_that_leave_the_s3_destination_are_refused(s3_server, s3_bucket, path) -> None:
    answer = httpx.put(f"{s3_server}{ART}/{path}", content=b"evil")
    assert answer.status_code == 400 and answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    part = httpx.put(f"{s3_server}{MPU}/upload/abc/1", params={"path": "../../outside.txt"}, content=b"evil")
    assert part.status_code == 400
    assert _keys(s3_bucket) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
def test_a_dead_s3_endpoint_behind_the_proxy_is_a_503_naming_it(s3_server, monkeypatch) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", dead)  # the in-process server reads it on its next request
    for answer in (httpx.put(f"{s3_server}{ART}/0/r3/artifacts/f.txt", content=b"x", timeout=60),
                   httpx.get(f"{s3_server}{ART}/0/r3/artifacts/f.txt", timeout=60),
                   httpx.get(f"{s3_server}{ART}", params={"path": "0"}, timeout=60)):
        assert answer.status_code == 503
        assert answer.json()["error_code"] == "TEMPORARILY_UNAVAILABLE" and dead in answer.json()["message"]


def test_a_missing_bucket_behind_the_proxy_is_a_404_naming_it(s3_bucket, sqlite_uri, serve_http) -> None:
    uri = serve_http(sqlite_uri, artifacts_destination="s3://no-such-bucket-mltrail/x")
    answer = httpx.put(f"{uri}{ART}/0/r/artifacts/f.txt", content=b"x")
    assert answer.status_code == 404
    assert "S3 bucket 'no-such-bucket-mltrail' does not exist" in answer.json()["message"]


def test_with_an_s3_default_root_clients_write_to_s3_directly_and_the_server_copies_registrations(
        s3_bucket, sqlite_uri, serve_http, tmp_path) -> None:
    import mltrail
    from sklearn.linear_model import LinearRegression

    uri = serve_http(sqlite_uri, default_artifact_root=f"s3://{s3_bucket}/direct", serve_artifacts=False)
    mltrail.set_tracking_uri(uri)
    X = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(X, X[:, 1])
    (tmp_path / "f.txt").write_text("direct")
    with mltrail.start_run() as run:
        mltrail.log_artifact(str(tmp_path / "f.txt"))
        info = mltrail.sklearn.log_model(model, name="model", registered_model_name="direct-taxi")
    assert run.info.artifact_uri == f"s3://{s3_bucket}/direct/0/{run.info.run_id}/artifacts"
    assert f"direct/0/{run.info.run_id}/artifacts/f.txt" in _keys(s3_bucket, "direct/")
    assert mltrail.MlflowClient().get_model_version_download_uri("direct-taxi", 1) == \
        f"s3://{s3_bucket}/direct/models/direct-taxi/1"
    assert "direct/models/direct-taxi/1/MLmodel" in _keys(s3_bucket, "direct/models/")
    for model_uri in (info.model_uri, "models:/direct-taxi/1"):
        assert np.allclose(mltrail.pyfunc.load_model(model_uri).predict(X), model.predict(X))


@pytest.mark.timeout(120)
def test_a_stalled_s3_does_not_stop_the_server_answering(s3_bucket, s3_endpoint, sqlite_uri, serve_http,
                                                         monkeypatch, tmp_path) -> None:
    import threading

    import mltrail
    from tests.store.tcp_proxy import TcpProxy

    host, port = s3_endpoint.rsplit("//", 1)[1].split(":")
    with TcpProxy(host, int(port)) as proxy:
        stalled = f"http://127.0.0.1:{proxy.port}"
        monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", stalled)
        monkeypatch.setenv("MLTRAIL_S3_READ_TIMEOUT", "8")
        monkeypatch.setenv("MLTRAIL_S3_MAX_ATTEMPTS", "1")
        uri = serve_http(sqlite_uri, artifacts_destination=f"s3://{s3_bucket}/ui")
        mltrail.set_tracking_uri(uri)
        with mltrail.start_run() as run:
            mltrail.log_text("hello", "notes/hello.txt")
        proxy.stall()
        answers: dict[str, httpx.Response] = {}

        def read(name: str, url: str, **params: str) -> None:
            answers[name] = httpx.get(url, params=params, timeout=60)

        readers = [threading.Thread(target=read, args=("ui", f"{uri}/ajax-api/ui/artifacts"),
                                    kwargs={"run_id": run.info.run_id, "path": "notes"}),
                   threading.Thread(target=read, args=("proxy", f"{uri}{ART}/0/{run.info.run_id}/artifacts/notes/hello.txt"))]
        for reader in readers:
            reader.start()
        readers[0].join(1.0)  # both are waiting on S3 now
        health = httpx.get(f"{uri}/health", timeout=4)  # blocked event loop: a ReadTimeout here
        assert health.text == "OK"
        for reader in readers:
            reader.join()
    assert answers["proxy"].status_code == 503 and stalled in answers["proxy"].json()["message"]
    assert answers["ui"].status_code == 503 and stalled in answers["ui"].text
