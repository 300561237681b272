"""The scoring server under stress: dead workers, huge bodies, slow predictions, deep JSON.

Orderings are observed with events and real processes, never with wall-clock bounds
(the timeouts below only keep a broken server from hanging the test run).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from typing import Any, Iterator

import numpy as np
import pytest

with warnings.catch_warnings():  # starlette warns that its TestClient will move to httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import mltrail
from mltrail.exceptions import MltrailError
from mltrail.models.scoring_server import DEFAULT_MAX_BODY_BYTES, build_app, max_body_bytes

_SAFETY = 60.0  # seconds before a broken server counts as hung


class _EchoModel:
    """predict returns the number of rows it got."""

    def predict(self, data: Any, params: Any = None) -> Any:
        return np.asarray([len(data)])


@contextlib.contextmanager
def _serving(app: Any) -> Iterator[int]:
    """Run ``app`` on a real uvicorn server in a thread; yield its port."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + _SAFETY
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(_SAFETY)
        sock.close()


def _records(n: int) -> bytes:
    return json.dumps({"dataframe_records": [{"a": 1.0}] * n}).encode()


# -- body size limit -------------------------------------------------------------
def test_a_body_over_the_limit_gets_413_and_one_at_the_limit_is_read():
    body = _records(3)
    client = TestClient(build_app(_EchoModel(), max_body_size=len(body)))
    ok = client.post("/invocations", content=body, headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.json() == {"predictions": [3]}
    too_big = client.post("/invocations", content=body + b" ", headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    assert f"larger than the limit of {len(body)} bytes" in too_big.json()["message"]
    assert "--max-body-size or MLTRAIL_SCORING_MAX_BODY_BYTES" in too_big.json()["message"]


def test_a_chunked_body_without_a_length_is_cut_at_the_limit():
    client = TestClient(build_app(_EchoModel(), max_body_size=1000))
    def chunks():
        for _ in range(100):
            yield b" " * 100

    r = client.post("/invocations", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "more than 1000 bytes" in r.json()["message"]


def test_the_limit_comes_from_the_environment_and_defaults_to_100_mb(monkeypatch):
    assert max_body_bytes() == DEFAULT_MAX_BODY_BYTES == 100 * 1024 * 1024
    monkeypatch.setenv("MLTRAIL_SCORING_MAX_BODY_BYTES", "20")
    client = TestClient(build_app(_EchoModel()))
    r = client.post("/invocations", content=_records(1), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "limit of 20 bytes" in r.json()["message"]
    assert max_body_bytes(5) == 5  # an explicit value wins
    for bad in ("0", "-3", "lots"):
        monkeypatch.setenv("MLTRAIL_SCORING_MAX_BODY_BYTES", bad)
        with pytest.raises(MltrailError, match=f"MLTRAIL_SCORING_MAX_BODY_BYTES.*{bad}.*is invalid"):
            build_app(_EchoModel())


def test_a_declared_huge_body_is_refused_without_being_sent():
    # Only the headers and 10 bytes are sent: a server reading the whole body would wait forever.
    with _serving(build_app(_EchoModel(), max_body_size=1_000_000)) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=_SAFETY) as conn:
            conn.sendall(
                b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 500000000\r\n\r\n{\"inputs\":"
            )
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"Request body of 500000000 bytes is larger than the limit of 1000000 bytes" in reply


# -- predictions off the event loop ----------------------------------------------
class _BlockingModel:
    """predict waits until the test releases it, recording when it finished."""

    def __init__(self, events: list[str]) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.events = events

    def predict(self, data: Any, params: Any = None) -> Any:
        self.started.set()
        self.release.wait(_SAFETY / 4)  # without the fix /ping is only answered after this returns
        self.events.append("predict finished")
        return np.asarray([len(data)])


def test_ping_answers_while_a_prediction_is_computing():
    import httpx

    events: list[str] = []
    model = _BlockingModel(events)
    with _serving(build_app(model)) as port:
        base = f"http://127.0.0.1:{port}"
        answers: list[Any] = []
        scoring = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{base}/invocations", content=_records(4),
                           headers={"Content-Type": "application/json"}, timeout=_SAFETY)
            )
        )
        scoring.start()
        assert model.started.wait(_SAFETY)
        ping = httpx.get(f"{base}/ping", timeout=_SAFETY)
        events.append(f"ping {ping.status_code}")
        model.release.set()
        scoring.join(_SAFETY)
    assert events == ["ping 200", "predict finished"]
    assert answers[0].status_code == 200 and answers[0].json() == {"predictions": [4]}


# -- deeply nested JSON -----------------------------------------------------------
@pytest.mark.parametrize("depth", [100_000, 3_000])
def test_deeply_nested_json_is_a_400(depth):
    client = TestClient(build_app(_EchoModel()))
    body = '{"inputs": ' + "[" * depth + "1" + "]" * depth + "}"
    r = client.post("/invocations", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "nested too deeply" in r.json()["message"]


def test_models_predict_reports_deep_json_as_a_clear_error(tmp_path, saved_model):
    from click.testing import CliRunner

    from mltrail.cli import main

    path = tmp_path / "deep.json"
    path.write_text('{"inputs": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = CliRunner().invoke(main, ["models", "predict", "-m", saved_model, "-i", str(path)])
    assert result.exit_code == 1 and "nested too deeply" in result.output


# -- dead workers are restarted ------------------------------------------------------
def _children(pid: int) -> set[int]:
    """Worker processes of the server ``pid`` (its multiprocessing children but the resource tracker)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            found.add(int(entry))
    return found


def _wait_for(condition, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert proc.poll() is None, f"the server exited while waiting for {what}: {proc.stdout.read().decode()}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def test_a_killed_worker_is_restarted_and_the_server_keeps_serving(tracking, pipeline, iris_like):
    import httpx

    X, _ = iris_like
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipeline, artifact_path="model", input_example=X[:2])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from mltrail.cli import main; main()", "models", "serve", "-m", info.model_uri,
         "--port", str(port), "--workers", "2", "--max-body-size", "100000"],
        env=dict(os.environ, MLTRAIL_TRACKING_URI=tracking),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    payload = {"dataframe_split": json.loads(X[:5].to_json(orient="split", index=False))}
    expected = {"predictions": pipeline.predict(X[:5]).tolist()}

    def answers_ok(n: int) -> bool:
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=_SAFETY) as http:
                return all(http.post("/invocations", json=payload).json() == expected for _ in range(n))
        except httpx.TransportError:
            return False

    try:
        _wait_for(lambda: len(_children(proc.pid)) == 2 and answers_ok(1), "two workers", proc)
        before = _children(proc.pid)
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        # The other worker keeps answering while the dead one is replaced.
        assert answers_ok(20)
        _wait_for(lambda: len(_children(proc.pid)) == 2 and victim not in _children(proc.pid),
                  "the worker to be replaced", proc)
        after = _children(proc.pid)
        assert len(after - before) == 1 and victim not in after
        assert answers_ok(20) and proc.poll() is None
        big = httpx.post(f"http://127.0.0.1:{port}/invocations", content=b" " * 100_001,
                         headers={"Content-Type": "application/json"}, timeout=_SAFETY)
        assert big.status_code == 413 and "limit of 100000 bytes" in big.json()["message"]
    finally:
        proc.terminate()
        output = proc.communicate(timeout=_SAFETY)[0].decode()
    assert f"scoring worker {victim} exited (exit code -9); restarting it" in output
    assert all(_gone(pid) for pid in after)  # no worker outlives the server


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_restart_backoff_doubles_up_to_a_cap():
    from mltrail.models.scoring_server import restart_delay

    assert [restart_delay(n) for n in range(0, 5)] == [0.0, 0.1, 0.2, 0.4, 0.8]
    assert restart_delay(10) == 30.0 and restart_delay(10_000) == 30.0
