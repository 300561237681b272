"""Bulk writes of rows copied from another tracking store (``mltrail import-mlflow``), ids kept.

:class:`BulkImport` opens one write transaction (:meth:`BulkImport.transaction`)
in which an importer inserts an experiment, its runs, params, tags, metric
histories, dataset inputs and logged models, or a registered model with its
versions, with the ids they had in the source: all of it commits together or
nothing does. The statements are the store's own (the hot-path statements of
:mod:`.statements` and :mod:`.dataset_ops`, compiled once per engine), run with
``executemany`` on the DBAPI cursor; ``latest_metrics`` is kept by the same
upsert ``log_batch`` uses. Reads that decide what is already there (ids taken,
names taken) and the counts the importer verifies with are here too.

>>> bulk = BulkImport(store)
>>> with bulk.transaction() as tx:
...     tx.experiment({"experiment_id": 7, "name": "nyc-taxi", ...}, {"team": "ml"})
...     tx.runs([{"run_uuid": "5f0c...", "experiment_id": 7, ...}])
...     tx.metrics([("5f0c...", "rmse", 6.9, 1700000000000, 0, False)])
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Sequence

import sqlalchemy as sa

from .dataset_ops import DatasetStatements
from .dataset_tables import dataset_uuid
from .logged_model_tables import (
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_outputs,
)
from .models import experiment_tags, experiments, metrics, params, runs, tags
from .registry_tables import (
    SqlModelVersion,
    SqlModelVersionTag,
    SqlRegisteredModel,
    SqlRegisteredModelAlias,
    SqlRegisteredModelTag,
)
from .run_ops import latest_rows
from .statements import LATEST_METRIC_COLUMNS, METRIC_COLUMNS, Prepared, insert_ignoring_duplicates, metric_to_db
from .tracking_store import SqlTrackingStore

#: Columns of an imported run row, in this order.
RUN_ROW_COLUMNS = (
    "run_uuid", "name", "user_id", "status", "start_time", "end_time", "deleted_time",
    "lifecycle_stage", "artifact_uri", "experiment_id",
)


@dataclass(frozen=True)
class TargetCounts:
    """What one experiment holds in the target (compared with the source by the importer)."""

    runs: int
    params: int
    metrics: int
    tags: int
    logged_models: int


def _insert(table: sa.Table, engine: sa.engine.Engine, columns: Optional[Sequence[str]] = None) -> Prepared:
    names = columns or [c.name for c in table.c if not (c.primary_key and c.autoincrement is True and c.name == "id")]
    return Prepared(table.insert().values({c: sa.bindparam(c) for c in names}), engine)


class _Statements:
    """Insert statements of every imported table, compiled once for the target engine."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.experiment = _insert(experiments, engine)
        self.experiment_tag = _insert(experiment_tags, engine)
        self.run = _insert(runs, engine, RUN_ROW_COLUMNS)
        self.param = _insert(params, engine)
        self.tag = _insert(tags, engine)
        lm_columns = [c.name for c in logged_model_metrics.c if c.name != "id"]
        self.logged_model = _insert(logged_models, engine)
        self.logged_model_param = _insert(logged_model_params, engine)
        self.logged_model_tag = _insert(logged_model_tags, engine)
        self.logged_model_metric = _insert(logged_model_metrics, engine, lm_columns)
        self.run_output = Prepared(
            insert_ignoring_duplicates(engine, run_outputs, ["run_uuid", "model_id"]).values(
                {c: sa.bindparam(c) for c in run_outputs.c.keys()}
            ),
            engine,
        )
        self.registered_model = _insert(SqlRegisteredModel.__table__, engine)
        self.registered_model_tag = _insert(SqlRegisteredModelTag.__table__, engine)
        self.registered_model_alias = _insert(SqlRegisteredModelAlias.__table__, engine)
        self.model_version = _insert(SqlModelVersion.__table__, engine)
        self.model_version_tag = _insert(SqlModelVersionTag.__table__, engine)


class BulkTransaction:
    """The writes of one import transaction (see :class:`BulkImport`); rows are plain dicts and tuples."""

    def __init__(self, store: SqlTrackingStore, statements: _Statements, cursor: Any) -> None:
        self._store = store
        self._s = statements
        self._cursor = cursor
        self._mysql = store._mysql

    def _many(self, prepared: Prepared, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._cursor.executemany(prepared.sql, prepared.many(rows))

    def experiment(self, row: dict[str, Any], tag_map: dict[str, str]) -> None:
        """Insert an experiment with its id (PostgreSQL's id sequence is moved past it) and its tags."""
        self._many(self._s.experiment, [row])
        self._many(
            self._s.experiment_tag,
            [{"experiment_id": row["experiment_id"], "key": k, "value": v} for k, v in tag_map.items()],
        )
        if self._store.engine.dialect.name == "postgresql":
            self._cursor.execute(
                "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
                "GREATEST((SELECT MAX(experiment_id) FROM experiments), 1))"
            )

    def runs(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert run rows (keys: :data:`RUN_ROW_COLUMNS`)."""
        self._many(self._s.run, rows)

    def params(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Insert ``(run_uuid, key, value)`` params."""
        self._many(self._s.param, [{"run_uuid": r, "key": k, "value": v} for r, k, v in rows])

    def tags(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Insert ``(run_uuid, key, value)`` run tags."""
        self._many(self._s.tag, [{"run_uuid": r, "key": k, "value": v} for r, k, v in rows])

    def metrics(self, rows: Sequence[tuple[str, str, float, int, int]]) -> None:
        """Insert ``(run_uuid, key, value, timestamp, step)`` metric rows (NaN and +-inf as logged) and
        keep ``latest_metrics`` as ``log_batch`` does."""
        mysql = self._mysql
        stored = []
        by_run: dict[str, list[tuple]] = {}
        for run_uuid, key, value, timestamp, step in rows:
            value, is_nan = metric_to_db(value, mysql)
            row = (run_uuid, key, value, timestamp, step, is_nan)
            stored.append(row)
            by_run.setdefault(run_uuid, []).append(row)
        if not stored:
            return
        hot = self._store._hot
        self._cursor.executemany(hot.insert_metric.sql, hot.insert_metric.rows(METRIC_COLUMNS, stored))
        latest = hot.upsert_latest_metric
        newest = [row for run_rows in by_run.values() for row in latest_rows(run_rows)]  # latest_rows: one run's rows
        self._cursor.executemany(latest.sql, latest.rows(LATEST_METRIC_COLUMNS, newest))

    def inputs(self, experiment_id: int, rows: Sequence[tuple[str, dict[str, Any], dict[str, str]]]) -> None:
        """Insert ``(run_uuid, dataset row, input tags)`` dataset inputs (dataset ids derived as mltrail's)."""
        statements: DatasetStatements = self._store._dataset_statements
        dataset_rows, input_rows, tag_rows = {}, {}, []
        for run_uuid, dataset, tag_map in rows:
            uuid = dataset_uuid(experiment_id, dataset["name"], dataset["digest"])
            dataset_rows[uuid] = {**dataset, "dataset_uuid": uuid, "experiment_id": experiment_id}
            input_rows[(run_uuid, uuid)] = {"run_uuid": run_uuid, "dataset_uuid": uuid}
            tag_rows += [{"run_uuid": run_uuid, "dataset_uuid": uuid, "key": k, "value": v} for k, v in tag_map.items()]
        self._many(statements.insert_dataset, list(dataset_rows.values()))
        self._many(statements.insert_input, list(input_rows.values()))
        self._many(statements.upsert_tag, tag_rows)

    def logged_model(
        self,
        row: dict[str, Any],
        param_map: dict[str, str],
        tag_map: dict[str, str],
        metric_rows: Sequence[dict[str, Any]],
    ) -> None:
        """Insert a logged model (row keyed by ``logged_models``' columns) with its params, tags, metrics."""
        model_id = row["model_id"]
        self._many(self._s.logged_model, [row])
        self._many(self._s.logged_model_param, [{"model_id": model_id, "key": k, "value": v} for k, v in param_map.items()])
        self._many(self._s.logged_model_tag, [{"model_id": model_id, "key": k, "value": v} for k, v in tag_map.items()])
        rows = []
        for metric in metric_rows:
            value, is_nan = metric_to_db(metric["value"], self._mysql)
            rows.append({**metric, "model_id": model_id, "value": value, "is_nan": is_nan})
        self._many(self._s.logged_model_metric, rows)

    def run_outputs(self, rows: Sequence[tuple[str, str, int]]) -> None:
        """Insert ``(run_uuid, model_id, step)``: the run logged that model."""
        self._many(self._s.run_output, [{"run_uuid": r, "model_id": m, "step": s} for r, m, s in rows])

    def registered_model(
        self,
        row: dict[str, Any],
        tag_map: dict[str, str],
        aliases: dict[str, int],
        versions: Sequence[tuple[dict[str, Any], dict[str, str]]],
    ) -> None:
        """Insert a registered model (its ``last_version`` row included), tags, aliases, versions with tags."""
        name = row["name"]
        self._many(self._s.registered_model, [row])
        self._many(self._s.registered_model_tag, [{"name": name, "key": k, "value": v} for k, v in tag_map.items()])
        self._many(
            self._s.registered_model_alias, [{"name": name, "alias": a, "version": v} for a, v in aliases.items()]
        )
        self._many(self._s.model_version, [version for version, _ in versions])
        self._many(
            self._s.model_version_tag,
            [
                {"name": name, "version": version["version"], "key": k, "value": v}
                for version, tag_map in versions
                for k, v in tag_map.items()
            ],
        )


class BulkImport:
    """Import transactions and the reads an importer needs on one SQL tracking store (module docstring)."""

    def __init__(self, store: SqlTrackingStore) -> None:
        self._store = store

    @functools.cached_property
    def _statements(self) -> _Statements:
        return _Statements(self._store.engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[BulkTransaction]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        >>> with BulkImport(store).transaction() as tx:
        ...     tx.runs(rows)
        """
        statements = self._statements
        with self._store._raw_write() as cursor:
            yield BulkTransaction(self._store, statements, cursor)

    # -- what is already there -----------------------------------------------------------
    def experiment(self, experiment_id: int) -> Optional[tuple[str, str]]:
        """``(name, lifecycle_stage)`` of the experiment with this id, or None."""
        with self._store._read() as conn:
            row = conn.execute(
                sa.select(experiments.c.name, experiments.c.lifecycle_stage).where(
                    experiments.c.experiment_id == experiment_id
                )
            ).first()
        return (row.name, row.lifecycle_stage) if row else None

    def experiment_location(self, experiment_id: int) -> Optional[str]:
        """The artifact location of the experiment with this id, or None."""
        with self._store._read() as conn:
            return conn.execute(
                sa.select(experiments.c.artifact_location).where(experiments.c.experiment_id == experiment_id)
            ).scalar()

    def experiment_id_by_name(self, name: str) -> Optional[int]:
        """The id of the experiment named ``name``, or None."""
        with self._store._read() as conn:
            return conn.execute(sa.select(experiments.c.experiment_id).where(experiments.c.name == name)).scalar()

    def runs_present(self, run_ids: Sequence[str]) -> dict[str, tuple[int, Optional[int]]]:
        """``{run_uuid: (experiment_id, start_time)}`` of those of ``run_ids`` the store holds."""
        found: dict[str, tuple[int, Optional[int]]] = {}
        with self._store._read() as conn:
            for start in range(0, len(run_ids), 500):
                chunk = list(run_ids[start : start + 500])
                rows = conn.execute(
                    sa.select(runs.c.run_uuid, runs.c.experiment_id, runs.c.start_time).where(runs.c.run_uuid.in_(chunk))
                )
                found.update({r.run_uuid: (int(r.experiment_id), r.start_time) for r in rows})
        return found

    def logged_models_present(self, model_ids: Sequence[str]) -> dict[str, int]:
        """``{model_id: experiment_id}`` of those of ``model_ids`` the store holds."""
        if not model_ids:
            return {}
        with self._store._read() as conn:
            rows = conn.execute(
                sa.select(logged_models.c.model_id, logged_models.c.experiment_id).where(
                    logged_models.c.model_id.in_(list(model_ids))
                )
            )
            return {r.model_id: int(r.experiment_id) for r in rows}

    def model_versions(self, name: str) -> Optional[dict[int, tuple[Optional[str], int]]]:
        """``{version: (run_id, creation_time)}`` of the registered model ``name``; None if there is none."""
        versions = SqlModelVersion.__table__
        registered = SqlRegisteredModel.__table__
        with self._store._read() as conn:
            if conn.execute(sa.select(registered.c.name).where(registered.c.name == name)).first() is None:
                return None
            rows = conn.execute(
                sa.select(versions.c.version, versions.c.run_id, versions.c.creation_time).where(versions.c.name == name)
            )
            return {int(r.version): (r.run_id, int(r.creation_time)) for r in rows}

    def counts(self, run_ids: Sequence[str], model_ids: Sequence[str] = ()) -> TargetCounts:
        """Runs, params, metric rows and run tags of the runs ``run_ids``, and how many of ``model_ids`` exist.

        >>> BulkImport(store).counts(run_ids).metrics
        1000000
        """
        totals = [0, 0, 0, 0]
        with self._store._read() as conn:
            for start in range(0, len(run_ids), 500):
                chunk = list(run_ids[start : start + 500])
                for i, (table, column) in enumerate(
                    ((runs, runs.c.run_uuid), (params, params.c.run_uuid), (metrics, metrics.c.run_uuid), (tags, tags.c.run_uuid))
                ):
                    totals[i] += int(
                        conn.execute(sa.select(sa.func.count()).select_from(table).where(column.in_(chunk))).scalar_one()
                    )
        return TargetCounts(*totals, logged_models=len(self.logged_models_present(model_ids)))


__all__ = ["BulkImport", "BulkTransaction", "RUN_ROW_COLUMNS", "TargetCounts"]
