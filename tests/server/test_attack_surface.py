"""Attack surface of ``mltrail server`` (issue 13 item 7): path traversal on every artifact route,
request size limits, slow and many concurrent clients.

Requests go over real sockets with :mod:`http.client`, which sends a path exactly as written
(httpx would normalise ``..`` away before it left the client). A secret file sits beside the
artifact destination; every hostile path must get a 4xx, leave the secret unread, unchanged and
undeleted, and create nothing outside the destination.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

import mltrail
from tests.conftest import serve_app

SECRET = f"TOPSECRET-{uuid.uuid4().hex}"


@pytest.fixture
def site(sqlite_uri, tmp_path):
    """A server with artifacts in ``tmp/dest``, a run with one artifact and symlinks out of it, a secret
    in ``tmp/secret.txt``; yields (url, run_id, tmp, destination). Servers stop afterwards."""
    from mltrail.server import create_app

    dest = tmp_path / "dest"
    (tmp_path / "secret.txt").write_text(SECRET)
    started: list = []
    url = serve_app(create_app(backend_store_uri=sqlite_uri, artifacts_destination=str(dest), access_log=False,
                               max_body_bytes=64 * 1024, extra={"max_artifact_bytes": 256 * 1024}), started)
    client = mltrail.MlflowClient(url)
    run_id = client.create_run("0").info.run_id
    (tmp_path / "ok.txt").write_text("fine")
    client.log_artifact(run_id, str(tmp_path / "ok.txt"))
    folder = dest / "0" / run_id / "artifacts"
    assert (folder / "ok.txt").read_text() == "fine"
    os.symlink(tmp_path / "secret.txt", folder / "link.txt")
    os.symlink(tmp_path, folder / "linkdir")
    yield url, run_id, tmp_path, dest
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(10)
        sock.close()


def raw(url: str, method: str, target: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, bytes]:
    """Send ``target`` byte for byte; (status, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


#: Ways to walk from ``<dest>/0/<run>/artifacts/`` to ``<tmp>/secret.txt`` (four levels up), or to
#: files the server must never read.
UP = "../../../../secret.txt"
HOSTILE = [
    UP,
    UP.replace("/", "%2f"),
    UP.replace("..", "%2e%2e"),
    UP.replace("..", "%252e%252e"),
    UP.replace("..", ".%2e"),
    UP.replace("/", "\\"),
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "ok.txt%00.png",
    "ok.txt\x00",
    "link.txt",
    "linkdir/secret.txt",
]


def _expect_refused(status: int, body: bytes, tmp: Path, what: str) -> None:
    assert 400 <= status < 500, f"{what}: {status} {body[:300]!r}"
    assert SECRET.encode() not in body and b"root:" not in body, what
    assert (tmp / "secret.txt").read_text() == SECRET, what


def _files_outside(tmp: Path, dest: Path) -> set[str]:
    return {str(p) for p in tmp.rglob("*") if dest not in p.parents and p != dest}


@pytest.mark.parametrize("payload", HOSTILE)
def test_mlflow_artifacts_routes_refuse_paths_out(site, payload):
    url, run_id, tmp, dest = site
    before = _files_outside(tmp, dest)
    # an absolute path is one at the destination's top (deeper, ``//etc`` is just a folder ``etc``)
    base = "/api/2.0/mlflow-artifacts/artifacts/" + ("" if _absolute(payload) else f"0/{run_id}/artifacts/")
    target = base + payload.replace("\x00", "%00")
    for method, body in (("GET", b""), ("PUT", b"overwritten"), ("DELETE", b"")):
        status, answer = raw(url, method, target, body)
        _expect_refused(status, answer, tmp, f"{method} {target}")
    listing = "/api/2.0/mlflow-artifacts/artifacts?path=" + quote(f"0/{run_id}/artifacts/{payload}".replace("secret.txt", ""))
    status, answer = raw(url, "GET", listing)
    assert status >= 400 or b"secret.txt" not in answer, listing
    mpu = "/api/2.0/mlflow-artifacts/mpu"
    where = ("" if _absolute(payload) else f"0/{run_id}/artifacts/") + payload.replace("\x00", "%00")
    for action in ("create", "complete", "abort"):  # the file's name is the basename of "path": the URL is the attack
        status, answer = raw(url, "POST", f"{mpu}/{action}/{where}",
                             json.dumps({"path": "f.txt", "num_parts": 1, "upload_id": "x", "parts": []}).encode(),
                             {"Content-Type": "application/json"})
        _expect_refused(status, answer, tmp, f"mpu {action} {payload}")
    assert _files_outside(tmp, dest) == before


def _absolute(payload: str) -> bool:
    return payload.startswith("/") or payload.lower().startswith("%2f")


def test_a_multipart_upload_cannot_complete_through_a_symlinked_folder(site):
    """A folder symlinked out of the destination must not receive a completed upload (it would
    replace the file the link leads to)."""
    url, run_id, tmp, dest = site
    folder = dest / "0" / run_id / "artifacts"
    mpu = "/api/2.0/mlflow-artifacts/mpu"
    upload = httpx.post(f"{url}{mpu}/create/0/{run_id}/artifacts/secret-dir",
                        json={"path": "secret.txt", "num_parts": 1}).json()
    part = httpx.put(upload["credentials"][0]["url"], content=b"overwritten")
    os.symlink(tmp, folder / "secret-dir")  # made after the upload was created, as a race would
    answer = httpx.post(f"{url}{mpu}/complete/0/{run_id}/artifacts/secret-dir",
                        json={"path": "secret.txt", "upload_id": upload["upload_id"],
                              "parts": [{"part_number": 1, "etag": part.headers["ETag"]}]})
    assert answer.status_code == 400
    assert (tmp / "secret.txt").read_text() == SECRET


@pytest.mark.parametrize("payload", HOSTILE)
def test_ui_artifact_routes_refuse_paths_out(site, payload):
    url, run_id, tmp, dest = site
    path = quote(payload, safe="%")
    for target in (f"/runs/{run_id}/artifact?path={path}", f"/runs/{run_id}/artifact?path={path}&download=1",
                   f"/ajax-api/ui/artifact-preview?run_id={run_id}&path={path}",
                   f"/ajax-api/ui/diagnostic?run_id={run_id}&path={path}"):
        status, answer = raw(url, "GET", target)
        _expect_refused(status, answer, tmp, target)
    status, answer = raw(url, "GET", f"/ajax-api/ui/artifacts?run_id={run_id}&path={quote(payload.rsplit('secret.txt', 1)[0] or payload, safe='%')}")
    assert status >= 400 or (b"secret.txt" not in answer and SECRET.encode() not in answer), payload


@pytest.mark.parametrize("payload", HOSTILE)
def test_mlflow_get_artifact_routes_serve_nothing_out(site, payload):
    """MLflow's ``get-artifact`` and ``model-versions/get-artifact`` (its UI's routes; mltrail's UI has
    its own): never a file outside the destination, whatever the path."""
    url, run_id, tmp, dest = site
    path = quote(payload, safe="%")
    for prefix in ("", "/ajax-api/2.0/mlflow"):
        for target in (f"{prefix}/get-artifact?path={path}&run_uuid={run_id}&run_id={run_id}",
                       f"{prefix}/model-versions/get-artifact?path={path}&name=m&version=1"):
            status, answer = raw(url, "GET", target)
            _expect_refused(status, answer, tmp, target)


def test_the_good_paths_still_work(site):
    """The guard is not a wall: the same routes serve the run's own files."""
    url, run_id, tmp, dest = site
    assert raw(url, "GET", f"/api/2.0/mlflow-artifacts/artifacts/0/{run_id}/artifacts/ok.txt") == (200, b"fine")
    assert raw(url, "GET", f"/runs/{run_id}/artifact?path=ok.txt")[1] == b"fine"


def test_bodies_over_the_limits_are_refused_with_413(site):
    url, run_id, tmp, dest = site
    big = json.dumps({"run_id": run_id, "key": "k", "value": "x" * 100_000}).encode()
    status, answer = raw(url, "POST", "/api/2.0/mlflow/runs/set-tag", big, {"Content-Type": "application/json"})
    assert status == 413 and json.loads(answer)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    # a body without Content-Length (chunked) is counted as it streams in
    chunks = (b"x" * 65536 for _ in range(8))
    response = httpx.put(f"{url}/api/2.0/mlflow-artifacts/artifacts/0/{run_id}/artifacts/big.bin", content=chunks)
    assert response.status_code == 413
    assert not (dest / "0" / run_id / "artifacts" / "big.bin").exists()
    assert "big" not in mltrail.MlflowClient(url).get_run(run_id).data.tags


def _health(url: str) -> str:
    return httpx.get(url + "/health", timeout=30).text


def test_slow_clients_do_not_stop_health(site):
    """Slowloris: 200 connections sending their headers a byte at a time; /health still answers."""
    url, *_ = site
    parts = urlsplit(url)
    slow = []
    for _ in range(200):
        s = socket.create_connection((parts.hostname, parts.port))
        s.sendall(b"POST /api/2.0/mlflow/runs/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n")
        slow.append(s)
    try:
        for _ in range(3):
            for s in slow:
                s.sendall(b"X")
            assert _health(url) == "OK"
            time.sleep(0.2)
    finally:
        for s in slow:
            s.close()
    assert _health(url) == "OK"


def test_many_concurrent_clients_do_not_stop_health(site):
    url, run_id, *_ = site
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=60) as http:
            while not stop.is_set():
                try:
                    http.post(url + "/api/2.0/mlflow/runs/search", json={"experiment_ids": ["0"]}).raise_for_status()
                    http.post(url + "/api/2.0/mlflow/runs/log-metric",
                              json={"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 0})
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=hammer) for _ in range(32)]
    for t in threads:
        t.start()
    try:
        answers = [_health(url) for _ in range(5)]
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert answers == ["OK"] * 5 and not errors
