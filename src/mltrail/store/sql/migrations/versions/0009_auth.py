"""Users, API tokens and permissions of ``mltrail server --auth``, in the tracking database.

Revision ID: 0009_auth
Revises: 0008_run_liveness
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_auth"
down_revision = "0008_run_liveness"
branch_labels = None
depends_on = None

# Frozen copies of the table options at the time of this revision.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
CLUSTERED = {**MYSQL, "sqlite_with_rowid": False}


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["auth_users.id"], name=f"fk_{table}_user_id_auth_users")


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_users"),
        sa.UniqueConstraint("username", name="uq_auth_users_username"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("expiry_time", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_sha256", name="uq_auth_tokens_token_sha256"),
        _user_fk("auth_tokens"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    for table, key in (("auth_experiment_permissions", sa.Column("experiment_id", sa.Integer(), nullable=False)),
                       ("auth_registered_model_permissions", sa.Column("name", sa.String(256), nullable=False))):
        op.create_table(
            table,
            key,
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("permission", sa.String(32), nullable=False),
            sa.PrimaryKeyConstraint(key.name, "user_id", name=f"pk_{table}"),
            _user_fk(table),
            **CLUSTERED,
        )
    op.create_table(
        "auth_settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_auth_settings"),
        **MYSQL,
    )


def downgrade() -> None:
    for table in ("auth_settings", "auth_registered_model_permissions", "auth_experiment_permissions",
                  "auth_tokens", "auth_users"):
        op.drop_table(table)
