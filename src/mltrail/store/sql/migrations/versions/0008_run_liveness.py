"""Crashed-run detection: ``run_owners`` (one heartbeat row per logging process) and ``runs.owner_id``.

A run created by a client that heartbeats (mltrail's) records its owner; a
RUNNING run whose owner stopped heartbeating for longer than the owner's
timeout is reported and stored as KILLED. Existing runs have no owner and are
never touched.

Revision ID: 0008_run_liveness
Revises: 0006_ui_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_run_liveness"
down_revision = "0007_ui_sorting"
branch_labels = None
depends_on = None

# Frozen copy of the table options at the time of this revision.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "run_owners",
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("heartbeat_time", sa.BigInteger(), nullable=False),
        sa.Column("timeout_ms", sa.BigInteger(), nullable=False),
        sa.Column("killed_time", sa.BigInteger(), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name="pk_run_owners"),
        **MYSQL,
    )
    op.add_column("runs", sa.Column("owner_id", sa.String(32), nullable=True))
    op.create_index("ix_runs_owner_id", "runs", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_owner_id", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("owner_id")
    op.drop_table("run_owners")
