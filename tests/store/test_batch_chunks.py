"""Huge batches are written in bounded chunks, each its own transaction, so other writers interleave.

``BATCH_CHUNK_ROWS`` is lowered for these tests (the rule does not depend on
the number) so that a batch of a few thousand metrics spans many chunks.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import InvalidParameterError
from mltrail.store.sql import SqlTrackingStore, run_ops
from mltrail.store.sql.engine import sqlite_path
from sqlalchemy.engine import make_url


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(run_ops, "BATCH_CHUNK_ROWS", 100)
    return 100


def _metrics(count: int, key: str = "loss") -> list[Metric]:
    # the latest value (highest step) sits in the first chunk: later chunks must not replace it
    return [Metric(key, float(i), 1000 + i, count if i == 0 else i) for i in range(count)]


def test_a_chunked_batch_stores_everything_with_the_right_latest_values(store, small_chunks):
    run_id = store.create_run("0", "u", None).info.run_id
    store.log_batch(run_id, metrics=_metrics(350) + _metrics(3, "acc"), params=[Param("p", "1")], tags=[RunTag("t", "v")])
    run = store.get_run(run_id)
    assert run.data.metrics == {"loss": 0.0, "acc": 0.0}
    assert run.data.params == {"p": "1"} and run.data.tags["t"] == "v"
    assert len(store.get_metric_history(run_id, "loss")) == 350
    store.log_batch(run_id, metrics=_metrics(350))  # the same rows again: kept once
    assert len(store.get_metric_history(run_id, "loss")) == 350


def test_a_chunked_batch_is_validated_before_any_chunk_is_written(store, small_chunks):
    run_id = store.create_run("0", "u", None).info.run_id
    bad = _metrics(350) + [Metric("loss", "not a number", 0, 0)]  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        store.log_batch(run_id, metrics=bad)
    store.log_param(run_id, Param("p", "1"))
    with pytest.raises(InvalidParameterError, match="already logged"):  # the first chunk's params fail first
        store.log_batch(run_id, metrics=_metrics(350), params=[Param("p", "2")])
    assert store.get_metric_history(run_id, "loss") == []


def test_finish_run_with_a_chunked_batch_ends_the_run_with_every_metric(store, small_chunks):
    run_id = store.create_run("0", "u", None).info.run_id
    info = store.finish_run(run_id, "FINISHED", 5000, metrics=_metrics(250), params=[Param("p", "1")])
    assert info.status == "FINISHED" and info.end_time == 5000
    assert len(store.get_metric_history(run_id, "loss")) == 250
    assert store.get_run(run_id).data.metrics == {"loss": 0.0}


def test_a_concurrent_create_run_commits_in_the_middle_of_a_big_batch(sqlite_store, monkeypatch):
    """Another writer gets the SQLite write lock between chunks: it commits while the batch is
    partly written (a single transaction would show it none or all of the batch)."""
    monkeypatch.setattr(run_ops, "BATCH_CHUNK_ROWS", 2000)
    total = 100_000
    run_id = sqlite_store.create_run("0", "u", None).info.run_id
    batch = _metrics(total)
    other = SqlTrackingStore(sqlite_store.db_uri, artifact_root=sqlite_store.default_artifact_root)
    reader = sqlite3.connect(sqlite_path(make_url(sqlite_store.db_uri)), check_same_thread=False)
    seen_mid_batch: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            while not done.is_set():
                other.create_run("0", "u", None)  # waits on the busy timeout while the batch holds the lock
                count = reader.execute("SELECT count(*) FROM metrics WHERE run_uuid = ?", (run_id,)).fetchone()[0]
                if 0 < count < total:
                    seen_mid_batch.append(count)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        sqlite_store.log_batch(run_id, metrics=batch)
    finally:
        done.set()
        thread.join()
        reader.close()
        other.close()
    assert not errors
    assert seen_mid_batch, "no create_run committed while the batch was partly written"
    assert len(sqlite_store.get_metric_history(run_id, "loss")) == total
