"""Fluent run lifecycle: start/end, context manager statuses, nesting, resuming, threads, exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

import mltrail as mlflow
from mltrail.entities import RunStatus
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError
from mltrail.fluent import active_run_id, active_run_owner


def test_issue_example_runs_verbatim(tracking_uri, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vectorizer.pkl").write_bytes(b"vectorizer")
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("nyc-taxi-experiment")
    with mlflow.start_run():
        mlflow.set_tag("developer", "data-scientist")
        mlflow.log_param("train-data-path", "./data/green_tripdata_2021-01.parquet")
        mlflow.log_param("alpha", 0.01)
        mlflow.log_metric("rmse", 6.9)
        mlflow.log_artifact("vectorizer.pkl", artifact_path="extra_artifacts")

    from mltrail.entities import ViewType
    from mltrail.tracking import MlflowClient

    client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
    client.create_experiment("nyc-new-brand-experiment_first")
    runs = client.search_runs(
        experiment_ids="1", filter_string="metrics.rmse < 7", run_view_type=ViewType.ACTIVE_ONLY,
        max_results=5, order_by=["metrics.rmse ASC"],
    )
    assert [run.data.metrics["rmse"] for run in runs] == [6.9]
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params == {"train-data-path": "./data/green_tripdata_2021-01.parquet", "alpha": "0.01"}
    assert run.data.tags["developer"] == "data-scientist"
    assert [f.path for f in client.list_artifacts(run.info.run_id, "extra_artifacts")] == [
        "extra_artifacts/vectorizer.pkl"
    ]
    assert (tmp_path / "mltrail-artifacts" / "1" / run.info.run_id / "artifacts" / "extra_artifacts"
            / "vectorizer.pkl").read_bytes() == b"vectorizer"


def test_context_manager_finishes_the_run(tracking_uri, client):
    with mlflow.start_run(run_name="ok") as run:
        assert mlflow.active_run() is run
        assert active_run_id() == run.info.run_id
    assert mlflow.active_run() is None
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED" and stored.info.end_time >= stored.info.start_time
    assert stored.info.run_name == "ok"


def test_exception_marks_the_run_failed_and_propagates(tracking_uri, client):
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            1 / 0
    assert client.get_run(run.info.run_id).info.status == "FAILED"
    assert mlflow.active_run() is None


def test_keyboard_interrupt_marks_the_run_killed(tracking_uri, client):
    with pytest.raises(KeyboardInterrupt):
        with mlflow.start_run() as run:
            raise KeyboardInterrupt
    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_end_run_with_status_and_last_active_run(tracking_uri, client):
    run = mlflow.start_run()
    mlflow.log_metric("rmse", 6.9)
    mlflow.end_run("KILLED")
    assert mlflow.active_run() is None
    last = mlflow.last_active_run()
    assert last.info.run_id == run.info.run_id and last.info.status == "KILLED"
    assert last.data.metrics == {"rmse": 6.9}
    mlflow.end_run()  # nothing active: no-op


def test_second_top_level_run_is_refused_and_the_first_stays_active(tracking_uri, client):
    with mlflow.start_run() as first:
        with pytest.raises(InvalidStateError, match=f"{first.info.run_id} is already active.*nested=True"):
            mlflow.start_run()
        assert mlflow.active_run() is first
        mlflow.log_param("still", "logging")
    assert len(client.search_runs("0")) == 1
    assert client.get_run(first.info.run_id).data.params == {"still": "logging"}


def test_nested_runs_record_their_parent(tracking_uri, client):
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            assert mlflow.active_run() is child
            mlflow.log_metric("fold_rmse", 1.0)
        assert mlflow.active_run() is parent
    child_run = client.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent.info.run_id).data.tags


def test_parent_run_id_explicit(tracking_uri, client):
    parent = client.create_run("0").info.run_id
    with mlflow.start_run(parent_run_id=parent) as child:
        pass
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent
    with mlflow.start_run() as active:
        with pytest.raises(InvalidParameterError, match=parent):
            mlflow.start_run(parent_run_id=parent)
        assert mlflow.active_run() is active


def test_ending_an_outer_run_ends_forgotten_inner_runs(tracking_uri, client):
    with mlflow.start_run() as outer:
        inner = mlflow.start_run(nested=True)
    assert mlflow.active_run() is None
    assert client.get_run(inner.info.run_id).info.status == "FINISHED"
    assert client.get_run(outer.info.run_id).info.status == "FINISHED"


def test_resume_a_run_by_id(tracking_uri, client):
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.1)
    with mlflow.start_run(run_id=run.info.run_id, tags={"resumed": "yes"}) as again:
        assert again.info.run_id == run.info.run_id
        assert again.info.status == "RUNNING"
        mlflow.log_metric("late", 1.0)
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params == {"alpha": "0.1"} and stored.data.metrics == {"late": 1.0}
    assert stored.data.tags["resumed"] == "yes"
    assert len(client.search_runs("0")) == 1


def test_resuming_unknown_or_deleted_runs_fails_clearly(tracking_uri, client):
    with pytest.raises(ResourceNotFoundError, match="0123456789abcdef0123456789abcdef"):
        mlflow.start_run(run_id="0123456789abcdef0123456789abcdef")
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    with pytest.raises(InvalidStateError, match=f"{run_id}.*deleted"):
        mlflow.start_run(run_id=run_id)
    assert mlflow.active_run() is None


def test_tags_description_and_owner(tracking_uri, client):
    with mlflow.start_run(tags={"team": "taxi"}, description="first try") as run:
        assert active_run_owner() == "user"
        with mlflow.start_run(nested=True, owner="autolog.sklearn"):
            assert active_run_owner() == "autolog.sklearn"
        assert active_run_owner() == "user"
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["team"] == "taxi" and tags["mlflow.note.content"] == "first try"
    assert active_run_owner() is None and active_run_id() is None


def test_each_thread_has_its_own_active_run(tracking_uri, client):
    seen = {}
    barrier = threading.Barrier(2)

    def worker(name):
        with mlflow.start_run(run_name=name) as run:
            barrier.wait()
            for step in range(20):
                mlflow.log_metric("loss", step, step=step)
            seen[name] = (run.info.run_id, mlflow.active_run().info.run_id)

    with mlflow.start_run(run_name="main") as main_run:
        threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert mlflow.active_run() is main_run
    for name, (run_id, active_id) in seen.items():
        assert run_id == active_id
        run = client.get_run(run_id)
        assert run.info.run_name == name and run.info.status == "FINISHED"
        assert len(client.get_metric_history(run_id, "loss")) == 20
    assert client.get_run(main_run.info.run_id).data.metrics == {}


def test_experiment_id_argument_and_unknown_experiment(tracking_uri, client):
    exp_id = mlflow.create_experiment("explicit")
    with mlflow.start_run(experiment_id=exp_id) as run:
        pass
    assert run.info.experiment_id == exp_id
    with pytest.raises(ResourceNotFoundError, match="987654"):
        mlflow.start_run(experiment_id="987654")
    assert mlflow.active_run() is None


def _run_script(tmp_path, body: str, uri: str) -> subprocess.CompletedProcess:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(body).format(uri=uri))
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_implicit_run_is_ended_finished_at_exit(tracking_uri, client, tmp_path):
    result = _run_script(tmp_path, """
        import mltrail as mlflow
        mlflow.set_tracking_uri({uri!r})
        mlflow.log_metric("rmse", 6.9)
        mlflow.log_param("alpha", 0.1)
        print(mlflow.active_run().info.run_id)
        """, tracking_uri)
    assert result.returncode == 0, result.stderr
    run = client.get_run(result.stdout.strip())
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert run.data.metrics == {"rmse": 6.9} and run.data.params == {"alpha": "0.1"}
    # system tags name the script
    assert run.data.tags["mlflow.source.name"] == str(tmp_path / "train.py")
    assert run.data.tags["mlflow.source.type"] == "LOCAL"


def test_run_left_open_by_a_crashing_script_ends_failed(tracking_uri, client, tmp_path):
    result = _run_script(tmp_path, """
        import mltrail as mlflow
        mlflow.set_tracking_uri({uri!r})
        run = mlflow.start_run()
        print(run.info.run_id, flush=True)
        raise RuntimeError("training blew up")
        """, tracking_uri)
    assert result.returncode == 1 and "training blew up" in result.stderr
    assert client.get_run(result.stdout.strip()).info.status == RunStatus.FAILED


def test_start_run_chains_the_users_excepthook_and_puts_it_back_when_the_last_run_ends(tracking_uri, client, tmp_path):
    result = _run_script(tmp_path, """
        import sys
        import mltrail as mlflow
        mlflow.set_tracking_uri({uri!r})

        def user_hook(exc_type, exc, tb):
            print("user hook saw", exc_type.__name__, flush=True)

        sys.excepthook = user_hook
        with mlflow.start_run():
            assert sys.excepthook is not user_hook      # mltrail's hook, in front of the user's
            with mlflow.start_run(nested=True):
                pass
            assert sys.excepthook is not user_hook      # a run is still live
        assert sys.excepthook is user_hook              # the last run ended: the user's hook is back
        run = mlflow.start_run()
        print(run.info.run_id, flush=True)
        raise RuntimeError("training blew up")
        """, tracking_uri)
    assert result.returncode == 1, result.stderr
    run_id, seen = result.stdout.split("\n")[:2]
    assert seen == "user hook saw RuntimeError"         # chained: the user's hook still runs
    assert client.get_run(run_id).info.status == RunStatus.FAILED   # and the run saw the crash


def test_run_id_from_the_environment_is_resumed(tracking_uri, client, monkeypatch):
    run_id = client.create_run("0").info.run_id
    client.set_terminated(run_id)
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    with mlflow.start_run() as run:
        assert run.info.run_id == run_id
        mlflow.log_metric("resumed", 1.0)
        with mlflow.start_run(nested=True) as child:  # nested runs are new runs
            assert child.info.run_id != run_id
    assert client.get_run(run_id).data.metrics == {"resumed": 1.0}


def test_unknown_explicit_parent_is_refused(tracking_uri, client):
    with pytest.raises(ResourceNotFoundError, match="1" * 32):
        mlflow.start_run(parent_run_id="1" * 32)
    assert mlflow.active_run() is None and client.search_runs("0") == []
