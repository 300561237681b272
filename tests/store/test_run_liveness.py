"""Crashed runs: a RUNNING run whose process died reads back KILLED; live, paused-then-resumed,
cleanly-ended and owner-less (stock mlflow client) runs do not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from click.testing import CliRunner

from benchmarks.reliability.crash import LoggingChild, sqlite_integrity, wait_for_status
from mltrail import MlflowClient
from mltrail.cli import main as cli
from mltrail.exceptions import InvalidParameterError
from mltrail.store.sql import SqlTrackingStore

#: how long a test waits for a status before it fails (the heartbeat timeout in the children is 2 s)
PATIENCE_S = 60


def test_sigkilled_process_leaves_a_killed_run_with_everything_acknowledged(store_uri):
    client = MlflowClient(tracking_uri=store_uri)
    child = LoggingChild(store_uri, 1_000_000)  # still logging when killed
    try:
        acked = child.wait_for_acks(50)
        child.signal(signal.SIGKILL)
    finally:
        child.close()
    status, _ = wait_for_status(client, child.run_id, "KILLED", PATIENCE_S)
    assert status == "KILLED"
    run = client.get_run(child.run_id)
    assert run.info.start_time <= run.info.end_time <= int(time.time() * 1000)
    steps = [m.step for m in client.get_metric_history(child.run_id, "loss")]
    assert steps[:acked] == list(range(acked))  # every acknowledged value survived the kill
    killed = client.search_runs(["0"], "attributes.status = 'KILLED'")
    assert [r.info.run_id for r in killed] == [child.run_id]
    if store_uri.startswith("sqlite"):
        assert sqlite_integrity(store_uri) == "ok"
    listing = CliRunner().invoke(cli, ["runs", "list", "--experiment-id", "0", "--tracking-uri", store_uri])
    assert listing.exit_code == 0, listing.output
    assert "KILLED" in listing.output and "RUNNING" not in listing.output


def test_a_live_process_keeps_its_run_running_then_a_kill_is_seen(sqlite_uri):
    client = MlflowClient(tracking_uri=sqlite_uri)
    child = LoggingChild(sqlite_uri, 20, timeout_s=3)
    try:
        child.wait_for_acks()
        deadline = time.monotonic() + 10  # more than three timeouts of heartbeats
        while time.monotonic() < deadline:
            assert client.get_run(child.run_id).info.status == "RUNNING"
            time.sleep(0.2)
        child.signal(signal.SIGKILL)
    finally:
        child.close()
    assert wait_for_status(client, child.run_id, "KILLED", PATIENCE_S)[0] == "KILLED"


def test_a_paused_process_is_killed_then_running_again_when_resumed(sqlite_uri):
    client = MlflowClient(tracking_uri=sqlite_uri)
    child = LoggingChild(sqlite_uri, 20, then="finish")
    try:
        child.wait_for_acks()
        child.signal(signal.SIGSTOP)
        assert wait_for_status(client, child.run_id, "KILLED", PATIENCE_S)[0] == "KILLED"
        child.signal(signal.SIGCONT)
        status, _ = wait_for_status(client, child.run_id, "RUNNING", PATIENCE_S)
        assert status == "RUNNING"
        assert client.get_run(child.run_id).info.end_time is None
        child.finish()
    finally:
        child.close()
    assert client.get_run(child.run_id).info.status == "FINISHED"
    assert len(client.get_metric_history(child.run_id, "loss")) == 20


def test_a_clean_exit_leaves_its_unfinished_run_running(sqlite_uri):
    code = textwrap.dedent(
        """
        import sys
        from mltrail import MlflowClient
        print(MlflowClient(tracking_uri=sys.argv[1]).create_run("0").info.run_id)
        """
    )
    env = dict(os.environ, MLTRAIL_RUN_HEARTBEAT_TIMEOUT="0.5")
    done = subprocess.run([sys.executable, "-c", code, sqlite_uri], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    store = SqlTrackingStore(sqlite_uri)
    time.sleep(1)
    assert store.reap_dead_runs() == 0
    assert store.get_run(done.stdout.strip()).info.status == "RUNNING"  # as MLflow leaves it
    store.close()


def _stale_owner(store: SqlTrackingStore) -> str:
    owner = uuid.uuid4().hex
    assert store.heartbeat_owner(owner, timeout_ms=1) is True
    time.sleep(0.05)
    return owner


def test_only_runs_of_a_dead_owner_are_killed_and_it_can_come_back(store):
    owner = uuid.uuid4().hex
    assert store.heartbeat_owner(owner, timeout_ms=1) is True
    owned = store.create_run("0", "u", None, owner_id=owner).info.run_id
    ended = store.create_run("0", "u", None, owner_id=owner).info.run_id
    store.update_run_info(ended, "KILLED", end_time=123)  # the user's own KILLED: not undone later
    no_owner = store.create_run("0", "u", None).info.run_id  # the stock mlflow client's runs
    time.sleep(0.05)
    assert store.reap_dead_runs() == 1
    assert store.reap_dead_runs() == 0  # once
    killed = store.get_run(owned).info
    assert (killed.status, killed.end_time is not None) == ("KILLED", True)
    assert store.get_run(no_owner).info.status == "RUNNING"
    store.heartbeat_owner(owner, timeout_ms=60_000)  # it was only paused
    assert store.get_run(owned).info.status == "RUNNING" and store.get_run(owned).info.end_time is None
    assert (store.get_run(ended).info.status, store.get_run(ended).info.end_time) == ("KILLED", 123)
    assert store.reap_dead_runs() == 0


def test_a_resumed_run_belongs_to_its_new_owner(store):
    dead = _stale_owner(store)
    run_id = store.create_run("0", "u", None, owner_id=dead).info.run_id
    store.update_run_info(run_id, "FINISHED", end_time=1)
    store.update_run_info(run_id, "RUNNING")  # resumed by a client without heartbeat
    assert store.reap_dead_runs() == 0
    assert store.get_run(run_id).info.status == "RUNNING"


def test_a_released_owner_leaves_its_runs_running(store):
    owner = uuid.uuid4().hex
    store.heartbeat_owner(owner, timeout_ms=1)
    run_id = store.create_run("0", "u", None, owner_id=owner).info.run_id
    store.release_owner(owner)
    time.sleep(0.05)
    assert store.reap_dead_runs() == 0
    assert store.get_run(run_id).info.status == "RUNNING"


def test_gc_marks_runs_of_dead_processes(sqlite_uri):
    store = SqlTrackingStore(sqlite_uri)
    store.create_run("0", "u", None, owner_id=_stale_owner(store))
    result = CliRunner().invoke(cli, ["gc", "--tracking-uri", sqlite_uri])
    assert result.exit_code == 0, result.output
    assert "Marked KILLED: 1 run(s)" in result.output
    store.close()


@pytest.mark.parametrize("owner", ["not-hex", "A" * 32, "0" * 31, 7])
def test_bad_owner_ids_are_refused(sqlite_store, owner):
    with pytest.raises(InvalidParameterError, match="owner id"):
        sqlite_store.create_run("0", "u", None, owner_id=owner)
    with pytest.raises(InvalidParameterError, match="owner id"):
        sqlite_store.heartbeat_owner(owner, timeout_ms=1000)


@pytest.mark.parametrize("timeout_ms", [0, -5, 1.5, True, 10**13])
def test_bad_heartbeat_timeouts_are_refused(sqlite_store, timeout_ms):
    with pytest.raises(InvalidParameterError, match="heartbeat timeout"):
        sqlite_store.heartbeat_owner(uuid.uuid4().hex, timeout_ms=timeout_ms)


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_bad_timeout_setting_is_refused(sqlite_uri, monkeypatch, value):
    monkeypatch.setenv("MLTRAIL_RUN_HEARTBEAT_TIMEOUT", value)
    with pytest.raises(InvalidParameterError, match="MLTRAIL_RUN_HEARTBEAT_TIMEOUT"):
        MlflowClient(tracking_uri=sqlite_uri).create_run("0")


def test_timeout_zero_turns_ownership_off(sqlite_uri, monkeypatch):
    monkeypatch.setenv("MLTRAIL_RUN_HEARTBEAT_TIMEOUT", "0")
    run_id = MlflowClient(tracking_uri=sqlite_uri).create_run("0").info.run_id
    store = SqlTrackingStore(sqlite_uri)
    with store.engine.connect() as conn:
        owner = conn.exec_driver_sql(f"SELECT owner_id FROM runs WHERE run_uuid = '{run_id}'").scalar()
    assert owner is None
    store.close()
