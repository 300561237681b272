"""``mltrail import-mlflow`` on real MLflow stores (fixtures written by MLflow 3.17 and 2.19, see
make_mlflow_fixtures.py), compared through mltrail's client with what MLflow's own client read back."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
import warnings

import pytest
from click.testing import CliRunner

from mltrail.cli import main
from mltrail.client import Client
from mltrail.entities import ViewType

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ARCHIVES = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".tar.gz"))


def unpack(archive: str, into) -> tuple[str, dict]:
    with tarfile.open(os.path.join(FIXTURES, archive)) as tar:
        tar.extractall(into, filter="data")
    with open(os.path.join(into, "expected.json")) as f:
        return os.path.join(into, "store"), json.load(f)


def source_args(archive: str, store: str) -> list[str]:
    if "-file" in archive:
        return ["--from", os.path.join(store, "mlruns")]
    return ["--from", f"sqlite:///{store}/mlflow.db", "--artifacts", os.path.join(store, "mlruns")]


def run_cli(*args: str):
    return CliRunner().invoke(main, ["import-mlflow", *args], catch_exceptions=False)


def _num(value: float):
    if abs(value) == 1.7976931348623157e308:  # MLflow stores +-inf so; mltrail on MySQL reads it back as +-inf
        value = math.copysign(math.inf, value)
    return value if math.isfinite(value) else repr(value)


def assert_same_as_mlflow(uri: str, expected: dict) -> None:
    client = Client(uri)
    for exp in expected["experiments"]:
        got = client.get_experiment(exp["experiment_id"])
        assert (got.name, got.lifecycle_stage) == (exp["name"], exp["lifecycle_stage"])
        assert {k: v for k, v in got.tags.items() if not k.startswith("mltrail.")} == exp["tags"]
        runs = client.search_runs([exp["experiment_id"]], run_view_type=ViewType.ALL, max_results=1000)
        assert sorted(r.info.run_id for r in runs) == [r["run_id"] for r in exp["runs"]]
        for want in exp["runs"]:
            run = client.get_run(want["run_id"])
            assert run.info.run_name == want["run_name"]
            assert (run.info.status, run.info.lifecycle_stage) == (want["status"], want["lifecycle_stage"])
            assert (run.info.start_time, run.info.end_time) == (want["start_time"], want["end_time"])
            assert run.data.params == want["params"]
            assert run.data.tags == want["tags"]
            for key, history in want["metrics"].items():
                got_history = sorted((m.step, m.timestamp, _num(m.value)) for m in client.get_metric_history(want["run_id"], key))
                # an exact repeat (MLflow's file store keeps some) is kept once, as MLflow's SQL stores do
                want_history = sorted({(s, t, _num(v) if isinstance(v, float) else v) for s, t, v in history}, key=repr)
                assert sorted(got_history, key=repr) == want_history, key
                assert _num(run.data.metrics[key]) == got_history[-1][2]  # latest: highest step, then timestamp
            assert sorted(d.dataset.name for d in run.inputs.dataset_inputs) == want["datasets"]
    for want in expected["registered_models"]:
        model = client.get_registered_model(want["name"])
        aliases = {a: int(v) for a, v in want["aliases"].items()}  # MLflow 2 answers "1", MLflow 3 and mltrail 1
        assert (model.description, model.tags, model.aliases) == (want["description"], want["tags"], aliases)
        for v in want["versions"]:
            got = client.get_model_version(want["name"], v["version"])
            assert (got.current_stage, got.description, got.tags, got.run_id) == (
                v["current_stage"], v["description"], v["tags"], v["run_id"]
            )


@pytest.mark.parametrize("archive", ARCHIVES)
def test_import_matches_what_mlflow_reads(archive, tmp_path, monkeypatch):
    store, expected = unpack(archive, tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    target = f"sqlite:///{tmp_path}/mltrail.db"
    result = run_cli(*source_args(archive, store), "--to", target)
    assert result.exit_code == 0, result.output
    assert "import complete: every count matches" in result.output
    assert_same_as_mlflow(target, expected)

    import numpy as np

    import mltrail

    mltrail.set_tracking_uri(target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unverified (MLflow-written, no file hashes) model would warn
        model = mltrail.sklearn.load_model("models:/reg/1")
    assert model.predict(np.array([[2.0]]))[0] == pytest.approx(7.0)
    assert mltrail.sklearn.load_model("models:/reg@champion").coef_[0] == pytest.approx(3.0)

    again = run_cli(*source_args(archive, store), "--to", target)  # idempotent: nothing new, same counts
    assert again.exit_code == 0, again.output
    assert "imported\n" not in again.output.replace("already imported\n", "")
    assert_same_as_mlflow(target, expected)


def test_tampered_imported_model_is_refused(tmp_path, monkeypatch):
    store, _ = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    target = f"sqlite:///{tmp_path}/mltrail.db"
    assert run_cli(*source_args("mlflow-3.17-sqlite.tar.gz", store), "--to", target).exit_code == 0
    import mltrail
    from mltrail.exceptions import ModelIntegrityError

    mltrail.set_tracking_uri(target)
    folder = Client(target).get_model_version_download_uri("reg", "1")
    with open(os.path.join(folder, "model.skops"), "ab") as f:
        f.write(b"x")
    with pytest.raises(ModelIntegrityError, match="model.skops"):
        mltrail.sklearn.load_model("models:/reg/1")


@pytest.mark.parametrize("backend", ["postgres_uri", "mysql_uri"])
def test_server_database_targets(tmp_path, monkeypatch, request, backend):
    store_uri = request.getfixturevalue(backend)
    store, expected = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    result = run_cli(*source_args("mlflow-3.17-sqlite.tar.gz", store), "--to", store_uri)
    assert result.exit_code == 0, result.output
    assert_same_as_mlflow(store_uri, expected)
    new = Client(store_uri).create_experiment("after-import")  # the id sequence moved past the imported ids
    assert int(new) > max(int(e["experiment_id"]) for e in expected["experiments"])


def test_name_clash_is_reported_and_rename_prefix_imports(tmp_path, monkeypatch):
    store, _ = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    target = f"sqlite:///{tmp_path}/mltrail.db"
    client = Client(target)
    mine = client.create_experiment("old-stuff")  # takes id 1 and the name of MLflow's experiment 2
    run = client.create_run(mine)
    result = run_cli(*source_args("mlflow-3.17-sqlite.tar.gz", store), "--to", target)
    assert result.exit_code == 1
    assert "experiment id 1 is taken in the target by experiment 'old-stuff'" in result.output
    assert "experiment name 'old-stuff' is taken" in result.output
    assert client.get_run(run.info.run_id).info.experiment_id == mine  # nothing overwritten
    result = run_cli(*source_args("mlflow-3.17-sqlite.tar.gz", store), "--to", target, "--rename-prefix", "mlflow-")
    assert client.get_experiment_by_name("mlflow-old-stuff").experiment_id == "2"


def test_bad_sources_are_named_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "mltrail.db"
    (tmp_path / "empty").mkdir()
    result = run_cli("--from", str(tmp_path / "empty"), "--to", f"sqlite:///{target}")
    assert result.exit_code == 1 and "is not an MLflow file store" in result.output
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE things (x)")
    result = run_cli("--from", f"sqlite:///{tmp_path}/other.db", "--to", f"sqlite:///{target}")
    assert result.exit_code == 1 and "is not an MLflow tracking database" in result.output
    store, _ = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    db = sqlite3.connect(f"{store}/mlflow.db")
    db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    db.commit()
    result = run_cli("--from", f"sqlite:///{store}/mlflow.db", "--to", f"sqlite:///{target}")
    assert result.exit_code == 1 and "revision 'ffffffffffff'" in result.output
    assert not target.exists()


def test_missing_model_folder_leaves_its_experiment_unwritten(tmp_path, monkeypatch):
    store, _ = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    models = os.path.join(store, "mlruns", "1", "models")
    shutil.rmtree(os.path.join(models, sorted(os.listdir(models))[0]))
    target = f"sqlite:///{tmp_path}/mltrail.db"
    result = run_cli(*source_args("mlflow-3.17-sqlite.tar.gz", store), "--to", target)
    assert result.exit_code == 1
    assert "are missing" in result.output
    assert Client(target).get_experiment_by_name("alpha") is None


def _dump(db: str) -> dict:
    conn = sqlite3.connect(db)
    out = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in
           ("runs", "params", "tags", "metrics", "latest_metrics")}
    # experiment 0 ("Default") is the target's own, created with its schema
    out["experiments"] = conn.execute("SELECT * FROM experiments WHERE experiment_id != 0 ORDER BY 1").fetchall()
    conn.close()
    return out


def test_sigkill_mid_import_then_rerun_ends_as_an_uninterrupted_import(tmp_path):
    from benchmarks.import_mlflow import make_mlflow_store

    source = make_mlflow_store(tmp_path / "src", experiments=4, runs_per_experiment=400, metrics_per_run=150)
    whole, killed = tmp_path / "whole.db", tmp_path / "killed.db"
    assert run_cli("--from", source, "--to", f"sqlite:///{whole}").exit_code == 0
    cmd = [sys.executable, "-m", "mltrail.cli.import_mlflow", "--from", source, "--to", f"sqlite:///{killed}"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill once the first experiment committed, while the others are written
        try:
            with sqlite3.connect(killed, timeout=0.1) as conn:
                if conn.execute("SELECT count(*) FROM runs").fetchone()[0] >= 400:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(killed)
    runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    conn.close()
    assert 400 <= runs < 1600  # really interrupted, with whole experiments only
    assert runs % 400 == 0
    result = run_cli("--from", source, "--to", f"sqlite:///{killed}")
    assert result.exit_code == 0, result.output
    got, want = _dump(str(killed)), _dump(str(whole))
    for table in want:
        assert got[table] == want[table], table


def test_dry_run_counts_and_writes_nothing(tmp_path, monkeypatch):
    store, _ = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    result = run_cli(*source_args("mlflow-3.17-sqlite.tar.gz", store), "--to", f"sqlite:///{tmp_path}/t.db", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would import alpha (1): 5 runs, 4 params, 11 metric rows, 23 tags, 2 logged models" in result.output
    assert "would import registered model 'reg': 2 versions" in result.output
    assert not (tmp_path / "t.db").exists()


def test_source_changing_during_import_is_refused_whole(tmp_path):
    import threading

    from benchmarks.import_mlflow import make_mlflow_store
    from mltrail.importer import SourceError, import_mlflow

    source = make_mlflow_store(tmp_path / "src", experiments=1, runs_per_experiment=300, metrics_per_run=100)
    db = source[len("sqlite:///"):]
    run_id = sqlite3.connect(db).execute("SELECT run_uuid FROM runs WHERE experiment_id = 1").fetchone()[0]
    stop = threading.Event()

    def write() -> None:  # another process still logging to the MLflow store
        conn = sqlite3.connect(db, timeout=30)
        step = 10_000
        while not stop.is_set():
            conn.execute("INSERT INTO metrics (key, value, timestamp, step, run_uuid, is_nan) VALUES ('late', 1, 1, ?, ?, 0)",
                         (step, run_id))
            conn.commit()
            step += 1
            time.sleep(0.001)
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with pytest.raises(SourceError, match="The source changed while experiment 'exp-1'"):
            import_mlflow(source, f"sqlite:///{tmp_path}/t.db", progress_stream=open(os.devnull, "w"))
    finally:
        stop.set()
        writer.join()
    assert Client(f"sqlite:///{tmp_path}/t.db").get_experiment_by_name("exp-1") is None


def test_mlflow_store_on_postgresql(tmp_path, monkeypatch, postgres_uri):
    """A live store MLflow 3.17 (mlflow-skinny, from the test extra) writes on PostgreSQL, imported into SQLite."""
    script = os.path.join(os.path.dirname(__file__), "make_mlflow_fixtures.py")
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    subprocess.run([sys.executable, script, postgres_uri, str(tmp_path / "pg")], check=True, env=env,
                   cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(tmp_path / "pg" / "expected.json") as f:
        expected = json.load(f)
    monkeypatch.chdir(tmp_path)
    target = f"sqlite:///{tmp_path}/mltrail.db"
    result = run_cli("--from", postgres_uri, "--artifacts", str(tmp_path / "pg" / "store" / "mlruns"), "--to", target)
    assert result.exit_code == 0, result.output
    assert_same_as_mlflow(target, expected)


def test_mlflow_artifacts_server_root_and_keep_artifact_location(tmp_path, monkeypatch):
    """Experiments of a ``mlflow server`` store record ``mlflow-artifacts:/<id>``: --artifacts names the
    server's artifact root. With --keep-artifact-location nothing is copied and models load in place."""
    store, _ = unpack("mlflow-3.17-sqlite.tar.gz", tmp_path / "src")
    os.rename(os.path.join(store, "mlruns"), os.path.join(store, "mlartifacts"))
    db = sqlite3.connect(f"{store}/mlflow.db")
    old = db.execute("SELECT artifact_location FROM experiments WHERE experiment_id = 1").fetchone()[0][: -len("/1")]
    for table, column in (("experiments", "artifact_location"), ("runs", "artifact_uri"),
                          ("logged_models", "artifact_location"), ("model_versions", "storage_location")):
        db.execute(f"UPDATE {table} SET {column} = replace({column}, ?, 'mlflow-artifacts:')", (old,))
    db.commit()
    monkeypatch.chdir(tmp_path)
    target = f"sqlite:///{tmp_path}/copied.db"
    result = run_cli("--from", f"sqlite:///{store}/mlflow.db", "--artifacts", os.path.join(store, "mlartifacts"), "--to", target)
    assert result.exit_code == 0, result.output
    assert "alpha (1)      artifact files      12      12  ok" in result.output
    import mltrail

    mltrail.set_tracking_uri(target)
    assert mltrail.sklearn.load_model("models:/reg/2").coef_[0] == pytest.approx(6.0)

    (tmp_path / "kept").mkdir()
    kept = f"sqlite:///{tmp_path}/kept/kept.db"
    direct = os.path.join(store, "mlartifacts")
    plain = sqlite3.connect(f"{store}/mlflow.db")  # referenced in place: locations must be real paths
    for table, column in (("experiments", "artifact_location"), ("runs", "artifact_uri"),
                          ("logged_models", "artifact_location"), ("model_versions", "storage_location")):
        plain.execute(f"UPDATE {table} SET {column} = replace({column}, 'mlflow-artifacts:', ?)", (direct,))
    plain.commit()
    result = run_cli("--from", f"sqlite:///{store}/mlflow.db", "--to", kept, "--keep-artifact-location")
    assert result.exit_code == 0, result.output
    run = Client(kept).search_runs(["1"], filter_string="tags.mlflow.runName = 'parent'")[0]
    assert run.info.artifact_uri.startswith(direct)
    assert not os.path.exists(tmp_path / "kept" / "mltrail-artifacts")  # nothing copied
    mltrail.set_tracking_uri(kept)
    from mltrail.models.integrity import UnverifiedModelWarning

    with pytest.warns(UnverifiedModelWarning):  # MLflow's folder, untouched, has no file hashes
        assert mltrail.sklearn.load_model("models:/reg/1").coef_[0] == pytest.approx(3.0)


def test_progress_bar_on_a_terminal(tmp_path):
    import pty

    from benchmarks.import_mlflow import make_mlflow_store

    source = make_mlflow_store(tmp_path / "src", experiments=1, runs_per_experiment=50, metrics_per_run=10)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "mltrail.cli.import_mlflow", "--from", source, "--to",
                             f"sqlite:///{tmp_path}/t.db"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    assert b"runs 50/50  metrics 500" in seen
    piped = subprocess.run([sys.executable, "-m", "mltrail.cli.import_mlflow", "--from", source, "--to",
                            f"sqlite:///{tmp_path}/t2.db"], cwd=tmp_path, capture_output=True)
    assert b"runs 50/50" not in piped.stderr  # no bar when stderr is not a terminal


def test_file_store_ids_too_big_for_a_server_database_are_reported(tmp_path, monkeypatch, postgres_uri):
    store, _ = unpack("mlflow-2.19-file.tar.gz", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    result = run_cli("--from", os.path.join(store, "mlruns"), "--to", postgres_uri)
    assert result.exit_code == 1
    assert "does not fit the target database's experiment ids" in result.output
    assert "experiment 'Default' (id 0): completed" in result.output
