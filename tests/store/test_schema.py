"""Schema creation and upgrade (Alembic), start-up checks and unusable databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from mltrail.exceptions import StoreUnavailableError
from mltrail.store.sql import SqlTrackingStore
from mltrail.store.sql.schema import MIGRATIONS_DIR, head_revision


def test_new_sqlite_file_is_wal_at_head_with_default_experiment(sqlite_uri):
    store = SqlTrackingStore(sqlite_uri)
    store.close()
    path = sqlite_uri[len("sqlite:///"):]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
        assert conn.execute("SELECT experiment_id, name FROM experiments").fetchall() == [(0, "Default")]
    finally:
        conn.close()


def test_head_revision_matches_alembic_script_directory():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(MIGRATIONS_DIR)
    assert script.get_heads() == [head_revision()]
    # linear history, every revision id equal to its file name
    for rev in script.walk_revisions():
        assert os.path.basename(rev.path) == f"{rev.revision}.py"


def test_migrated_schema_matches_the_models(store_uri):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mltrail.store.sql.models import Base

    import mltrail.store.sql.registry_tables  # noqa: F401 - the registry revision's tables share Base
    import mltrail.store.sql.auth_tables  # noqa: F401 - and the auth revision's
    store = SqlTrackingStore(store_uri)
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        store.close()
    assert diffs == []


def test_reopening_at_head_does_not_load_alembic(sqlite_uri):
    SqlTrackingStore(sqlite_uri).close()
    code = textwrap.dedent(
        f"""
        import sys
        from mltrail.store.sql import SqlTrackingStore
        store = SqlTrackingStore({sqlite_uri!r})
        assert store.get_experiment("0").name == "Default"
        print("alembic" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_many_processes_starting_at_once_share_one_schema(store_uri, tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        from mltrail.store.sql import SqlTrackingStore
        store = SqlTrackingStore({store_uri!r}, artifact_root={str(tmp_path)!r})
        run = store.create_run("0", "worker", None)
        print(run.info.run_id)
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
    store = SqlTrackingStore(store_uri)
    try:
        run_ids = {out.strip() for out, _ in results}
        assert len(run_ids) == 4
        assert {r.info.run_id for r in store.search_runs(["0"])} == run_ids
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM experiments").scalar() == 1
            assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    finally:
        store.close()


def test_file_that_is_not_a_sqlite_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(StoreUnavailableError) as err:
        SqlTrackingStore(f"sqlite:///{path}")
    assert str(path) in str(err.value) and "not a SQLite database" in str(err.value)
    assert path.read_text() == "these are my notes, not a database\n" * 20


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://alice:s3cret@127.0.0.1:1/tracking",
        "mysql://alice:s3cret@127.0.0.1:1/tracking",
    ],
)
def test_unreachable_database_names_uri_without_password(uri):
    with pytest.raises(StoreUnavailableError) as err:
        SqlTrackingStore(uri)
    message = str(err.value)
    assert "s3cret" not in message
    assert "alice:***@127.0.0.1:1/tracking" in message


def test_database_from_a_newer_mltrail_is_refused(sqlite_uri):
    SqlTrackingStore(sqlite_uri).close()
    engine = sa.create_engine(sqlite_uri)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    engine.dispose()
    with pytest.raises(StoreUnavailableError, match="'9999_from_the_future', which this mltrail does not know"):
        SqlTrackingStore(sqlite_uri)
    # nothing was changed on the way
    engine = sa.create_engine(sqlite_uri)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "9999_from_the_future"
    engine.dispose()


def test_in_memory_sqlite_store_works():
    from mltrail.entities import Metric

    for uri in ("sqlite:///:memory:", "sqlite://"):
        store = SqlTrackingStore(uri, artifact_root="/tmp/unused")
        run_id = store.create_run("0", "u", None).info.run_id
        store.log_metric(run_id, Metric("m", 1.0, 1, 0))
        assert store.search_runs(["0"])[0].data.metrics == {"m": 1.0}
        store.close()


def test_missing_directory_of_sqlite_file_is_created(tmp_path):
    uri = f"sqlite:///{tmp_path}/nested/dir/mlflow.db"
    store = SqlTrackingStore(uri)
    store.close()
    assert (tmp_path / "nested" / "dir" / "mlflow.db").exists()


def test_default_artifact_root_follows_config(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    store = SqlTrackingStore(uri)
    try:
        assert store.default_artifact_root == str(tmp_path / "mltrail-artifacts")
        assert store.get_experiment("0").artifact_location == str(tmp_path / "mltrail-artifacts" / "0")
    finally:
        store.close()
    monkeypatch.setenv("MLTRAIL_ARTIFACT_ROOT", "s3://bucket/root")
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/other.db")
    try:
        assert store.default_artifact_root == "s3://bucket/root"
        assert store.get_experiment(store.create_experiment("e")).artifact_location == "s3://bucket/root/1"
    finally:
        store.close()


@pytest.mark.parametrize("scheme", ["mariadb", "mariadb+pymysql"])
def test_a_mariadb_uri_reaches_the_server_through_the_mysql_dialect(mysql_uri, scheme, tmp_path):
    # SQLAlchemy's own mariadb dialect would skip the schema's MySQL index lengths ("key too long")
    # and the MySQL branches of the store (its encoding of infinity, its upsert form)
    import math

    from mltrail.entities import Metric, Param, RunTag

    uri = scheme + "://" + mysql_uri.split("://", 1)[1]
    store = SqlTrackingStore(uri, artifact_root=str(tmp_path))
    try:
        run_id = store.create_run(store.create_experiment("e"), "u", 1, run_name="r").info.run_id
        store.log_metric(run_id, Metric("m", math.inf, 1, 0))
        store.log_metric(run_id, Metric("m", -1.5, 2, 1))
        store.log_batch(run_id, metrics=[Metric("n", -math.inf, 1, 0)], params=[Param("p", "1")],
                        tags=[RunTag("t", "v")])
        store.set_tag(run_id, RunTag("t", "w"))
        run = store.get_run(run_id)
        assert run.data.metrics == {"m": -1.5, "n": -math.inf} and run.data.tags["t"] == "w"
        assert [m.value for m in store.get_metric_history(run_id, "m")] == [math.inf, -1.5]
        assert [r.info.run_id for r in store.search_runs([run.info.experiment_id], "metrics.n < -1e308")] == [run_id]
    finally:
        store.close()
