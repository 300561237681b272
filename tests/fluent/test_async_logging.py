"""Asynchronous logging (issue 10, item 6): ``synchronous=False`` queues, a thread writes in batches.

Transactions are counted as tests/autologging/test_transactions.py counts
them: the real store's transaction openers are wrapped and each use is
recorded. The worker is held at its first write by a gate around the real
``log_batch`` while the test queues every call, so the count does not
depend on timing: queued calls are written in as few transactions as the
batch limits allow.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Iterator

import pytest

import mltrail
from mltrail.client import RunOperations
from mltrail.client.async_logging import MAX_METRICS_PER_BATCH
from mltrail.exceptions import MltrailError

from .conftest import reset_fluent_state


@pytest.fixture
def fluent_store(store_uri: str) -> Iterator[str]:
    reset_fluent_state()
    mltrail.set_tracking_uri(store_uri)
    yield store_uri
    reset_fluent_state()


class _Transactions:
    """Counts the store's write transactions (both openers), running the real ones."""

    def __init__(self, store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for opener in ("_raw_write", "_write"):
            monkeypatch.setattr(store, opener, self._counting(getattr(store, opener)))

    def _counting(self, opener):
        @contextlib.contextmanager
        def counted(*args, **kwargs):
            self.count += 1
            with opener(*args, **kwargs) as handle:
                yield handle

        return counted


def _gate_first_batch(store, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Hold the worker inside its first ``log_batch`` (before any write) until the event is set."""
    release = threading.Event()
    real = store.log_batch
    calls = []

    def gated(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            release.wait(timeout=60)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "log_batch", gated)
    return release


def test_thousand_async_metrics_take_few_transactions(fluent_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run = mltrail.start_run()
    store = run.client._tracking_store
    release = _gate_first_batch(store, monkeypatch)
    transactions = _Transactions(store, monkeypatch)
    handles = [mltrail.log_metric("loss", 1.0 / (step + 1), step=step, synchronous=False) for step in range(1000)]
    assert all(isinstance(h, RunOperations) for h in handles)
    release.set()
    mltrail.end_run()
    # 1 call held at the gate, then 999 queued ones in one batch (limit 1000), then ending the run
    assert transactions.count <= 3 < 1000 // MAX_METRICS_PER_BATCH + 10
    history = run.client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(1000))
    assert run.client.get_run(run.info.run_id).info.status == "FINISHED"
    for handle in handles[:5]:
        handle.wait()


def test_changed_param_does_not_raise_at_the_call(
    fluent_store: str, caplog: pytest.LogCaptureFixture
) -> None:
    with mltrail.start_run() as run:
        mltrail.log_param("alpha", 0.1)
        with caplog.at_level(logging.ERROR, logger="mltrail"):
            bad = mltrail.log_param("alpha", 0.2, synchronous=False)  # no exception here
            good = mltrail.log_params({"beta": 1}, synchronous=False)
            metric = mltrail.log_metric("rmse", 6.9, synchronous=False)
            mltrail.flush_async_logging()
        assert isinstance(bad, RunOperations)
        with pytest.raises(MltrailError, match="failures occurred while performing one or more async logging"):
            bad.wait()
        good.wait()
        metric.wait()
    assert any("Failed to log run data" in r.getMessage() and run.info.run_id in r.getMessage() for r in caplog.records)
    data = mltrail.get_run(run.info.run_id).data
    # the conflicting value costs only its own call: everything else queued with it is stored
    assert data.params == {"alpha": "0.1", "beta": "1"} and data.metrics == {"rmse": 6.9}


def test_same_param_twice_in_one_batch_and_tags(fluent_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run = mltrail.start_run()
    release = _gate_first_batch(run.client._tracking_store, monkeypatch)
    mltrail.set_tag("hold", "first", synchronous=False)
    ops = [
        mltrail.log_param("p", 1, synchronous=False),
        mltrail.log_param("p", 1, synchronous=False),  # same value again: fine, as synchronously
        mltrail.set_tag("stage", "dev", synchronous=False),
        mltrail.set_tags({"stage": "prod", "owner": "ana"}, synchronous=False),  # later value wins
    ]
    release.set()
    mltrail.end_run()
    for op in ops:
        op.wait()
    tags = mltrail.get_run(run.info.run_id).data.tags
    assert (tags["stage"], tags["owner"], tags["hold"]) == ("prod", "ana", "first")
    assert mltrail.get_run(run.info.run_id).data.params == {"p": "1"}


def test_environment_variable_makes_logging_asynchronous(
    fluent_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
    with mltrail.start_run() as run:
        ops = mltrail.log_metric("m", 1.0)
        assert isinstance(ops, RunOperations)
        ops.wait()
        assert mltrail.log_param("p", "x", synchronous=True) == "x"  # explicit argument wins
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    with mltrail.start_run():
        assert mltrail.log_metric("m", 1.0) is None
    assert mltrail.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_client_async_bad_value_is_reported_by_wait(fluent_store: str) -> None:
    client = mltrail.MlflowClient()
    run = client.create_run("0")
    ops = client.log_metric(run.info.run_id, "m", "not a number", synchronous=False)
    with pytest.raises(MltrailError, match="not a number"):
        ops.wait()
    client.log_batch(run.info.run_id, params=[mltrail.entities.Param("k", "v")], synchronous=False).wait()
    assert client.get_run(run.info.run_id).data.params == {"k": "v"}
