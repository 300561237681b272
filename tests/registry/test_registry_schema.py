"""The registry's Alembic revision: it upgrades an existing tracking database and creates exactly
the tables the SQLAlchemy models describe, on every backend."""

from __future__ import annotations

import sqlalchemy as sa

from mltrail.store import get_registry_store
from mltrail.store.sql.engine import create_sql_engine
from mltrail.store.sql.registry_tables import REGISTRY_TABLES
from mltrail.store.sql.schema import MIGRATIONS_DIR, head_revision

_REGISTRY_NAMES = {t.name for t in REGISTRY_TABLES}


def _diffs_on_registry_tables(engine: sa.engine.Engine) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = REGISTRY_TABLES[0].metadata
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)

    def table_of(diff) -> str:
        kind, *rest = diff[0] if isinstance(diff, list) else diff
        if kind in ("add_table", "remove_table"):
            return rest[0].name
        if kind in ("add_column", "remove_column") or kind.startswith("modify_"):
            return rest[1]
        return rest[0].table.name  # indexes and constraints

    return [d for d in diffs if table_of(d) in _REGISTRY_NAMES]


def test_registry_tables_match_their_models(store_uri):
    store = get_registry_store(store_uri)
    tables = set(sa.inspect(store.engine).get_table_names())
    assert _REGISTRY_NAMES <= tables
    assert _diffs_on_registry_tables(store.engine) == []


def test_a_database_at_the_tracking_revision_is_upgraded_with_its_data_kept(sqlite_uri, tmp_path):
    from alembic import command
    from alembic.config import Config

    engine = create_sql_engine(sqlite_uri)
    with engine.connect() as conn:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS_DIR)
        config.attributes["connection"] = conn
        config.attributes["default_artifact_root"] = str(tmp_path / "artifacts")
        command.upgrade(config, "0001_tracking_tables")
        conn.commit()
        conn.exec_driver_sql(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage) VALUES ('kept', '/x', 'active')"
        )
        conn.commit()
        assert not sa.inspect(conn).has_table("registered_models")
    engine.dispose()

    store = get_registry_store(sqlite_uri)
    store.create_registered_model("after-upgrade")
    assert store.get_registered_model("after-upgrade").name == "after-upgrade"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        assert conn.exec_driver_sql("SELECT name FROM experiments WHERE name = 'kept'").scalar() == "kept"
