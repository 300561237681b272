"""Revision 0004: a store written by mltrail 0.1 (system tags under ``mltrail.``) gets MLflow's names."""

from __future__ import annotations

import sqlalchemy as sa

from mltrail.store.sql import SqlTrackingStore
from mltrail.store.sql.engine import create_sql_engine
from mltrail.store.sql.schema import MIGRATIONS_DIR


def _database_at(uri: str, revision: str, artifact_root: str) -> sa.Engine:
    from alembic import command
    from alembic.config import Config

    engine = create_sql_engine(uri)
    with engine.connect() as conn:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS_DIR)
        config.attributes["connection"] = conn
        config.attributes["default_artifact_root"] = artifact_root
        command.upgrade(config, revision)
        conn.commit()
    return engine


def _insert_run(conn, run_id: str, tags: dict[str, str]) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO runs (run_uuid, name, user_id, status, start_time, end_time, deleted_time, "
            "lifecycle_stage, artifact_uri, experiment_id) "
            "VALUES (:id, 'old-run', 'ana', 'FINISHED', 1, 2, NULL, 'active', '/a', 0)"
        ),
        {"id": run_id},
    )
    for key, value in tags.items():
        conn.execute(
            sa.text("INSERT INTO tags (run_uuid, " + _key(conn) + ", value) VALUES (:r, :k, :v)"),
            {"r": run_id, "k": key, "v": value},
        )


def _key(conn) -> str:
    return "`key`" if conn.dialect.name in ("mysql", "mariadb") else '"key"'


def test_old_system_tags_are_renamed_and_found_by_both_names(store_uri, tmp_path):
    engine = _database_at(store_uri, "0003_dataset_inputs", str(tmp_path / "artifacts"))
    old = "a" * 32
    both = "b" * 32
    with engine.begin() as conn:
        _insert_run(conn, old, {
            "mltrail.runName": "old-run", "mltrail.user": "ana", "mltrail.parentRunId": both,
            "mltrail.source.git.commit": "3f2a", "mltrail.note.content": "a note",
            "mltrail.autologging": "sklearn", "mltrail.python.version": "3.11.7", "team": "taxi",
        })
        # a run that carries both spellings keeps the MLflow one's value
        _insert_run(conn, both, {"mltrail.runName": "stale", "mlflow.runName": "fresh"})
    engine.dispose()

    store = SqlTrackingStore(store_uri)
    try:
        tags = store.get_run(old).data.tags
        assert tags == {
            "mlflow.runName": "old-run", "mlflow.user": "ana", "mlflow.parentRunId": both,
            "mlflow.source.git.commit": "3f2a", "mlflow.note.content": "a note",
            "mlflow.autologging": "sklearn", "mltrail.python.version": "3.11.7", "team": "taxi",
        }
        assert store.get_run(both).data.tags == {"mlflow.runName": "fresh"}
        for filter_string in ("tags.`mlflow.parentRunId` = '%s'" % both, "tags.`mltrail.parentRunId` = '%s'" % both):
            page = store.search_runs(["0"], filter_string)
            assert [r.info.run_id for r in page] == [old], filter_string
    finally:
        store.close()
