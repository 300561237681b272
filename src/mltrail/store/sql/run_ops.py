"""Run operations of the SQL tracking store: create/update/delete runs and log to them.

The logging paths run pre-compiled statements on a DBAPI cursor, one
transaction per call; a batch of more than :data:`BATCH_CHUNK_ROWS` metrics is
written in several transactions of at most that many rows, so that other
writers get the database between them (see :meth:`RunOps.log_batch`). ``log_metric`` needs no separate read: the metric row
is inserted only if the run exists and is active (``INSERT ... SELECT ...
WHERE EXISTS``), and the row count tells whether it was; ``latest_metrics``
is upserted in the same transaction.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any, Iterator, Optional, Sequence

import sqlalchemy as sa

from ... import _system_tags

from ...entities import DatasetInput, LifecycleStage, Metric, Param, Run, RunData, RunInfo, RunStatus, RunTag
from ...exceptions import InvalidParameterError, InvalidStateError, ResourceAlreadyExistsError, ResourceNotFoundError
from ..validation import (
    validate_key,
    validate_hex_id,
    validate_metric,
    validate_owner_id,
    validate_param,
    validate_run_id,
    validate_run_name,
    validate_tag,
    validate_timestamp,
    validate_user_id,
)
from ..clock import now_ms
from .dataset_ops import DatasetOps, check_inputs
from .liveness_ops import LivenessOps
from .models import metrics, runs, tags
from .run_names import generate_run_name
from .run_reader import load_runs, run_info_from_row
from .statements import LATEST_METRIC_COLUMNS, METRIC_COLUMNS, metric_from_db, metric_to_db

RUN_NAME_TAG = _system_tags.RUN_NAME
PARENT_RUN_TAG = _system_tags.PARENT_RUN_ID
_NAME_TAGS = (RUN_NAME_TAG, "mltrail.runName")  # the second: the name mltrail 0.1 wrote

#: Most metric rows one transaction writes; a bigger batch is written in chunks of this size.
BATCH_CHUNK_ROWS = 10_000
#: Seconds a chunked batch waits between chunks on SQLite, so that a waiting writer's busy
#: handler (which retries every few to 100 ms) finds the write lock free.
SQLITE_CHUNK_PAUSE_S = 0.02


class RunOps(LivenessOps, DatasetOps):
    """Runs and what is logged to them."""

    # -- lifecycle ----------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: Optional[int],
        tags: Sequence[RunTag] = (),
        run_name: Optional[str] = None,
        status: str = "RUNNING",
        owner_id: Optional[str] = None,
        run_id: Optional[str] = None,
    ) -> Run:
        """Create a run in an active experiment.

        ``run_id``: a chosen id (32 hex characters) instead of a new uuid4, for creates a client may
        retry; ResourceAlreadyExistsError when a run has it.

        ``owner_id``: the heartbeating process that runs it (see :mod:`.liveness_ops`); a RUNNING
        run whose owner stops heartbeating is reported KILLED.

        >>> run = store.create_run("0", "ana", None, run_name="baseline")
        >>> run.data.tags["mlflow.runName"]
        'baseline'
        """
        exp_key = self._experiment_key(experiment_id)
        user_id = validate_user_id(user_id)
        start_time = validate_timestamp(start_time, "run start_time")
        if start_time is None:
            start_time = now_ms()
        status = RunStatus.to_string(status)
        tag_map: dict[str, str] = {}
        for tag in tags:
            key, value = validate_tag(tag.key, tag.value)
            tag_map[key] = value
        if run_name is None or run_name == "":
            run_name = next((tag_map[k] for k in _NAME_TAGS if tag_map.get(k)), None) or generate_run_name()
        run_name = validate_run_name(run_name)
        tag_map[RUN_NAME_TAG] = run_name
        chosen = validate_hex_id(run_id, "run id")
        run_id = chosen or uuid.uuid4().hex
        hot = self._hot
        with self._raw_write() as cursor, self._refusing_taken_id(chosen):
            cursor.execute(hot.experiment_for_run.sql, hot.experiment_for_run.args({"experiment_id": exp_key}))
            row = cursor.fetchone()
            if row is None:
                raise ResourceNotFoundError(f"No experiment with id {str(experiment_id)!r}: cannot create a run in it")
            location, stage = row
            if stage != LifecycleStage.ACTIVE:
                raise InvalidStateError(
                    f"Cannot create a run in experiment {str(experiment_id)!r}: it is deleted; restore it first"
                )
            artifact_uri = f"{location.rstrip('/')}/{run_id}/artifacts"
            info = RunInfo(
                run_id=run_id,
                experiment_id=str(exp_key),
                run_name=run_name,
                user_id=user_id,
                status=status,
                start_time=start_time,
                end_time=None,
                artifact_uri=artifact_uri,
                lifecycle_stage=LifecycleStage.ACTIVE,
            )
            cursor.execute(
                hot.insert_run.sql,
                hot.insert_run.args(
                    {
                        "run_uuid": run_id,
                        "name": run_name,
                        "user_id": user_id,
                        "status": status,
                        "start_time": start_time,
                        "end_time": None,
                        "lifecycle_stage": LifecycleStage.ACTIVE,
                        "artifact_uri": artifact_uri,
                        "experiment_id": exp_key,
                        "owner_id": validate_owner_id(owner_id),
                    }
                ),
            )
            cursor.executemany(
                hot.upsert_tag.sql,
                hot.upsert_tag.many({"run_uuid": run_id, "key": k, "value": v} for k, v in tag_map.items()),
            )
        return Run(info=info, data=RunData(tags=tag_map))

    @contextlib.contextmanager
    def _refusing_taken_id(self, chosen: Optional[str]) -> Iterator[None]:
        """Turn the duplicate-key error of a chosen run id into ResourceAlreadyExistsError."""
        try:
            yield
        except self._dbapi_integrity_error as exc:  # type: ignore[misc]
            if chosen is None:
                raise
            raise ResourceAlreadyExistsError(f"A run with id {chosen!r} already exists") from exc

    def get_run(self, run_id: str) -> Run:
        """The run with its params, tags and latest metric values.

        >>> store.get_run(run_id).data.metrics["rmse"]
        6.9
        """
        self.reap_dead_runs_if_due()
        with self._read() as conn:
            found = load_runs(conn, [run_id], self._mysql)
        if not found:
            raise ResourceNotFoundError(f"Run with id {run_id!r} not found")
        return found[0]

    def get_run_info(self, run_id: str) -> RunInfo:
        """The run's info only (no params, tags or metrics): one indexed read.

        >>> store.get_run_info(run_id).artifact_uri
        '/srv/mltrail-artifacts/1/5f0c.../artifacts'
        """
        hot = self._hot
        with self._raw_read() as cursor:
            cursor.execute(hot.run_info.sql, hot.run_info.args({"run_uuid": run_id}))
            found = cursor.fetchall()  # to the end: a SQLite read left open would pin its snapshot
        if not found:
            raise ResourceNotFoundError(f"Run with id {run_id!r} not found")
        return run_info_from_row(found[0])

    def get_run_params(self, run_id: str) -> dict[str, str]:
        """The run's params alone: one indexed read (``{}`` for a run without params).

        >>> store.get_run_params(run_id)
        {'alpha': '0.5'}
        """
        hot = self._hot
        with self._raw_read() as cursor:
            cursor.execute(hot.run_params.sql, hot.run_params.args({"run_uuid": run_id}))
            return dict(cursor.fetchall())

    def update_run_info(
        self,
        run_id: str,
        run_status: Optional[str] = None,
        end_time: Optional[int] = None,
        run_name: Optional[str] = None,
        owner_id: Optional[str] = None,
    ) -> RunInfo:
        """Change a run's status, end time and/or name (the name tag follows).

        Setting the status RUNNING (resuming a run) also makes ``owner_id`` its owner (None: no
        owner, so the run is never presumed dead).

        >>> store.update_run_info(run_id, "FINISHED", end_time=1700000000000).status
        'FINISHED'
        """
        values = self._run_update_values(run_status, end_time, run_name)
        if values.get("status") == RunStatus.RUNNING.value:
            values["owner_id"] = validate_owner_id(owner_id)
        with self._raw_write() as cursor:
            return self._update_run(cursor, run_id, values, name_tag=True)

    def finish_run(
        self,
        run_id: str,
        status: str,
        end_time: Optional[int],
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        datasets: Sequence[DatasetInput] = (),
    ) -> RunInfo:
        """Log a last batch (and dataset inputs) and end the run in one transaction: all of it or none.

        More than :data:`BATCH_CHUNK_ROWS` metrics are written first in chunks (as
        :meth:`log_batch` does), then the last chunk, params, tags and the end of
        the run together.

        >>> store.finish_run(run_id, "FINISHED", 1700000000000, metrics=[Metric("rmse", 6.9, ts, 0)]).status
        'FINISHED'
        """
        metric_rows, latest, param_map, tag_map = self._checked_batch(run_id, metrics, params, tags)
        inputs = check_inputs(datasets) if datasets else []
        values = self._run_update_values(status, end_time, tag_map.get(RUN_NAME_TAG))
        if len(metric_rows) > BATCH_CHUNK_ROWS:  # all but the last chunk first, the run still active
            cut = (len(metric_rows) - 1) // BATCH_CHUNK_ROWS * BATCH_CHUNK_ROWS
            self._write_metric_chunks(run_id, metric_rows[:cut])
            metric_rows = metric_rows[cut:]
            latest = latest_rows(metric_rows)
            self._pause_between_chunks()
        for attempt in (1, 2):
            try:
                with self._raw_write() as cursor:
                    info = self._update_run(cursor, run_id, values, name_tag=False)
                    self._write_rows(cursor, run_id, metric_rows, latest, param_map, tag_map, rename=False)
                    self._write_inputs(cursor, run_id, int(info.experiment_id), inputs)
                return info
            except self._dbapi_integrity_error:  # type: ignore[misc]
                if attempt == 2:  # a concurrent param insert (see log_batch): the second try compares
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _run_update_values(
        run_status: Optional[str], end_time: Optional[int], run_name: Optional[str]
    ) -> dict[str, Any]:
        """Validated new values of the run row, keyed by :data:`RUN_UPDATE_FIELDS` (in that order)."""
        values: dict[str, Any] = {}
        if run_status is not None:
            values["status"] = RunStatus.to_string(run_status)
        if end_time is not None:
            values["end_time"] = validate_timestamp(end_time, "run end_time")
        if run_name:
            values["name"] = validate_run_name(run_name)
        return values

    def _update_run(self, cursor: Any, run_id: str, values: dict[str, Any], name_tag: bool) -> RunInfo:
        """Update an active run's row inside the caller's transaction and return its new info.

        A run that is missing or deleted raises (nothing changed). With
        ``name_tag`` a new name is also written to the ``mlflow.runName`` tag.
        """
        hot = self._hot
        update = hot.update_run(tuple(values))
        cursor.execute(update.sql, update.args({"run_uuid": run_id, **values}))
        if hot.update_returning:
            returned = cursor.fetchall()  # to the end: SQLite then finishes the statement
            row = returned[0] if returned else None
            updated = row is not None
        else:
            row = None
            updated = cursor.rowcount == 1
        if not updated:
            self._check_run_writable(cursor, run_id)  # raises: the run is missing or deleted
        if name_tag and "name" in values:
            cursor.execute(
                hot.upsert_tag.sql, hot.upsert_tag.args({"run_uuid": run_id, "key": RUN_NAME_TAG, "value": values["name"]})
            )
        if row is None:
            cursor.execute(hot.run_info.sql, hot.run_info.args({"run_uuid": run_id}))
            row = cursor.fetchall()[0]
        return run_info_from_row(row)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (``restore_run`` undoes it).

        >>> store.delete_run(run_id)
        """
        self._set_run_stage(run_id, LifecycleStage.DELETED, now_ms())

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run.

        >>> store.restore_run(run_id)
        """
        self._set_run_stage(run_id, LifecycleStage.ACTIVE, None)

    def _set_run_stage(self, run_id: str, stage: str, deleted_time: Optional[int]) -> None:
        with self._write() as conn:
            result = conn.execute(
                runs.update().where(runs.c.run_uuid == run_id).values(lifecycle_stage=stage, deleted_time=deleted_time)
            )
            if result.rowcount == 0:
                raise ResourceNotFoundError(f"Run with id {run_id!r} not found")

    # -- logging ---------------------------------------------------------------------------
    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Log one metric value, committed before returning.

        >>> store.log_metric(run_id, Metric("rmse", 6.9, 1700000000000, 0))
        """
        key, value, timestamp, step = validate_metric(metric.key, metric.value, metric.timestamp, metric.step)
        stored, is_nan = metric_to_db(value, self._mysql)
        run_id = validate_run_id(run_id)  # before the insert: PostgreSQL refuses an over-long id in it
        row = {"run_uuid": run_id, "key": key, "value": stored, "timestamp": timestamp, "step": step, "is_nan": is_nan}
        hot = self._hot
        with self._raw_write() as cursor:
            cursor.execute(hot.insert_metric_if_active.sql, hot.insert_metric_if_active.args(row))
            if cursor.rowcount != 1:
                self._check_run_writable(cursor, run_id)
            row["min_value"] = row["max_value"] = None if is_nan else stored
            cursor.execute(hot.upsert_latest_metric.sql, hot.upsert_latest_metric.args(row))

    def log_param(self, run_id: str, param: Param) -> None:
        """Log a param; re-logging the same value is fine, another value is an error.

        >>> store.log_param(run_id, Param("alpha", "0.01"))
        """
        self.log_batch(run_id, params=[param])

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Set (or overwrite) a run tag; ``mlflow.runName`` renames the run.

        >>> store.set_tag(run_id, RunTag("developer", "ana"))
        """
        self.log_batch(run_id, tags=[tag])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag; an unknown key raises ResourceNotFoundError.

        >>> store.delete_tag(run_id, "developer")
        """
        validate_key(key, "tag")
        with self._write() as conn:
            stage = conn.execute(sa.select(runs.c.lifecycle_stage).where(runs.c.run_uuid == run_id)).scalar()
            self._raise_for_run_state(run_id, stage)
            result = conn.execute(tags.delete().where(tags.c.run_uuid == run_id, tags.c.key == key))
            if result.rowcount == 0:
                raise ResourceNotFoundError(f"No tag with key {key!r} in run {run_id!r}")

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        datasets: Sequence[DatasetInput] = (),
    ) -> None:
        """Log metrics, params, tags (and dataset inputs) in one transaction: all of them or none.

        Atomicity: everything is validated before anything is written. A batch
        of at most :data:`BATCH_CHUNK_ROWS` metrics is one transaction. A bigger
        one is written in chunks of that many metric rows, each its own
        transaction (other writers interleave between them): the first holds
        the params, tags, dataset inputs and first metrics, all or none; if a
        later chunk fails (the store lost, the run deleted meanwhile) the chunks
        before it stay written, and logging the same batch again completes it
        without duplicates (a metric row repeated exactly is kept once).

        >>> store.log_batch(run_id, metrics=[Metric("rmse", 6.9, ts, 0)], params=[Param("alpha", "0.01")])
        """
        metric_rows, latest, param_map, tag_map = self._checked_batch(run_id, metrics, params, tags)
        inputs = check_inputs(datasets) if datasets else []
        if not (metric_rows or param_map or tag_map or inputs):
            self.get_run_info(run_id)  # an empty batch still reports an unknown run
            return
        rest: list[tuple] = []
        if len(metric_rows) > BATCH_CHUNK_ROWS:
            metric_rows, rest = metric_rows[:BATCH_CHUNK_ROWS], metric_rows[BATCH_CHUNK_ROWS:]
            latest = latest_rows(metric_rows)
        for attempt in (1, 2):
            try:
                with self._raw_write() as cursor:
                    if inputs:
                        experiment_id = self._writable_run_experiment(cursor, run_id)
                    else:
                        self._check_run_writable(cursor, run_id)
                    self._write_rows(cursor, run_id, metric_rows, latest, param_map, tag_map, rename=True)
                    if inputs:
                        self._write_inputs(cursor, run_id, experiment_id, inputs)
                break
            except self._dbapi_integrity_error:  # type: ignore[misc]
                # another writer added one of these params between our read and our insert
                # (PostgreSQL/MySQL): run again, which compares with the value it stored
                if attempt == 2:
                    raise
        if rest:
            self._pause_between_chunks()
            self._write_metric_chunks(run_id, rest)

    def _write_metric_chunks(self, run_id: str, rows: list[tuple]) -> None:
        """Write metric rows in transactions of at most BATCH_CHUNK_ROWS, each checking the run is active."""
        for start in range(0, len(rows), BATCH_CHUNK_ROWS):
            if start:
                self._pause_between_chunks()
            chunk = rows[start : start + BATCH_CHUNK_ROWS]
            with self._raw_write() as cursor:
                self._check_run_writable(cursor, run_id)
                self._write_rows(cursor, run_id, chunk, latest_rows(chunk), {}, {}, rename=False)

    def _pause_between_chunks(self) -> None:
        """Leave the SQLite write lock free for a moment (server databases lock rows, not the file)."""
        if self._sqlite:
            time.sleep(SQLITE_CHUNK_PAUSE_S)

    def _checked_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
    ) -> tuple[list[tuple], list[tuple], dict[str, str], dict[str, str]]:
        """Validate a batch before any write: metric rows, latest metric rows, params, tags."""
        metric_rows, latest = self._metric_rows(run_id, metrics)
        param_map = self._checked_params(params)
        tag_map: dict[str, str] = {}
        for tag in tags:
            key, value = validate_tag(tag.key, tag.value)
            tag_map[key] = value
        if RUN_NAME_TAG in tag_map:
            validate_run_name(tag_map[RUN_NAME_TAG])
        return metric_rows, latest, param_map, tag_map

    def _write_rows(
        self,
        cursor: Any,
        run_id: str,
        metric_rows: list[tuple],
        latest: list[tuple],
        param_map: dict[str, str],
        tag_map: dict[str, str],
        rename: bool,
    ) -> None:
        """Write a validated batch to a run known to be active, inside the caller's transaction.

        ``rename``: a ``mlflow.runName`` tag also renames the run row (the
        caller does it itself otherwise).
        """
        hot = self._hot
        if param_map:
            cursor.execute(hot.run_params.sql, hot.run_params.args({"run_uuid": run_id}))
            existing = dict(cursor.fetchall())
            for key, value in param_map.items():
                old = existing.get(key)
                if old is not None and old != value:
                    raise InvalidParameterError(
                        f"Param {key!r} of run {run_id!r} was already logged with value {old!r}; it "
                        f"cannot be changed to {value!r} (params are immutable: use a new key or a new run)"
                    )
            new = [{"run_uuid": run_id, "key": k, "value": v} for k, v in param_map.items() if k not in existing]
            if new:
                cursor.executemany(hot.insert_param.sql, hot.insert_param.many(new))
        if tag_map:
            cursor.executemany(
                hot.upsert_tag.sql,
                hot.upsert_tag.many({"run_uuid": run_id, "key": k, "value": v} for k, v in tag_map.items()),
            )
            name = tag_map.get(RUN_NAME_TAG)
            if rename and name is not None:
                cursor.execute(hot.rename_run.sql, hot.rename_run.args({"run_uuid": run_id, "name": name}))
        if metric_rows:
            cursor.executemany(hot.insert_metric.sql, hot.insert_metric.rows(METRIC_COLUMNS, metric_rows))
            upsert_latest = hot.upsert_latest_metric
            cursor.executemany(upsert_latest.sql, upsert_latest.rows(LATEST_METRIC_COLUMNS, latest))

    def _metric_rows(self, run_id: str, batch: Sequence[Metric]) -> tuple[list[tuple], list[tuple]]:
        """Validated metric rows (tuples ordered as METRIC_COLUMNS), and per key the latest row
        with the batch's lowest and highest non-NaN values (ordered as LATEST_METRIC_COLUMNS)."""
        rows: list[tuple] = []
        mysql = self._mysql
        for metric in batch:
            key, value, timestamp, step = validate_metric(metric.key, metric.value, metric.timestamp, metric.step)
            if value != value or mysql:
                stored, is_nan = metric_to_db(value, mysql)
            else:
                stored, is_nan = value, False
            rows.append((run_id, key, stored, timestamp, step, is_nan))
        return rows, latest_rows(rows)

    @staticmethod
    def _checked_params(batch: Sequence[Param]) -> dict[str, str]:
        checked: dict[str, str] = {}
        for param in batch:
            key, value = validate_param(param.key, param.value)
            if key in checked and checked[key] != value:
                raise InvalidParameterError(
                    f"Param {key!r} appears twice in one batch with different values "
                    f"{checked[key]!r} and {value!r}: a param has one value"
                )
            checked[key] = value
        return checked

    def get_metric_history(self, run_id: str, metric_key: str) -> list[Metric]:
        """Every logged value of a metric, ordered by step then timestamp.

        >>> [m.value for m in store.get_metric_history(run_id, "rmse")]
        [7.2, 6.9]
        """
        with self._read() as conn:
            exists = conn.execute(sa.select(runs.c.run_uuid).where(runs.c.run_uuid == run_id)).first()
            if exists is None:
                raise ResourceNotFoundError(f"Run with id {run_id!r} not found")
            rows = conn.execute(
                sa.select(metrics.c.key, metrics.c.value, metrics.c.timestamp, metrics.c.step, metrics.c.is_nan)
                .where(metrics.c.run_uuid == run_id, metrics.c.key == metric_key)
                .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.value)
            ).all()
        return [Metric(r.key, metric_from_db(r.value, r.is_nan, self._mysql), r.timestamp, r.step) for r in rows]


def latest_rows(rows: list[tuple]) -> list[tuple]:
    """Per key of metric rows ordered as METRIC_COLUMNS: the latest row (highest step, then
    timestamp; ties: last) with the rows' lowest and highest non-NaN values appended
    (ordered as LATEST_METRIC_COLUMNS; None, None when every value is NaN)."""
    latest: dict[str, tuple] = {}
    extremes: dict[str, list[float]] = {}
    for row in rows:
        best = latest.get(row[1])
        if best is None or row[4] > best[4] or (row[4] == best[4] and row[3] >= best[3]):
            latest[row[1]] = row
        if not row[5]:
            low_high = extremes.get(row[1])
            if low_high is None:
                extremes[row[1]] = [row[2], row[2]]
            elif row[2] < low_high[0]:
                low_high[0] = row[2]
            elif row[2] > low_high[1]:
                low_high[1] = row[2]
    return [(*row, *extremes.get(row[1], (None, None))) for row in latest.values()]
