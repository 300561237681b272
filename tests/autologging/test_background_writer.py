"""The background artifact writer: files arrive, the flush points wait, failures stay contained."""

from __future__ import annotations

import os
import threading

import pytest

import mltrail
from mltrail.autologging import background


@pytest.fixture
def store(sqlite_uri):
    mltrail.set_tracking_uri(sqlite_uri)
    yield mltrail.Client()
    background.flush(None, timeout=30)
    while mltrail.active_run() is not None:
        mltrail.end_run()


def _files_on_disk(run) -> set[str]:
    """The run's artifact folder as the file system has it (no client, so no flush point)."""
    root = run.info.artifact_uri.removeprefix("file://")
    return set(os.listdir(root)) if os.path.isdir(root) else set()


def _blocked(release: threading.Event, files: dict[str, bytes]):
    def render():
        release.wait(30)
        return files

    return render


def test_submitted_files_land_in_the_run_and_flush_reports_done(store):
    with mltrail.start_run() as run:
        pass
    assert background.submit(run.info.run_id, lambda: {"notes/a.txt": b"drawn later"},
                             artifact_uri=run.info.artifact_uri)
    assert background.submit(run.info.run_id, lambda: None)  # nothing to write, artifact root looked up never
    assert background.flush(run.info.run_id) is True
    assert background.pending(run.info.run_id) == 0
    with open(store.download_artifacts(run.info.run_id, "notes/a.txt"), "rb") as fh:
        assert fh.read() == b"drawn later"


def test_artifact_root_is_looked_up_through_the_client_when_not_given(store):
    with mltrail.start_run() as run:
        pass
    background.submit(run.info.run_id, lambda: {"b.txt": b"x"}, client=store)
    assert mltrail.flush_artifacts(run.info.run_id)
    assert "b.txt" in _files_on_disk(run)


def test_list_and_download_artifacts_wait_for_pending_writes_of_that_run(store):
    with mltrail.start_run() as run:
        pass
    release = threading.Event()
    background.submit(run.info.run_id, _blocked(release, {"late.txt": b"late"}), artifact_uri=run.info.artifact_uri)
    threading.Timer(0.2, release.set).start()
    # no explicit flush: reading the run's artifacts is a flush point
    assert [f.path for f in store.list_artifacts(run.info.run_id)] == ["late.txt"]


def test_ending_a_run_waits_for_its_background_files(store):
    release = threading.Event()
    with mltrail.start_run() as run:
        background.submit(run.info.run_id, _blocked(release, {"fig.png": b"png"}), artifact_uri=run.info.artifact_uri)
        threading.Timer(0.2, release.set).start()
    assert "fig.png" in _files_on_disk(run)  # read from disk: the end of the run was the flush point
    assert store.get_run(run.info.run_id).info.status == "FINISHED"


def test_flush_is_bounded_and_says_when_it_gave_up(store):
    with mltrail.start_run() as run:
        pass
    release = threading.Event()
    background.submit(run.info.run_id, _blocked(release, {"slow.txt": b"s"}), artifact_uri=run.info.artifact_uri)
    assert mltrail.flush_artifacts(run.info.run_id, timeout=0.05) is False
    release.set()
    assert mltrail.flush_artifacts(run.info.run_id) is True
    assert "slow.txt" in _files_on_disk(run)


def test_the_writer_waits_while_an_autologged_call_runs_unless_someone_flushes(store):
    with mltrail.start_run() as run:
        pass
    started = threading.Event()

    def render():
        started.set()
        return {"x.txt": b"x"}

    with background.busy():
        background.submit(run.info.run_id, render, artifact_uri=run.info.artifact_uri)
        assert not started.wait(0.3)  # training runs: the writer keeps off the GIL
        assert background.pending(run.info.run_id) == 1
        assert background.flush(run.info.run_id) is True  # ...but a flush gets it written at once
    assert started.is_set()


def test_a_failing_render_is_reported_and_the_writer_goes_on(store):
    with mltrail.start_run() as run:
        pass
    errors: list[BaseException] = []

    def broken():
        raise ValueError("cannot draw this")

    uri = run.info.artifact_uri
    background.submit(run.info.run_id, broken, artifact_uri=uri, on_error=errors.append)
    background.submit(run.info.run_id, lambda: {"after.txt": b"ok"}, artifact_uri=uri, on_error=errors.append)
    assert background.flush(run.info.run_id)
    assert [str(e) for e in errors] == ["cannot draw this"]
    assert "after.txt" in _files_on_disk(run)


def test_a_full_queue_is_drained_instead_of_growing(store, monkeypatch):
    monkeypatch.setattr(background, "MAX_QUEUED", 2)
    with mltrail.start_run() as run:
        pass
    uri = run.info.artifact_uri
    with background.busy():  # even while training runs, a full queue gets drained
        results = [background.submit(run.info.run_id, lambda i=i: {f"f{i}.txt": b"x"}, artifact_uri=uri)
                   for i in range(6)]
    assert results == [True] * 6
    assert background.flush(run.info.run_id)
    assert {f"f{i}.txt" for i in range(6)} <= _files_on_disk(run)


def test_flush_counts_per_run(store):
    with mltrail.start_run() as slow_run:
        pass
    with mltrail.start_run() as quick_run:
        pass
    release = threading.Event()
    background.submit(slow_run.info.run_id, _blocked(release, {"s.txt": b"s"}), artifact_uri=slow_run.info.artifact_uri)
    background.submit(quick_run.info.run_id, lambda: {"q.txt": b"q"}, artifact_uri=quick_run.info.artifact_uri)
    assert background.flush(quick_run.info.run_id, timeout=0.2) is False  # FIFO: behind the slow one
    assert background.pending(slow_run.info.run_id) == 1
    release.set()
    assert background.flush(quick_run.info.run_id) is True
    assert background.pending() == 0


def test_pending_writes_are_finished_at_interpreter_exit(tmp_path):
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import time, mltrail
        from mltrail.autologging import background
        mltrail.set_tracking_uri("sqlite:///{tmp_path / 'exit.db'}")
        with mltrail.start_run() as run:
            pass
        def render():
            time.sleep(0.3)
            return {{"at_exit.txt": b"written"}}
        background.submit(run.info.run_id, render, artifact_uri=run.info.artifact_uri)
        print(run.info.artifact_uri)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root = done.stdout.strip().splitlines()[-1].removeprefix("file://")
    assert os.listdir(root) == ["at_exit.txt"]


def test_mlflows_flush_name_waits_for_every_run(store):
    with mltrail.start_run() as run:
        pass
    release = threading.Event()
    background.submit(run.info.run_id, _blocked(release, {"m.txt": b"m"}), artifact_uri=run.info.artifact_uri)
    threading.Timer(0.2, release.set).start()
    mltrail.flush_artifact_async_logging()
    assert "m.txt" in _files_on_disk(run)


def test_discarding_forgets_the_queued_writes_and_lets_the_one_being_written_finish(store):
    with mltrail.start_run() as first:
        pass
    with mltrail.start_run() as second:
        pass
    release = threading.Event()
    background.submit(first.info.run_id, _blocked(release, {"first.txt": b"1"}), artifact_uri=first.info.artifact_uri)
    assert background.flush(first.info.run_id, timeout=0.3) is False  # the writer holds it now
    background.submit(first.info.run_id, lambda: {"later.txt": b"2"}, artifact_uri=first.info.artifact_uri)
    background.submit(second.info.run_id, lambda: {"other.txt": b"3"}, artifact_uri=second.info.artifact_uri)
    assert background.discard_queued() == 2
    assert (background.pending(first.info.run_id), background.pending(second.info.run_id)) == (1, 0)
    assert background.flush(second.info.run_id, timeout=0) is True
    release.set()
    assert background.flush(None) is True
    assert (_files_on_disk(first), _files_on_disk(second)) == ({"first.txt"}, set())
