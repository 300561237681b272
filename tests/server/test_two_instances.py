"""A stateless server: two ``mltrail server`` processes (one with 2 workers) over one PostgreSQL
database give the same answers; a test writes through both and reads through each."""

from __future__ import annotations

import signal
import threading

import httpx
import pytest

from benchmarks.reliability.concurrency import log_tiny_model
from benchmarks.reliability.crash import LoggingChild, wait_for_status
from benchmarks.reliability.databases import served
import mltrail
from mltrail import MlflowClient
from mltrail.entities import Metric, Param, ViewType
from mltrail.store.rest.wire import REQUEST_ID_TAG


def _answers(client: MlflowClient, experiment_id: str) -> dict:
    """What a reader sees: runs with their data, metric histories, model versions."""
    runs = client.search_runs([experiment_id], run_view_type=ViewType.ALL, order_by=["attributes.run_name ASC"])
    return {
        "runs": [(r.info.run_id, r.info.run_name, r.info.status, r.data.params, r.data.metrics, r.data.tags)
                 for r in runs],
        "history": {r.info.run_id: [(m.step, m.value) for m in client.get_metric_history(r.info.run_id, "loss")]
                    for r in runs},
        "versions": sorted((v.version, v.source, v.status) for v in client.search_model_versions("name = 'shared'")),
        "experiment": client.get_experiment_by_name("two-servers").experiment_id,
    }


@pytest.mark.timeout(600)
def test_two_servers_over_one_database_give_the_same_answers(postgres_uri, tmp_path):
    shared = str(tmp_path / "artifacts")  # instances behind one load balancer share the artifact store too
    with served(postgres_uri, workers=2, artifacts=shared) as first, served(postgres_uri, artifacts=shared) as second:
        a = MlflowClient(tracking_uri=first, registry_uri=first)
        b = MlflowClient(tracking_uri=second, registry_uri=second)
        experiment_id = a.create_experiment("two-servers")
        runs = []
        for i, (writer, other) in enumerate([(a, b), (b, a), (a, b), (b, a)]):
            run_id = writer.create_run(experiment_id, run_name=f"run-{i}").info.run_id
            other.log_batch(run_id, params=[Param("i", str(i))])  # each run is written through both servers
            for step in range(20):
                (writer if step % 2 else other).log_metric(run_id, "loss", 1.0 / (step + 1 + i), step=step)
            other.set_tag(run_id, "via", "both")
            writer.set_terminated(run_id)
            runs.append(run_id)
        source = log_tiny_model(first)
        a.create_registered_model("shared")
        for i in range(4):
            (a if i % 2 else b).create_model_version("shared", source)
        seen_a, seen_b = _answers(a, experiment_id), _answers(b, experiment_id)
        assert seen_a == seen_b
        assert [name for _, name, *_ in seen_a["runs"]] == ["run-0", "run-1", "run-2", "run-3"]
        assert all(len(history) == 20 for history in seen_a["history"].values())
        assert [v for v, *_ in seen_a["versions"]] == [1, 2, 3, 4]
        for uri, version in ((first, 2), (second, 3)):  # files one server registered, loaded through the other
            mltrail.set_tracking_uri(uri)
            mltrail.set_registry_uri(uri)
            assert mltrail.pyfunc.load_model(f"models:/shared/{version}").predict([1.0, 2.5]) == [2.0, 5.0]

        # one create sent to both servers at once (a retry that overtook its first attempt): one run
        body = {"experiment_id": experiment_id, "start_time": 1700000000000, "run_name": "once",
                "tags": [{"key": REQUEST_ID_TAG, "value": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}]}
        answers: list = []

        def create(uri: str) -> None:
            answers.append(httpx.post(f"{uri}/api/2.0/mlflow/runs/create", json=body, timeout=60).json())

        threads = [threading.Thread(target=create, args=(uri,)) for uri in (first, second, first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({answer["run"]["info"]["run_id"] for answer in answers}) == 1
        assert len(a.search_runs([experiment_id], "attributes.run_name = 'once'")) == 1

        # a process logging through one server and killed: the other server reports it KILLED
        child = LoggingChild(first, 1_000_000)
        try:
            child.wait_for_acks(10)
            child.signal(signal.SIGKILL)
        finally:
            child.close()
        assert wait_for_status(b, child.run_id, "KILLED", 60)[0] == "KILLED"
        assert a.get_run(child.run_id).info.status == "KILLED"


def test_metric_writes_of_one_run_through_both_servers_keep_the_latest_value(postgres_uri):
    with served(postgres_uri) as first, served(postgres_uri) as second:
        a, b = MlflowClient(tracking_uri=first), MlflowClient(tracking_uri=second)
        run_id = a.create_run("0").info.run_id
        b.log_batch(run_id, metrics=[Metric("loss", 0.5, 2, 5)])
        a.log_batch(run_id, metrics=[Metric("loss", 0.9, 1, 1)])  # older step: not the latest
        assert a.get_run(run_id).data.metrics == b.get_run(run_id).data.metrics == {"loss": 0.5}
