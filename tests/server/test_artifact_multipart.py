"""The artifact proxy's multipart routes (MLflow's ``mpu/create|complete|abort``) on a local
destination, driven by the stock MLflow client and by hand; uploads are streamed to disk."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

MPU = "/api/2.0/mlflow-artifacts/mpu"
ART = "/api/2.0/mlflow-artifacts/artifacts"


def test_stock_client_uploads_a_large_file_in_parts(recorded_server, tmp_path, monkeypatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(64 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(100 * 1024))
    uri, recorder = recorded_server()
    data = os.urandom(350 * 1024)  # 4 parts: 3 of 100 KiB and one of 50 KiB
    source = tmp_path / "weights.bin"
    source.write_bytes(data)
    client = mlflow.MlflowClient(uri)
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(source), "big")
    calls = [f"{m} {p}" for m, p in recorder.requests if "mlflow-artifacts" in p]
    assert sum(c.startswith(f"POST {MPU}/create/") for c in calls) == 1
    assert sum(c.startswith(f"PUT {MPU}/upload/") for c in calls) == 4
    assert sum(c.startswith(f"POST {MPU}/complete/") for c in calls) == 1
    assert not any(c.startswith(f"PUT {ART}/") for c in calls)  # no fallback to one PUT
    back = client.download_artifacts(run_id, "big/weights.bin", str(tmp_path / "down"))
    assert hashlib.sha256(open(back, "rb").read()).digest() == hashlib.sha256(data).digest()
    assert [f.path for f in client.list_artifacts(run_id, "big")] == ["big/weights.bin"]


def _create(uri: str, folder: str, path: str, num_parts: int) -> httpx.Response:
    return httpx.post(f"{uri}{MPU}/create/{folder}", json={"path": path, "num_parts": num_parts})


def test_parts_join_in_part_number_order_whatever_order_they_came(recorded_server) -> None:
    uri, _ = recorded_server()
    created = _create(uri, "0/r1/artifacts", "/home/me/data.txt", 3).json()  # the stock client sends its local path
    urls = {c["part_number"]: c["url"] for c in created["credentials"]}
    etags = {n: httpx.put(urls[n], content=body).headers["ETag"] for n, body in ((3, b"ccc"), (1, b"a"), (2, b"bb"))}
    done = httpx.post(f"{uri}{MPU}/complete/0/r1/artifacts", json={
        "path": "data.txt", "upload_id": created["upload_id"],
        "parts": [{"part_number": n, "etag": e} for n, e in etags.items()]})
    assert done.status_code == 200, done.text
    assert httpx.get(f"{uri}{ART}/0/r1/artifacts/data.txt").content == b"abbccc"
    # the staging folder is gone and never listed
    assert [f["path"] for f in httpx.get(f"{uri}{ART}", params={"path": ""}).json().get("files", [])] == ["0"]


def test_a_wrong_etag_or_a_missing_part_stores_nothing(recorded_server) -> None:
    uri, _ = recorded_server()
    created = _create(uri, "0/r2/artifacts", "f.bin", 2).json()
    httpx.put(created["credentials"][0]["url"], content=b"one")
    body = {"path": "f.bin", "upload_id": created["upload_id"]}
    wrong = httpx.post(f"{uri}{MPU}/complete/0/r2/artifacts", json={**body, "parts": [
        {"part_number": 1, "etag": '"0123456789abcdef0123456789abcdef"'}]})
    assert wrong.status_code == 400 and "etag" in wrong.json()["message"]
    missing = httpx.post(f"{uri}{MPU}/complete/0/r2/artifacts", json={**body, "parts": [
        {"part_number": 1}, {"part_number": 2}]})
    assert missing.status_code == 400 and "no such part" in missing.json()["message"]
    assert httpx.get(f"{uri}{ART}/0/r2/artifacts/f.bin").status_code == 404
    # abort drops the upload: completing it afterwards is a 404
    assert httpx.post(f"{uri}{MPU}/abort/0/r2/artifacts", json=body).status_code == 200
    gone = httpx.post(f"{uri}{MPU}/complete/0/r2/artifacts", json={**body, "parts": [{"part_number": 1}]})
    assert gone.status_code == 404 and gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("folder, path", [("0/..%2f..%2fetc", "x"), ("0/%2e%2e/%2e%2e", "x"), ("0/r", "../../x")])
def test_multipart_paths_that_leave_the_destination_are_refused(recorded_server, folder, path) -> None:
    uri, _ = recorded_server()
    answer = httpx.post(f"{uri}{MPU}/create/{folder}", json={"path": path, "num_parts": 1})
    if path.startswith(".."):  # only the basename of "path" is used, as MLflow does
        assert answer.status_code == 200
        assert answer.json()["credentials"][0]["part_number"] == 1
    else:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_bad_part_counts_and_upload_ids_are_refused(recorded_server) -> None:
    uri, _ = recorded_server()
    for bad in (0, -1, "many", 10_001, True):
        answer = _create(uri, "0/r", "f", bad)
        assert answer.status_code == 400 and "num_parts" in answer.json()["message"], bad
    answer = httpx.put(f"{uri}{MPU}/upload/not-an-id/1", content=b"x")
    assert answer.status_code == 400 and "upload_id" in answer.json()["message"]


def test_a_plain_upload_is_renamed_into_place_with_no_leftovers(recorded_server, tmp_path) -> None:
    uri, _ = recorded_server()
    body = os.urandom(3 * 1024 * 1024)
    assert httpx.put(f"{uri}{ART}/0/r3/artifacts/blob.bin", content=iter([body[:1000], body[1000:]])).status_code == 200
    assert httpx.get(f"{uri}{ART}/0/r3/artifacts/blob.bin").content == body
    folder = tmp_path / "artifacts" / "0" / "r3" / "artifacts"
    assert sorted(os.listdir(folder)) == ["blob.bin"]


@pytest.mark.parametrize("without", [(), ("create/{artifact_path:path}",)])
def test_mltrail_client_uploads_a_large_file_in_parts_or_falls_back_to_one_put(recorded_server, tmp_path,
                                                                               monkeypatch, without) -> None:
    import mltrail

    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(64 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(100 * 1024))
    uri, recorder = recorded_server(without=without)
    data = os.urandom(350 * 1024)
    (tmp_path / "weights.bin").write_bytes(data)
    client = mltrail.MlflowClient(uri)
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(tmp_path / "weights.bin"), "big")
    calls = [f"{m} {p}" for m, p in recorder.requests if "mlflow-artifacts" in p]
    puts = sum(c.startswith(f"PUT {ART}/") for c in calls)
    if without:  # a server without the multipart routes: one PUT
        assert puts == 1 and not any(c.startswith(f"PUT {MPU}/upload/") for c in calls)
    else:
        assert puts == 0 and sum(c.startswith(f"PUT {MPU}/upload/") for c in calls) == 4
        assert sum(c.startswith(f"POST {MPU}/complete/") for c in calls) == 1
    back = client.download_artifacts(run_id, "big/weights.bin", str(tmp_path / "down"))
    assert open(back, "rb").read() == data
