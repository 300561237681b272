"""MLflow 3 logged models: logged_models with their params, tags and metrics, run_outputs, and
``model_id`` / ``mlmodel_sha256`` on model_versions.

Revision ID: 0005_logged_models
Revises: 0004_mlflow_system_tags
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_logged_models"
down_revision = "0004_mlflow_system_tags"
branch_labels = None
depends_on = None

# Frozen copies of the table options and lengths at the time of this revision.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
CLUSTERED = {**MYSQL, "sqlite_with_rowid": False}
MODEL_ID = 34
KEY = 250


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["model_id"], ["logged_models.model_id"], name=f"fk_{table}_model_id_logged_models")


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(32), nullable=True),
        sa.Column("status_message", sa.String(1000), nullable=True),
        sa.Column("mlmodel_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], name="fk_logged_models_experiment_id_experiments"
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_logged_models_experiment_id_creation", "logged_models", ["experiment_id", "creation_timestamp_ms"]
    )
    op.create_index("ix_logged_models_source_run_id_name", "logged_models", ["source_run_id", "name"])
    for table, length in (("logged_model_params", 6000), ("logged_model_tags", 8000)):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
            sa.Column("key", sa.String(KEY), nullable=False),
            sa.Column("value", sa.String(length), nullable=False),
            sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
            _model_fk(table),
            **CLUSTERED,
        )
    op.create_table(
        "logged_model_metrics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("run_uuid", sa.String(32), nullable=True),
        sa.Column("dataset_name", sa.String(500), nullable=True),
        sa.Column("dataset_digest", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_logged_model_metrics"),
        _model_fk("logged_model_metrics"),
        **MYSQL,
    )
    op.create_index("ix_logged_model_metrics_model_id_key", "logged_model_metrics", ["model_id", "key"])
    op.create_table(
        "run_outputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", name="pk_run_outputs"),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name="fk_run_outputs_run_uuid_runs"),
        _model_fk("run_outputs"),
        **CLUSTERED,
    )
    op.add_column("model_versions", sa.Column("model_id", sa.String(MODEL_ID), nullable=True))
    op.add_column("model_versions", sa.Column("mlmodel_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("mlmodel_sha256")
        batch.drop_column("model_id")
    for table in ("run_outputs", "logged_model_metrics", "logged_model_tags", "logged_model_params", "logged_models"):
        op.drop_table(table)
