"""Durability and concurrent writers: threads and processes logging to one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

from mltrail.entities import Metric
from mltrail.store.sql import SqlTrackingStore


def test_killed_process_loses_nothing_already_logged(store_uri, tmp_path):
    store = SqlTrackingStore(store_uri, artifact_root=str(tmp_path))
    run_id = store.create_run("0", "u", None).info.run_id
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from mltrail.entities import Metric
        from mltrail.store.sql import SqlTrackingStore
        store = SqlTrackingStore({store_uri!r}, artifact_root={str(tmp_path)!r})
        for step in range(200):
            store.log_metric({run_id!r}, Metric("loss", 1.0 / (step + 1), 1000 + step, step))
        sys.stdout.write("logged\\n"); sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout == "logged\n"
    history = store.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(200))
    assert store.get_run(run_id).data.metrics["loss"] == 1.0 / 200
    store.close()


def test_threads_logging_to_one_store(store):
    run_ids = [store.create_run("0", "u", None).info.run_id for _ in range(4)]
    errors: list[BaseException] = []

    def work(run_id: str) -> None:
        try:
            for step in range(100):
                store.log_metric(run_id, Metric("m", float(step), step, step))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in run_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for run_id in run_ids:
        assert len(store.get_metric_history(run_id, "m")) == 100
        assert store.get_run(run_id).data.metrics == {"m": 99.0}


def test_processes_logging_to_one_sqlite_file(sqlite_uri, tmp_path):
    store = SqlTrackingStore(sqlite_uri, artifact_root=str(tmp_path))
    run_id = store.create_run("0", "u", None).info.run_id
    code = textwrap.dedent(
        f"""
        import sys
        from mltrail.entities import Metric
        from mltrail.store.sql import SqlTrackingStore
        store = SqlTrackingStore({sqlite_uri!r}, artifact_root={str(tmp_path)!r})
        worker = int(sys.argv[1])
        for step in range(300):
            store.log_metric({run_id!r}, Metric(f"w{{worker}}", float(step), 1000 + step, step))
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(i)], stderr=subprocess.PIPE, text=True) for i in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    run = store.get_run(run_id)
    assert run.data.metrics == {f"w{i}": 299.0 for i in range(4)}
    assert all(len(store.get_metric_history(run_id, f"w{i}")) == 300 for i in range(4))
    store.close()


def test_forked_child_logs_through_its_own_connection(sqlite_store):
    run_id = sqlite_store.create_run("0", "u", None).info.run_id
    sqlite_store.log_metric(run_id, Metric("parent", 1.0, 1, 0))  # the parent's thread connection exists now
    pid = os.fork()
    if pid == 0:  # child
        try:
            sqlite_store.log_metric(run_id, Metric("child", 2.0, 1, 0))
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    sqlite_store.log_metric(run_id, Metric("parent", 3.0, 2, 1))
    assert sqlite_store.get_run(run_id).data.metrics == {"parent": 3.0, "child": 2.0}


def test_racing_writers_of_one_param_agree_on_its_value(store):
    from mltrail.entities import Param
    from mltrail.exceptions import InvalidParameterError

    run_id = store.create_run("0", "u", None).info.run_id
    barrier = threading.Barrier(6)
    outcomes: list[object] = [None] * 6

    def work(i: int) -> None:
        barrier.wait()
        try:
            store.log_param(run_id, Param("seed", str(i % 2)))
            outcomes[i] = "ok"
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcomes[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = store.get_run(run_id).data.params["seed"]
    for i, outcome in enumerate(outcomes):
        if str(i % 2) == stored:
            assert outcome == "ok"
        else:
            assert isinstance(outcome, InvalidParameterError) and f"'{stored}'" in str(outcome)
