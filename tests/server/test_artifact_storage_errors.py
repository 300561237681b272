"""Every artifact write route answers the same way when the destination refuses a write (507, not a
retryable 500) or the request is bad (MLflow's error body), single PUT and multipart alike."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mltrail.server import create_app

ART = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu"
#: /sys refuses new folders even to root (EPERM): a destination nobody can write to.
UNWRITABLE = "/sys/mltrail-unwritable"


@pytest.fixture
def client(tmp_path) -> TestClient:
    app = create_app(backend_store_uri=f"sqlite:///{tmp_path}/mltrail.db", artifacts_destination=UNWRITABLE,
                     access_log=False)
    return TestClient(app)


def test_a_destination_refusing_writes_is_a_507_on_every_write_route(client):
    put = client.put(f"{ART}/0/run/artifacts/model.pkl", content=b"weights")
    create = client.post(f"{MPU}/create/0/run/artifacts", json={"path": "big.bin", "num_parts": 2})
    for answer in (put, create):
        assert answer.status_code == 507
        assert answer.json() == {"error_code": "INSUFFICIENT_STORAGE",
                                 "message": "The server could not store the artifact: Operation not permitted"}


def test_bad_requests_get_mlflows_error_body_on_the_same_routes(client):
    escape = client.put(f"{ART}/0/run/artifacts/..%2F..%2Fsecret.txt", content=b"x")
    assert escape.status_code == 400 and escape.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'0/run/artifacts/..%2F..%2Fsecret.txt'" in escape.json()["message"]
    missing = client.get(f"{ART}/0/run/artifacts/missing.txt")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    abort = client.post(f"{MPU}/abort/0/run/artifacts", json={"path": "big.bin"})
    assert abort.status_code == 400 and abort.json()["error_code"] == "INVALID_PARAMETER_VALUE"
