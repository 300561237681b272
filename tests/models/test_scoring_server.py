"""The scoring server: /invocations in every input format, /ping, /health, 400s with messages."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import warnings

import numpy as np
import pytest

with warnings.catch_warnings():  # starlette warns that its TestClient will move to httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import mltrail
from mltrail.models.scoring_server import build_app


@pytest.fixture
def client(saved_model):
    return TestClient(build_app(mltrail.pyfunc.load_model(saved_model)))


def _post(client, payload, content_type="application/json"):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post("/invocations", content=body, headers={"Content-Type": content_type})


def test_ping_and_health(client):
    assert client.get("/ping").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/version").text == mltrail.__version__


def test_every_json_format_and_csv_give_the_same_predictions(client, pipeline, iris_like):
    X, _ = iris_like
    rows = X[:10]
    expected = pipeline.predict(rows).tolist()
    split = json.loads(rows.to_json(orient="split", index=False))
    payloads = [
        {"dataframe_split": split},
        {"dataframe_records": rows.to_dict(orient="records")},
        {"instances": rows.to_dict(orient="records")},
        {"instances": rows.to_numpy().tolist()},
        {"inputs": rows.to_numpy().tolist()},
        {"inputs": {c: rows[c].tolist() for c in rows.columns}},
    ]
    for payload in payloads:
        r = _post(client, payload)
        assert r.status_code == 200, (payload, r.text)
        assert r.json() == {"predictions": expected}
    r = _post(client, rows.to_csv(index=False), "text/csv")
    assert r.status_code == 200 and r.json() == {"predictions": expected}


def test_integer_cells_are_accepted_for_double_columns(client, pipeline):
    cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    r = _post(client, {"dataframe_split": {"columns": cols, "data": [[1, 0, 2, 1]]}})
    assert r.status_code == 200
    import pandas as pd

    assert r.json()["predictions"] == pipeline.predict(pd.DataFrame([[1.0, 0.0, 2.0, 1.0]], columns=cols)).tolist()


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        ("{not json", "application/json", "Invalid JSON input"),
        ('{"rows": [[1, 2]]}', "application/json", "exactly one of the keys"),
        ('[1, 2, 3]', "application/json", "must be an object"),
        ('{"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}', "application/json", "row 0 has 1 values, expected 2"),
        ('{"dataframe_records": [{"sepal_length": 1.0}]}', "application/json", "missing columns ['sepal_width', 'petal_length', 'petal_width']"),
        (
            '{"dataframe_records": [{"sepal_length": "long", "sepal_width": 1.0, "petal_length": 1.0, "petal_width": 1.0}]}',
            "application/json",
            "column 'sepal_length' has str values such as 'long', the signature expects double",
        ),
        ('{"inputs": [[1, 2]]}', "application/json", "has 2 columns but the signature expects 4"),
        ("", "text/csv", "CSV body is empty"),
    ],
)
def test_bad_payloads_get_400_with_a_message(client, body, content_type, message):
    r = _post(client, body, content_type)
    assert r.status_code == 400
    assert message in r.json()["message"]


def test_unsupported_content_type_is_415(client):
    r = _post(client, "a,b\n1,2", "application/xml")
    assert r.status_code == 415
    assert "application/json or text/csv" in r.json()["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_models_serve_command_with_two_workers(tracking, pipeline, iris_like):
    import httpx

    X, _ = iris_like
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipeline, artifact_path="model", input_example=X[:2])
    port = _free_port()
    env = dict(os.environ, MLTRAIL_TRACKING_URI=tracking)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from mltrail.cli import main; main()", "models", "serve", "-m", info.model_uri, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            payload = {"dataframe_split": json.loads(X[:10].to_json(orient="split", index=False))}
            answers = [http.post("/invocations", json=payload).json() for _ in range(20)]
            assert all(a == {"predictions": pipeline.predict(X[:10]).tolist()} for a in answers)
            bad = http.post("/invocations", json={"nope": 1})
            assert bad.status_code == 400 and "exactly one of the keys" in bad.json()["message"]
    finally:
        proc.terminate()
        proc.wait(30)  # raises TimeoutExpired if the server ignores SIGTERM
    # a clean shutdown: exit status 0 or killed by the SIGTERM itself, never a crash's status 1
    assert proc.returncode in (0, -signal.SIGTERM), proc.stdout.read().decode()[-2000:]


def test_predictions_with_nan_are_valid_json(tmp_path):
    from sklearn.impute import SimpleImputer
    import pandas as pd

    X = pd.DataFrame({"a": [1.0, np.nan, 3.0]})
    model = SimpleImputer(strategy="mean").fit(X)
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(model, path, pyfunc_predict_fn="transform")
    client = TestClient(build_app(mltrail.pyfunc.load_model(path)))
    r = _post(client, '{"dataframe_split": {"columns": ["a"], "data": [[null], [5.0]]}}')
    assert r.status_code == 200
    assert r.json() == {"predictions": [[2.0], [5.0]]}


def test_column_order_in_dataframe_split_does_not_matter(client, pipeline, iris_like):
    X, _ = iris_like
    rows = X[:10]
    shuffled = rows[["petal_width", "sepal_length", "petal_length", "sepal_width"]]
    r = _post(client, {"dataframe_split": json.loads(shuffled.to_json(orient="split", index=False))})
    assert r.status_code == 200
    assert r.json() == {"predictions": pipeline.predict(rows).tolist()}


_SERVE_AND_REPORT = """
import json, logging, os, signal, sys, threading, time
import httpx
from mltrail.models.scoring_server import serve


class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append([record.name, record.levelname, record.getMessage()])


def changed(before):
    return sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))


def main(model_uri, port):
    before, seen, keep = dict(os.environ), {}, Keep()
    logging.getLogger("mltrail").addHandler(keep)
    logging.getLogger("mltrail").setLevel(logging.INFO)

    def probe_then_stop():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                    seen["pinged"] = True
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        seen["environment during"] = changed(before)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=probe_then_stop, daemon=True).start()
    serve(model_uri, port=port, workers=2)
    seen["environment after"] = changed(before)
    seen["records"] = keep.records
    print(json.dumps(seen))


if __name__ == "__main__":  # workers are spawned: they import this file without running main()
    main(sys.argv[1], int(sys.argv[2]))
"""


def test_serve_keeps_the_process_environment_and_logs_instead_of_printing(tracking, pipeline, iris_like, tmp_path):
    """``serve()`` is a library call: the caller's os.environ is not written, nothing goes to stdout."""
    X, _ = iris_like
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipeline, artifact_path="model", input_example=X[:2])
    script = tmp_path / "serve_and_report.py"
    script.write_text(_SERVE_AND_REPORT)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "MLTRAIL_SERVE_MODEL_PATH")}
    env["MLTRAIL_TRACKING_URI"] = tracking
    port = _free_port()
    done = subprocess.run([sys.executable, str(script), info.model_uri, str(port)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # stdout holds the report only: serve() printed nothing
    assert report["pinged"] is True
    assert report["environment during"] == [] and report["environment after"] == []
    assert ["mltrail.models.scoring_server", "INFO",
            f"serving {info.model_uri} on http://127.0.0.1:{port} (2 worker(s))"] in report["records"]
