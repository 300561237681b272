"""The SQL tracking store: :class:`SqlTrackingStore` over SQLite, PostgreSQL or MySQL/MariaDB.

>>> from mltrail.store.sql import SqlTrackingStore
>>> store = SqlTrackingStore("sqlite:///mlflow.db")
>>> experiment_id = store.create_experiment("nyc-taxi-experiment")
>>> run = store.create_run(experiment_id, "ana", None, run_name="baseline")
>>> store.log_metric(run.info.run_id, Metric("rmse", 6.9, 1700000000000, 0))
>>> store.close()

The parts live in their own modules: :mod:`.experiment_ops` (experiments),
:mod:`.run_ops` (runs and logging), :mod:`.search_ops` (search),
:mod:`.logged_model_ops` (MLflow 3 logged models), on the
shared :mod:`.core` (engine, schema, transactions).
"""

from __future__ import annotations

from typing import Optional

from ..base import TrackingStore
from .experiment_ops import ExperimentOps
from .logged_model_ops import LoggedModelOps
from .run_ops import RunOps
from .search_ops import SearchOps


class SqlTrackingStore(LoggedModelOps, SearchOps, RunOps, ExperimentOps, TrackingStore):
    """Tracking store on a SQL database named by a SQLAlchemy URI.

    ``artifact_root`` (default :func:`mltrail.config.default_artifact_root`)
    is where experiments created without an artifact location keep their
    artifacts: ``<artifact_root>/<experiment_id>``.

    >>> store = SqlTrackingStore("postgresql://mltrail@db/mltrail", artifact_root="s3://bucket/mltrail")
    """

    def __init__(self, db_uri: str, artifact_root: Optional[str] = None) -> None:
        super().__init__(db_uri, artifact_root)
