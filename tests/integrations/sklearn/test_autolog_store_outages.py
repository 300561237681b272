"""Faults during autologging (issue 13 item 5): a server stopped, restarted, refusing, stalled or
losing answers; a full disk; a read-only artifact root. Training is unaffected and warned once;
writes the store did not take are kept in memory, retried, and delivered once (or dropped
with one warning counting them).

Real parts only: an ``mltrail server`` (uvicorn, stopped and started again on its port), a
real TCP proxy between client and server, a small tmpfs that fills up, a read-only mount.
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from sklearn.linear_model import Ridge

import mltrail
from benchmarks.reliability.filesystems import fill, mount_error, read_only_dir, small_tmpfs
from benchmarks.reliability.tcp_proxy import TcpProxy
from mltrail.autologging._retry_buffer import retry_buffer
from tests.conftest import serve_app

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(scale=0.1, size=60)
#: what each fit gives without autologging (computed before any test enables it)
PLAIN = {rows: Ridge(alpha=0.5).fit(X[:rows], Y[:rows]).coef_ for rows in range(20, 61, 5)}


class Server:
    """An ``mltrail server`` app over one database that can be stopped and started on its port."""

    def __init__(self, backend_uri: str, artifacts: str) -> None:
        self.backend_uri, self.artifacts, self.port = backend_uri, artifacts, 0
        self.started: list = []
        self.start()

    def start(self) -> None:
        from mltrail.server import create_app

        app = create_app(backend_store_uri=self.backend_uri, artifacts_destination=self.artifacts, access_log=False)
        url = serve_app(app, self.started, port=self.port)
        self.port = int(url.rsplit(":", 1)[1])
        self.url = url

    def stop(self) -> None:
        while self.started:
            server, thread, sock = self.started.pop()
            server.should_exit = True
            thread.join(10)
            sock.close()


@pytest.fixture
def server(sqlite_uri, tmp_path, monkeypatch):
    for name in ("BACKOFF_FACTOR", "BACKOFF_JITTER"):
        monkeypatch.setenv(f"MLTRAIL_HTTP_REQUEST_{name}", "0.05")
    s = Server(sqlite_uri, str(tmp_path / "artifacts"))
    yield s
    s.stop()


@pytest.fixture
def proxy(server):
    with TcpProxy(("127.0.0.1", server.port)) as p:
        yield p


def fit(rows: int) -> float:
    """An autologged fit on the first ``rows`` rows; checks that it returned the very model, trained as
    without autologging; returns its training score (the metric ``training_score`` it logs)."""
    model = Ridge(alpha=0.5)
    assert model.fit(X[:rows], Y[:rows]) is model
    np.testing.assert_array_equal(model.coef_, PLAIN[rows])
    return float(model.score(X[:rows], Y[:rows]))


def autolog(**config) -> None:
    mltrail.sklearn.autolog(log_post_training_metrics=False, log_models=False, **config)


def history(client: mltrail.MlflowClient, run_id: str, key: str = "training_score") -> list[float]:
    return sorted(m.value for m in client.get_metric_history(run_id, key))


def test_server_restart_during_a_run_loses_nothing(autolog_store, autolog_warnings, server):
    mltrail.set_tracking_uri(server.url)
    autolog()
    client = mltrail.MlflowClient(server.url)
    with mltrail.start_run() as run:
        expected = [fit(n) for n in (20, 25)]
        server.stop()
        expected += [fit(n) for n in (30, 35, 40)]  # buffered
        assert retry_buffer().pending() == 3
        server.start()
        assert retry_buffer().wait(30)
    assert history(client, run.info.run_id) == pytest.approx(sorted(expected))
    (warning,) = autolog_warnings()
    assert "could not write params, metrics and tags: StoreUnavailableError" in warning
    assert "retried for up to 300 s" in warning and "unaffected" in warning


def test_fits_while_the_server_is_down_run_unlogged_without_waiting_on_it(autolog_store, autolog_warnings, proxy):
    mltrail.set_tracking_uri(proxy.url)
    autolog()
    client = mltrail.MlflowClient(proxy.url)
    fit(20)  # the server is up: a run
    proxy.mode = "refuse"
    for rows in (25, 30, 35, 40):
        fit(rows)
    # the first failed fit tried three times (two quick retries); the others did not try at all
    assert proxy.accepted["refuse"] == 3
    proxy.mode = "forward"
    (warning,) = autolog_warnings()
    assert "could not start or find a run" in warning and "Until the tracking store answers again" in warning
    runs = client.search_runs(["0"])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"


def test_retries_after_lost_answers_write_nothing_twice(autolog_store, autolog_warnings, proxy):
    mltrail.set_tracking_uri(proxy.url)
    autolog()
    client = mltrail.MlflowClient(proxy.url)
    with mltrail.start_run() as run:
        proxy.mode = "lose_answers"  # every request arrives; no answer comes back
        score = fit(30)
        assert proxy.accepted["lose_answers"] >= 3 and retry_buffer().pending() == 1
        proxy.mode = "forward"
        assert retry_buffer().wait(30)
    # sent at least four times, stored once
    assert history(client, run.info.run_id) == pytest.approx([score])
    data = client.get_run(run.info.run_id).data
    assert data.params["alpha"] == "0.5"
    assert len(autolog_warnings()) == 1


def test_a_stalled_server_costs_the_bound_once(autolog_store, autolog_warnings, proxy, monkeypatch):
    monkeypatch.setenv("MLTRAIL_AUTOLOG_WRITE_TIMEOUT", "1")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", "2")
    mltrail.set_tracking_uri(proxy.url)
    autolog()
    with mltrail.start_run() as run:
        proxy.mode = "stall"
        scores = [fit(n) for n in (20, 25, 30)]
        # the first write stalled; the next two queued behind it without a request of their own
        # (a second connection, if any, is the background retry's)
        assert retry_buffer().pending() == 3 and proxy.accepted["stall"] in (1, 2)
        proxy.mode = "forward"
        assert retry_buffer().wait(30)
    assert history(mltrail.MlflowClient(proxy.url), run.info.run_id) == pytest.approx(sorted(scores))
    (warning,) = autolog_warnings()
    assert "StoreStalled" in warning


def test_writes_past_the_time_bound_are_dropped_with_one_warning_counting_them(
    autolog_store, autolog_warnings, server, monkeypatch
):
    mltrail.set_tracking_uri(server.url)
    autolog()
    client = mltrail.MlflowClient(server.url)
    with mltrail.start_run() as run:
        fit(20)
        per_fit = len(client.get_run(run.info.run_id).data.metrics)
        params = len(client.get_run(run.info.run_id).data.params)
        monkeypatch.setenv("MLTRAIL_AUTOLOG_BUFFER_SECONDS", "0.5")
        server.stop()
        for rows in (25, 30, 35):
            fit(rows)
        assert retry_buffer().wait(30)  # dropped
        server.start()
    first, dropped = autolog_warnings()
    assert "retried for up to 0.5 s" in first
    assert f"dropped {3 * per_fit} metrics, {3 * params} params and " in dropped and "(3 writes to 1 runs)" in dropped
    assert len(history(client, run.info.run_id)) == 1


def test_the_size_bound_drops_the_oldest_writes(autolog_store, autolog_warnings, server, monkeypatch):
    mltrail.set_tracking_uri(server.url)
    autolog()
    client = mltrail.MlflowClient(server.url)
    with mltrail.start_run() as run:
        first = fit(20)
        data = client.get_run(run.info.run_id).data
        per_fit = len(data.metrics) + len(data.params)
        monkeypatch.setenv("MLTRAIL_AUTOLOG_BUFFER_SIZE", str(2 * per_fit))
        server.stop()
        scores = [fit(n) for n in (25, 30, 35, 40)]
        assert retry_buffer().pending() == 2
        server.start()
        assert retry_buffer().wait(30)
    # the two newest fits arrived; the two oldest were dropped, and said so once
    assert history(client, run.info.run_id) == pytest.approx(sorted([first, *scores[2:]]))
    dropped = autolog_warnings()[-1]
    assert f"dropped {2 * len(data.metrics)} metrics, {2 * len(data.params)} params" in dropped


@pytest.mark.skipif(mount_error() is not None, reason=f"no tmpfs to fill: {mount_error()}")
def test_a_full_disk_under_the_database(autolog_warnings, monkeypatch):
    with small_tmpfs(8 * 2**20) as disk:
        mltrail.set_tracking_uri(f"sqlite:///{disk}/mltrail.db")
        monkeypatch.setenv("MLTRAIL_ARTIFACT_ROOT", str(disk / "artifacts"))
        autolog()
        try:
            with mltrail.start_run() as run:
                fit(20)
                filler = fill(disk)
                scores = [fit(n) for n in (25, 30, 35)]  # "database or disk is full"
                assert retry_buffer().pending() == 3
                filler.unlink()  # space again: the held writes go in
                assert retry_buffer().wait(30)
            assert len(history(mltrail.MlflowClient(), run.info.run_id)) == 4
            assert sorted(scores) == pytest.approx(history(mltrail.MlflowClient(), run.info.run_id)[1:])
            (warning,) = autolog_warnings()
            assert "full" in warning
        finally:
            mltrail.autolog(disable=True)
            mltrail.store._clear_store_cache()


def test_a_read_only_artifact_root_behind_the_server(sqlite_uri, autolog_store, autolog_warnings):
    started: list = []
    with read_only_dir() as folder:
        from mltrail.server import create_app

        url = serve_app(create_app(backend_store_uri=sqlite_uri, artifacts_destination=str(folder),
                                   access_log=False), started)
        try:
            mltrail.set_tracking_uri(url)
            mltrail.sklearn.autolog(log_post_training_metrics=False, log_models=True)
            fit(30)
            mltrail.flush_artifacts()
            (run,) = mltrail.MlflowClient(url).search_runs(["0"])
            assert run.info.status == "FINISHED" and "training_score" in run.data.metrics
            messages = autolog_warnings()
            assert any("could not log the model" in m for m in messages)
            # the server says it cannot store (507, not a 500 every client would retry)
            answer = httpx.put(f"{url}/api/2.0/mlflow-artifacts/artifacts/0/x.txt", content=b"x")
            assert (answer.status_code, answer.json()["error_code"]) == (507, "INSUFFICIENT_STORAGE")
            assert all("unaffected" in m for m in messages)
        finally:
            mltrail.autolog(disable=True)
            for server, thread, sock in started:
                server.should_exit = True
                thread.join(10)
                sock.close()


def test_a_run_end_sent_again_after_lost_answers_is_stored_once(autolog_store, proxy):
    """What the buffer re-sends for a run autologging started: ``finish_run`` with its last batch and
    dataset input; every attempt arrived, none was answered, then one was."""
    from mltrail.entities import DatasetInput, InputTag, Metric, Param
    from mltrail.exceptions import StoreUnavailableError

    client = mltrail.MlflowClient(proxy.url)
    run_id = client.create_run("0").info.run_id
    dataset = mltrail.data.from_numpy(X, targets=Y, name="train")
    batch = {"metrics": [Metric("loss", 0.25, 1700000000000, 0)], "params": [Param("alpha", "0.5")],
             "datasets": [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])]}
    proxy.mode = "lose_answers"
    with pytest.raises(StoreUnavailableError):
        client.finish_run(run_id, "FINISHED", end_time=1700000001000, **batch)
    assert proxy.accepted["lose_answers"] >= 2
    proxy.mode = "forward"
    client.finish_run(run_id, "FINISHED", end_time=1700000001000, **batch)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.params == {"alpha": "0.5"}
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.25]
    assert len(run.inputs.dataset_inputs) == 1
