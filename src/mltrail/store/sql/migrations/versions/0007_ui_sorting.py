"""What the runs table's sorts on ``metrics.x:min``/``:max`` and its param filters need at 100,000 runs.

- ``latest_metrics (key, min_value)`` and ``(key, max_value)``: a sort on a
  metric's minimum or maximum walks the index in order and stops at the end
  of the page instead of sorting every run.
- ``ix_params_key_value``: params by key and (the start of) value, so
  ``params.x = 'v'`` / ``IN`` read the matching runs off an index. Param values
  reach 6,000 characters, more than a PostgreSQL b-tree entry holds (~2,700
  bytes), so the index holds the first :data:`PARAM_PREFIX` characters:
  ``substr(value, 1, 200)`` on SQLite and PostgreSQL (an expression index;
  the search adds that condition beside ``value = 'v'``), a ``value(200)``
  prefix on MySQL/MariaDB (which has no expression indexes before MySQL 8).

Revision ID: 0007_ui_sorting
Revises: 0006_ui_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_ui_sorting"
down_revision = "0006_ui_indexes"
branch_labels = None
depends_on = None

# Frozen copy of the indexed prefix length at the time of this revision.
PARAM_PREFIX = 200


def upgrade() -> None:
    op.create_index("ix_latest_metrics_key_min", "latest_metrics", ["key", "min_value"])
    op.create_index("ix_latest_metrics_key_max", "latest_metrics", ["key", "max_value"])
    if op.get_bind().dialect.name == "mysql":
        op.create_index("ix_params_key_value", "params", ["key", "value"], mysql_length={"value": PARAM_PREFIX})
    else:
        op.create_index("ix_params_key_value", "params", ["key", sa.text(f"substr(value, 1, {PARAM_PREFIX})")])


def downgrade() -> None:
    op.drop_index("ix_params_key_value", table_name="params")
    op.drop_index("ix_latest_metrics_key_max", table_name="latest_metrics")
    op.drop_index("ix_latest_metrics_key_min", table_name="latest_metrics")
