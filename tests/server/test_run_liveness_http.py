"""Crashed runs over HTTP: a client process SIGKILLed mid-run leaves a run that reads KILLED through
the server (mltrail's client, the stock mlflow client and the web UI), while the stock client's own
runs (which send no heartbeat) stay RUNNING."""

from __future__ import annotations

import signal

import httpx
import pytest

from benchmarks.reliability.crash import LoggingChild, wait_for_status
from mltrail import MlflowClient

mlflow = pytest.importorskip("mlflow")

PATIENCE_S = 60


@pytest.mark.parametrize("backend", ["sqlite_uri", "postgres_uri"])
def test_a_killed_client_process_reads_killed_through_the_server(request, serve_http, backend):
    uri = serve_http(request.getfixturevalue(backend))
    stock = mlflow.tracking.MlflowClient(uri)
    stock_run = stock.create_run("0").info.run_id  # no heartbeat: never presumed dead
    child = LoggingChild(uri, 1_000_000)
    try:
        acked = child.wait_for_acks(30)
        child.signal(signal.SIGKILL)
    finally:
        child.close()
    client = MlflowClient(tracking_uri=uri)
    assert wait_for_status(client, child.run_id, "KILLED", PATIENCE_S)[0] == "KILLED"
    assert stock.get_run(child.run_id).info.status == "KILLED"
    assert stock.get_run(stock_run).info.status == "RUNNING"
    steps = [m.step for m in client.get_metric_history(child.run_id, "loss")]
    assert steps[:acked] == list(range(acked))
    page = httpx.get(f"{uri}/runs/{child.run_id}")
    assert page.status_code == 200 and 'class="status status-killed">KILLED<' in page.text
    table = httpx.get(f"{uri}/ajax-api/ui/runs", params={"experiments": "0"})
    assert table.status_code == 200, table.text
    statuses = {row["run_id"]: row["status"] for row in table.json()["rows"]}
    assert statuses == {child.run_id: "KILLED", stock_run: "RUNNING"}


def test_heartbeat_routes_are_extensions_that_stock_servers_lack(http_uri):
    body = {"owner_id": "0" * 32, "timeout_ms": 30000}
    assert httpx.post(f"{http_uri}/api/2.0/mlflow/runs/heartbeat-owner", json=body).status_code == 200
    bad = httpx.post(f"{http_uri}/api/2.0/mlflow/runs/heartbeat-owner", json={"owner_id": "x", "timeout_ms": 1})
    assert bad.status_code == 400 and "owner id" in bad.json()["message"]
    assert httpx.post(f"{http_uri}/api/2.0/mlflow/runs/release-owner", json={"owner_id": "0" * 32}).status_code == 200
