"""Dataset inputs: datasets (one per experiment, name and digest), the runs that consumed them
and the tags of each use.

Revision ID: 0003_dataset_inputs
Revises: 0002_model_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import MEDIUMTEXT

revision = "0003_dataset_inputs"
down_revision = "0002_model_registry"
branch_labels = None
depends_on = None

# Frozen copies of the table options and lengths at the time of this revision.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
CLUSTERED = {**MYSQL, "sqlite_with_rowid": False}
LONG_TEXT = sa.Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("dataset_uuid", sa.String(32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("dataset_source_type", sa.String(36), nullable=False),
        sa.Column("dataset_source", LONG_TEXT, nullable=False),
        sa.Column("dataset_schema", LONG_TEXT, nullable=True),
        sa.Column("dataset_profile", LONG_TEXT, nullable=True),
        sa.PrimaryKeyConstraint("dataset_uuid", name="pk_datasets"),
        sa.UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_experiment_id_name_digest"),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], name="fk_datasets_experiment_id_experiments"
        ),
        **MYSQL,
    )
    op.create_table(
        "run_inputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("dataset_uuid", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", name="pk_run_inputs"),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name="fk_run_inputs_run_uuid_runs"),
        sa.ForeignKeyConstraint(["dataset_uuid"], ["datasets.dataset_uuid"], name="fk_run_inputs_dataset_uuid_datasets"),
        **CLUSTERED,
    )
    op.create_table(
        "run_input_tags",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("dataset_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", "key", name="pk_run_input_tags"),
        sa.ForeignKeyConstraint(
            ["run_uuid", "dataset_uuid"],
            ["run_inputs.run_uuid", "run_inputs.dataset_uuid"],
            name="fk_run_input_tags_run_uuid_run_inputs",
        ),
        **CLUSTERED,
    )


def downgrade() -> None:
    for table in ("run_input_tags", "run_inputs", "datasets"):
        op.drop_table(table)
