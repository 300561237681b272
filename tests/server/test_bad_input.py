"""Bad requests get 4xx with MLflow's error_code and a message naming the field; never a 500."""

from __future__ import annotations

import socket

import httpx
import pytest

API = "/api/2.0/mlflow/"


@pytest.fixture(scope="module")
def http(live_server: str) -> httpx.Client:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def run_id(http) -> str:
    return http.post(API + "runs/create", json={"experiment_id": "0", "start_time": 1}).json()["run"]["info"]["run_id"]


@pytest.mark.parametrize(
    "body, code, words",
    [
        (b"{not json", "MALFORMED_REQUEST", "Malformed JSON"),
        (b"[1, 2]", "MALFORMED_REQUEST", "JSON object"),
        (b'{"key": "m", "value": 1, "timestamp": 1}', "INVALID_PARAMETER_VALUE", "'run_id'"),
        (b'{"run_id": "R", "key": "m", "value": "high", "timestamp": 1}', "INVALID_PARAMETER_VALUE", "'value'"),
        (b'{"run_id": "R", "key": "m", "value": 1, "timestamp": "noon"}', "INVALID_PARAMETER_VALUE", "'timestamp'"),
        (b'{"run_id": "R", "key": "m", "value": true, "timestamp": 1}', "INVALID_PARAMETER_VALUE", "'value'"),
    ],
)
def test_malformed_or_mistyped_log_metric_is_a_400_naming_the_problem(http, body, code, words):
    run_id = http.post(API + "runs/create", json={"experiment_id": "0", "start_time": 1}).json()["run"]["info"]["run_id"]
    response = http.post(API + "runs/log-metric", content=body.replace(b'"R"', f'"{run_id}"'.encode()))
    assert response.status_code == 400
    assert response.json()["error_code"] == code and words in response.json()["message"]
    assert http.get(API + "metrics/get-history", params={"run_id": run_id, "metric_key": "m"}).json()["metrics"] == []


def test_unknown_fields_are_ignored_and_int64_strings_accepted(http, run_id):
    body = {"run_id": run_id, "key": "ok", "value": 2.5, "timestamp": "17", "step": "3", "shiny_new_field": [1]}
    assert http.post(API + "runs/log-metric", json=body).json() == {}
    history = http.get(API + "metrics/get-history", params={"run_id": run_id, "metric_key": "ok"}).json()["metrics"]
    assert history == [{"key": "ok", "value": 2.5, "timestamp": 17, "step": 3}]


def test_unknown_endpoint_and_wrong_method(http):
    missing = http.get(API + "runs/teleport")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    wrong = http.get(API + "runs/log-metric")
    assert wrong.status_code == 405 and wrong.json()["error_code"] == "BAD_REQUEST"
    assert "POST" in wrong.json()["message"]


def test_unknown_objects_are_404_resource_does_not_exist(http):
    for path, params in [("runs/get", {"run_id": "f" * 32}), ("experiments/get", {"experiment_id": "987654"}),
                         ("registered-models/get", {"name": "nobody"})]:
        response = http.get(API + path, params=params)
        assert (response.status_code, response.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_a_write_to_a_deleted_run_is_a_400_invalid_state_not_a_retryable_500(http):
    """MLflow's table (``ERROR_CODE_TO_HTTP_STATUS``) says 500 for INVALID_STATE; the server answers 400."""
    from mltrail.exceptions import ERROR_CODE_TO_HTTP_STATUS, InvalidStateError

    assert ERROR_CODE_TO_HTTP_STATUS["INVALID_STATE"] == InvalidStateError("x").get_http_status_code() == 500
    run_id = http.post(API + "runs/create", json={"experiment_id": "0", "start_time": 1}).json()["run"]["info"]["run_id"]
    assert http.post(API + "runs/delete", json={"run_id": run_id}).status_code == 200
    response = http.post(API + "runs/log-metric", json={"run_id": run_id, "key": "m", "value": 1, "timestamp": 1})
    assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_STATE")
    assert "is deleted" in response.json()["message"]
    name = f"twice-{run_id}"
    assert http.post(API + "experiments/create", json={"name": name}).status_code == 200
    again = http.post(API + "experiments/create", json={"name": name})
    assert (again.status_code, again.json()["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")


def test_log_batch_limits_are_mlflows(http, run_id):
    metrics = [{"key": "m", "value": 1.0, "timestamp": i, "step": i} for i in range(1001)]
    response = http.post(API + "runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    assert response.status_code == 400 and "at most 1000 metrics" in response.json()["message"]
    params = [{"key": f"p{i}", "value": "1"} for i in range(101)]
    response = http.post(API + "runs/log-batch", json={"run_id": run_id, "params": params})
    assert response.status_code == 400 and "101 params" in response.json()["message"]
    assert http.get(API + "runs/get", params={"run_id": run_id}).json()["run"]["data"].get("params", []) == []
    ok = http.post(API + "runs/log-batch", json={"run_id": run_id, "metrics": metrics[:1000]})
    assert ok.status_code == 200


def test_request_body_over_the_limit_is_413(http, run_id):
    big = {"run_id": run_id, "key": "k", "value": "x" * (2 * 1024 * 1024)}  # the server runs with --max-request-mb 1
    response = http.post(API + "runs/set-tag", json=big)
    assert (response.status_code, response.json()["error_code"]) == (413, "REQUEST_LIMIT_EXCEEDED")


def _raw_get(base: str, target: str) -> tuple[int, bytes]:
    """A GET sent byte for byte (httpx would normalise away the ``..``)."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", ["../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "0/%2E%2E/%2E%2E/x",
                                  "0/..%2f..%2fx", "%252e%252e/x", "/etc/passwd", "%2Fetc%2Fpasswd"])
def test_artifact_paths_escaping_the_destination_are_400(live_server, http, path):
    status, body = _raw_get(live_server, "/api/2.0/mlflow-artifacts/artifacts/" + path)
    assert status == 400, body
    assert b"INVALID_PARAMETER_VALUE" in body
    put = http.put("/api/2.0/mlflow-artifacts/artifacts", params={"path": "../x"})
    assert put.status_code in (404, 405)
    listing = http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": "../.."})
    assert listing.status_code == 400
