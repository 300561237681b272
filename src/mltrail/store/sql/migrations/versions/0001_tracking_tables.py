"""Tracking tables: experiments, experiment tags, runs, params, tags, metrics, latest metrics.

Also creates the "Default" experiment with id 0.

Revision ID: 0001_tracking_tables
Revises:
"""

from __future__ import annotations

import os
import time

import sqlalchemy as sa
from alembic import op

revision = "0001_tracking_tables"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the table options and lengths at the time of this revision.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
# Composite-key tables are clustered on their key in SQLite (WITHOUT ROWID): one b-tree per insert.
CLUSTERED = {**MYSQL, "sqlite_with_rowid": False}
KEY = 250
URI = 1000


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("artifact_location", sa.String(URI), nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=True),
        sa.Column("last_update_time", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], name="fk_experiment_tags_experiment_id_experiments"
        ),
        **CLUSTERED,
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("deleted_time", sa.BigInteger(), nullable=True),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("artifact_uri", sa.String(URI), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_runs"),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.experiment_id"], name="fk_runs_experiment_id_experiments"),
        **MYSQL,
    )
    op.create_index(
        "ix_runs_experiment_id_start_time_desc", "runs", ["experiment_id", sa.desc(sa.column("start_time")), "run_uuid"]
    )
    for table, width in (("params", 6000), ("tags", 8000)):
        op.create_table(
            table,
            sa.Column("run_uuid", sa.String(32), nullable=False),
            sa.Column("key", sa.String(KEY), nullable=False),
            sa.Column("value", sa.String(width), nullable=False),
            sa.PrimaryKeyConstraint("run_uuid", "key", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name=f"fk_{table}_run_uuid_runs"),
            **CLUSTERED,
        )
    op.create_table(
        "metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", "step", "timestamp", "value", "is_nan", name="pk_metrics"),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name="fk_metrics_run_uuid_runs"),
        **CLUSTERED,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name="fk_latest_metrics_run_uuid_runs"),
        **CLUSTERED,
    )
    op.create_index("ix_latest_metrics_key_is_nan_value", "latest_metrics", ["key", "is_nan", "value"])
    _create_default_experiment()


def _create_default_experiment() -> None:
    """Insert experiment 0, "Default", whose artifacts go to ``<artifact root>/0``."""
    bind = op.get_bind()
    root = op.get_context().config.attributes.get("default_artifact_root") or os.path.abspath("mltrail-artifacts")
    location = root.rstrip("/") + "/0"
    now = int(time.time() * 1000)
    if bind.dialect.name == "mysql":
        # An explicit 0 in an AUTO_INCREMENT column means "next value" unless told otherwise.
        bind.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
    experiments = sa.table(
        "experiments",
        sa.column("experiment_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("artifact_location", sa.String),
        sa.column("lifecycle_stage", sa.String),
        sa.column("creation_time", sa.BigInteger),
        sa.column("last_update_time", sa.BigInteger),
    )
    op.execute(
        experiments.insert().values(
            experiment_id=0,
            name="Default",
            artifact_location=location,
            lifecycle_stage="active",
            creation_time=now,
            last_update_time=now,
        )
    )


def downgrade() -> None:
    for table in ("latest_metrics", "metrics", "tags", "params", "runs", "experiment_tags", "experiments"):
        op.drop_table(table)
