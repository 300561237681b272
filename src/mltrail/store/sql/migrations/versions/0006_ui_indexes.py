"""What the web UI's runs table needs at 100,000 runs: parent lookups by index, min/max kept per metric.

- ``ix_tags_parent_run``: the ``mlflow.parentRunId`` tags by value, so a
  parent's children and the page's child counts are index lookups. On SQLite
  and PostgreSQL it is a partial index over those tags only (tag values reach
  8,000 characters, more than a PostgreSQL b-tree entry holds; run ids are
  32); MySQL/MariaDB have no partial indexes and index ``(key, value(191))``.
- ``latest_metrics.min_value`` / ``max_value``: the lowest and highest
  non-NaN value of each metric of a run, kept by the same upsert that keeps
  the latest value (no extra statement on the hot path), so the table shows
  and sorts on ``metrics.x:min`` without aggregating the whole history.
  Existing rows are filled from ``metrics``.

Revision ID: 0006_ui_indexes
Revises: 0005_logged_models
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_ui_indexes"
down_revision = "0005_logged_models"
branch_labels = None
depends_on = None

# Frozen copy of the parent-run tag's name at the time of this revision.
PARENT_TAG = "'mlflow.parentRunId'"


def upgrade() -> None:
    op.add_column("latest_metrics", sa.Column("min_value", sa.Double(), nullable=True))
    op.add_column("latest_metrics", sa.Column("max_value", sa.Double(), nullable=True))
    for column, func in (("min_value", "min"), ("max_value", "max")):
        op.execute(
            f"UPDATE latest_metrics SET {column} = (SELECT {func}(m.value) FROM metrics m "
            "WHERE m.run_uuid = latest_metrics.run_uuid AND m.key = latest_metrics.key AND m.is_nan = false)"
        )
    op.create_index(
        "ix_tags_parent_run",
        "tags",
        ["key", "value"],
        mysql_length={"value": 191},
        sqlite_where=sa.text(f"key = {PARENT_TAG}"),
        postgresql_where=sa.text(f"key = {PARENT_TAG}"),
    )


def downgrade() -> None:
    op.drop_index("ix_tags_parent_run", table_name="tags")
    op.drop_column("latest_metrics", "max_value")
    op.drop_column("latest_metrics", "min_value")
