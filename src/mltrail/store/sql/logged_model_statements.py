"""Pre-built statements of the logged-model write path (``log_model`` runs them on every call).

``log_model`` creates a PENDING model and finalizes it READY: both run here on the DBAPI
cursor, as the run hot paths do (:mod:`.statements`), instead of building SQLAlchemy Core
expressions per call. The reads of whole models (:data:`SELECT_MODELS` and friends) are Core
statements built once with an expanding ``ids`` parameter, so SQLAlchemy's compiled cache
serves them.

>>> stmts = LoggedModelStatements(engine)
>>> cursor.execute(stmts.insert_model.sql, stmts.insert_model.args(row))
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...entities import LifecycleStage
from .logged_model_tables import logged_model_metrics, logged_model_params, logged_model_tags, logged_models, run_outputs
from .models import runs
from .statements import Prepared

#: Columns of a new ``logged_models`` row, in :attr:`LoggedModelStatements.insert_model`'s parameters.
MODEL_COLUMNS = (
    "model_id", "experiment_id", "name", "artifact_location", "creation_timestamp_ms",
    "last_updated_timestamp_ms", "status", "lifecycle_stage", "model_type", "source_run_id",
)
#: Columns :meth:`LoggedModelStatements.finalize` may set besides the status and update time.
FINALIZE_FIELDS = ("mlmodel_sha256", "status_message")

_IDS = sa.bindparam("ids", expanding=True)
SELECT_MODELS = sa.select(logged_models).where(logged_models.c.model_id.in_(_IDS))
SELECT_TAGS = sa.select(logged_model_tags).where(logged_model_tags.c.model_id.in_(_IDS))
SELECT_PARAMS = sa.select(logged_model_params).where(logged_model_params.c.model_id.in_(_IDS))
SELECT_METRICS = (
    sa.select(logged_model_metrics)
    .where(logged_model_metrics.c.model_id.in_(_IDS))
    .order_by(logged_model_metrics.c.key, logged_model_metrics.c.step, logged_model_metrics.c.timestamp, logged_model_metrics.c.id)
)


def _pairs_insert(table: sa.Table) -> sa.Insert:
    return table.insert().values(model_id=sa.bindparam("model_id"), key=sa.bindparam("key"), value=sa.bindparam("value"))


class LoggedModelStatements:
    """The statements of ``create_logged_model`` and ``finalize_logged_model`` for one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._finalizers: dict[tuple[str, ...], Prepared] = {}
        source_run_experiment = sa.select(runs.c.experiment_id).where(runs.c.run_uuid == sa.bindparam("run_uuid"))
        newest_of_name = sa.select(sa.func.max(logged_models.c.creation_timestamp_ms)).where(
            logged_models.c.source_run_id == sa.bindparam("run_uuid"), logged_models.c.name == sa.bindparam("name")
        )
        #: ``(experiment of the source run or NULL, newest creation time of a model of that name in it)``.
        self.source_run = Prepared(
            sa.select(source_run_experiment.scalar_subquery(), newest_of_name.scalar_subquery()), engine
        )
        self.insert_model = Prepared(logged_models.insert().values({c: sa.bindparam(c) for c in MODEL_COLUMNS}), engine)
        self.insert_tag = Prepared(_pairs_insert(logged_model_tags), engine)
        self.insert_param = Prepared(_pairs_insert(logged_model_params), engine)
        self.insert_output = Prepared(
            run_outputs.insert().values(
                run_uuid=sa.bindparam("run_uuid"), model_id=sa.bindparam("model_id"), step=sa.bindparam("step")
            ),
            engine,
        )

    def finalize(self, fields: tuple[str, ...]) -> Prepared:
        """``UPDATE logged_models SET status, last_updated_timestamp_ms[, fields] WHERE model_id AND active``.

        ``fields`` is a tuple of :data:`FINALIZE_FIELDS` (in that order); the row count says
        whether the model exists and is not deleted. Built on first use per set of fields.
        """
        prepared = self._finalizers.get(fields)
        if prepared is None:
            columns = ("status", "last_updated_timestamp_ms", *fields)
            stmt = (
                logged_models.update()
                .where(
                    logged_models.c.model_id == sa.bindparam("model_id"),
                    logged_models.c.lifecycle_stage == sa.literal_column(f"'{LifecycleStage.ACTIVE}'"),
                )
                .values({c: sa.bindparam(c) for c in columns})
            )
            prepared = self._finalizers[fields] = Prepared(stmt, self._engine)
        return prepared


__all__ = ["FINALIZE_FIELDS", "LoggedModelStatements", "MODEL_COLUMNS", "SELECT_METRICS", "SELECT_MODELS", "SELECT_PARAMS", "SELECT_TAGS"]
