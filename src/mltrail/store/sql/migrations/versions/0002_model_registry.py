"""Model registry tables: registered models, their tags and aliases, model versions,
version tags and the stage-transition history.

Revision ID: 0002_model_registry
Revises: 0001_tracking_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_model_registry"
down_revision = "0001_tracking_tables"
branch_labels = None
depends_on = None

# Frozen copies of the table options and lengths at the time of this revision.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
NAME = 256
TAG_KEY = 250
ALIAS = 255
TEXT = 5000
URI = 1000
CASCADE = {"onupdate": "CASCADE", "ondelete": "CASCADE"}


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(TEXT), nullable=True),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_registered_models"),
        **MYSQL,
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("key", sa.String(TAG_KEY), nullable=False),
        sa.Column("value", sa.String(TEXT), nullable=True),
        sa.PrimaryKeyConstraint("name", "key", name="pk_registered_model_tags"),
        sa.ForeignKeyConstraint(
            ["name"], ["registered_models.name"], name="fk_registered_model_tags_name_registered_models", **CASCADE
        ),
        **MYSQL,
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("alias", sa.String(ALIAS), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "alias", name="pk_registered_model_aliases"),
        sa.ForeignKeyConstraint(
            ["name"], ["registered_models.name"], name="fk_registered_model_aliases_name_registered_models", **CASCADE
        ),
        **MYSQL,
    )
    op.create_table(
        "model_versions",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(TEXT), nullable=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.String(URI), nullable=False),
        sa.Column("storage_location", sa.String(URI), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("run_link", sa.String(URI), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_message", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("name", "version", name="pk_model_versions"),
        sa.ForeignKeyConstraint(
            ["name"], ["registered_models.name"], name="fk_model_versions_name_registered_models", **CASCADE
        ),
        **MYSQL,
    )
    op.create_table(
        "model_version_tags",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(TAG_KEY), nullable=False),
        sa.Column("value", sa.String(TEXT), nullable=True),
        sa.PrimaryKeyConstraint("name", "version", "key", name="pk_model_version_tags"),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            name="fk_model_version_tags_name_model_versions",
            **CASCADE,
        ),
        **MYSQL,
    )
    op.create_table(
        "model_version_stage_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(20), nullable=False),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_version_stage_transitions"),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            name="fk_model_version_stage_transitions_name_model_versions",
            **CASCADE,
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_model_version_stage_transitions_name_version",
        "model_version_stage_transitions",
        ["name", "version"],
    )


def downgrade() -> None:
    for table in (
        "model_version_stage_transitions",
        "model_version_tags",
        "model_versions",
        "registered_model_aliases",
        "registered_model_tags",
        "registered_models",
    ):
        op.drop_table(table)
