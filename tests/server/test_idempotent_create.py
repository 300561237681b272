"""A retried ``runs/create`` (the answer lost on the way back) must not make a second run when the
client sent a request token, as mltrail's ``store.rest`` does on every create."""

from __future__ import annotations

import httpx

import mltrail
from mltrail.entities import ViewType
from mltrail.store.rest.wire import REQUEST_ID_TAG

CREATE = "/api/2.0/mlflow/runs/create"


def _runs(uri: str, experiment_id: str = "0") -> list:
    return list(mltrail.MlflowClient(uri).search_runs([experiment_id], run_view_type=ViewType.ALL))


def _body(token: str, experiment_id: str = "0") -> dict:
    return {"experiment_id": experiment_id, "start_time": 1700000000000, "run_name": "r",
            "tags": [{"key": "team", "value": "a"}, {"key": REQUEST_ID_TAG, "value": token}]}


def test_the_same_create_sent_twice_makes_one_run(recorded_server) -> None:
    uri, _ = recorded_server()
    first = httpx.post(uri + CREATE, json=_body("5f1c0c8e2b7a4d0f9e3a1b2c3d4e5f60"))
    again = httpx.post(uri + CREATE, json=_body("5f1c0c8e2b7a4d0f9e3a1b2c3d4e5f60"))
    assert first.status_code == again.status_code == 200
    assert again.json()["run"]["info"]["run_id"] == first.json()["run"]["info"]["run_id"]
    assert len(_runs(uri)) == 1
    # the token is the server's business: never sent back
    assert [t["key"] for t in first.json()["run"]["data"]["tags"]].count(REQUEST_ID_TAG) == 0
    assert REQUEST_ID_TAG not in _runs(uri)[0].data.tags


def test_creates_without_a_token_or_with_other_tokens_make_runs(recorded_server) -> None:
    uri, _ = recorded_server()
    plain = {"experiment_id": "0", "start_time": 1700000000000, "tags": [{"key": "team", "value": "a"}]}
    ids = {httpx.post(uri + CREATE, json=plain).json()["run"]["info"]["run_id"] for _ in range(2)}
    ids |= {httpx.post(uri + CREATE, json=_body(token)).json()["run"]["info"]["run_id"]
            for token in ("aaaaaaaa1111", "aaaaaaaa2222")}
    assert len(ids) == 4 and len(_runs(uri)) == 4


def test_a_token_counts_within_its_experiment(recorded_server) -> None:
    uri, _ = recorded_server()
    other = mltrail.MlflowClient(uri).create_experiment("other")
    a = httpx.post(uri + CREATE, json=_body("bbbbbbbb1111")).json()["run"]["info"]["run_id"]
    b = httpx.post(uri + CREATE, json=_body("bbbbbbbb1111", other)).json()["run"]["info"]["run_id"]
    assert a != b and len(_runs(uri)) == 1 and len(_runs(uri, other)) == 1


class LoseFirstAnswer:
    """ASGI middleware: the first request to ``path`` is handled, but its answer never reaches the
    client (the server errs afterwards: uvicorn answers 500, which clients retry)."""

    def __init__(self, app, path: str) -> None:
        self.app, self.path, self.lost = app, path, False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path and not self.lost:
            self.lost = True

            async def nowhere(message) -> None:
                pass

            await self.app(scope, receive, nowhere)
            raise ConnectionResetError("the answer was lost")
        await self.app(scope, receive, send)


def test_store_rest_retry_after_a_lost_answer_makes_one_run(recorded_server, monkeypatch) -> None:
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_BACKOFF_JITTER", "0")
    uri, recorder = recorded_server(wrap=lambda app: LoseFirstAnswer(app, CREATE))
    client = mltrail.MlflowClient(uri)
    recorder.requests.clear()
    run = client.create_run("0", tags={"team": "a"}, run_name="once")
    assert recorder.api_calls() == ["POST runs/create", "POST runs/create"]  # the retry happened
    runs = _runs(uri)
    assert [r.info.run_id for r in runs] == [run.info.run_id]
    assert runs[0].data.tags["team"] == "a" and runs[0].info.run_name == "once"
