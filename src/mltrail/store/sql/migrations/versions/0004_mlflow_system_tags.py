"""System tags take MLflow's names: ``mltrail.runName`` -> ``mlflow.runName`` and the rest.

mltrail 0.1 wrote its system tags (run name, parent run, user, source, git
commit, note, autologging) and the dataset-use context under ``mltrail.``;
MLflow scripts read and filter them under ``mlflow.``. This revision renames
them in place. Where a run already carries both names (a user set the MLflow
name by hand), the MLflow name's value is kept and the old row dropped.

Revision ID: 0004_mlflow_system_tags
Revises: 0003_dataset_inputs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_mlflow_system_tags"
down_revision = "0003_dataset_inputs"
branch_labels = None
depends_on = None

# Frozen copy of the names at the time of this revision (old -> new).
RUN_TAGS = {
    "mltrail.user": "mlflow.user",
    "mltrail.source.name": "mlflow.source.name",
    "mltrail.source.type": "mlflow.source.type",
    "mltrail.source.git.commit": "mlflow.source.git.commit",
    "mltrail.source.git.branch": "mlflow.source.git.branch",
    "mltrail.runName": "mlflow.runName",
    "mltrail.parentRunId": "mlflow.parentRunId",
    "mltrail.note.content": "mlflow.note.content",
    "mltrail.autologging": "mlflow.autologging",
}
INPUT_TAGS = {"mltrail.data.context": "mlflow.data.context"}


def _rename(table: str, owner_columns: str, names: dict[str, str]) -> None:
    # The inner SELECT is wrapped in a derived table: MySQL refuses a subquery
    # on the table being updated otherwise.
    rename = sa.text(
        f"UPDATE {table} SET {_key()} = :new WHERE {_key()} = :old AND ({owner_columns}) NOT IN "
        f"(SELECT {owner_columns} FROM (SELECT {owner_columns} FROM {table} WHERE {_key()} = :new) AS kept)"
    )
    drop = sa.text(f"DELETE FROM {table} WHERE {_key()} = :old")
    bind = op.get_bind()
    for old, new in names.items():
        bind.execute(rename, {"old": old, "new": new})
        bind.execute(drop, {"old": old})


def _key() -> str:
    # "key" is a reserved word on MySQL/MariaDB.
    return "`key`" if op.get_bind().dialect.name == "mysql" else '"key"'


def upgrade() -> None:
    _rename("tags", "run_uuid", RUN_TAGS)
    _rename("run_input_tags", "run_uuid, dataset_uuid", INPUT_TAGS)


def downgrade() -> None:
    _rename("tags", "run_uuid", {new: old for old, new in RUN_TAGS.items()})
    _rename("run_input_tags", "run_uuid, dataset_uuid", {new: old for old, new in INPUT_TAGS.items()})
