"""MLflow 3 logged models in the SQL tracking store (mixed into :class:`SqlTrackingStore`).

>>> model = store.create_logged_model("1", name="model", source_run_id=run_id, params={"alpha": "0.5"})
>>> model.artifact_location
'/work/mltrail-artifacts/1/models/m-6c0f.../artifacts'
>>> store.finalize_logged_model(model.model_id, LoggedModelStatus.READY).status
<LoggedModelStatus.READY: 'READY'>

Filters of :meth:`LoggedModelOps.search_logged_models` follow MLflow's
grammar (comparisons joined by ``AND``) on ``name``, ``model_id``,
``status``, ``model_type``, ``source_run_id``, ``creation_timestamp``,
``last_updated_timestamp``, ``params.<key>``, ``tags.<key>`` and
``metrics.<key>`` (the model's latest value of the metric).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, Mapping, Optional, Sequence, Union

import sqlalchemy as sa

from ...entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    PagedList,
    Run,
    RunOutputs,
)
from ...exceptions import InvalidParameterError, ResourceNotFoundError
from ..search import check_max_results, decode_page_token, encode_page_token
from ..validation import validate_metric, validate_param, validate_tag
from ..clock import now_ms
from .logged_model_search import check_sha256, order_clauses, where_clauses
from .logged_model_statements import (
    FINALIZE_FIELDS,
    SELECT_METRICS,
    SELECT_MODELS,
    SELECT_PARAMS,
    SELECT_TAGS,
    LoggedModelStatements,
)
from .logged_model_tables import (
    MAX_DATASET_DIGEST_LENGTH,
    MAX_DATASET_NAME_LENGTH,
    MAX_LOGGED_MODEL_NAME_LENGTH,
    MAX_MODEL_TYPE_LENGTH,
    MAX_STATUS_MESSAGE_LENGTH,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_outputs,
)
from .models import runs
from .run_names import generate_run_name
from .statements import metric_from_db, metric_to_db

ParamsArg = Union[None, Mapping[str, Any], Sequence[LoggedModelParameter]]
TagsArg = Union[None, Mapping[str, Any], Sequence[LoggedModelTag]]

LOGGED_MODEL_MAX_RESULTS_DEFAULT = 100
LOGGED_MODEL_MAX_RESULTS_THRESHOLD = 50000


def new_model_id() -> str:
    """A fresh logged-model id: ``m-`` and 32 hex characters (as MLflow's).

    >>> len(new_model_id()), new_model_id()[:2]
    (34, 'm-')
    """
    return f"m-{uuid.uuid4().hex}"


def _pairs(values: Any, kind: str) -> list[tuple[str, str]]:
    """``{k: v}`` or ``[LoggedModelTag/Parameter]`` -> checked ``(key, str value)`` pairs."""
    if not values:
        return []
    items = values.items() if isinstance(values, Mapping) else ((v.key, v.value) for v in values)
    check = validate_param if kind == "param" else validate_tag
    return [check(k, "" if v is None else (v if isinstance(v, str) else str(v))) for k, v in items]


def _optional_text(value: Any, what: str, limit: int) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidParameterError(f"Invalid {what} {value!r}: expected a string of at most {limit} characters")
    return value


class LoggedModelOps:
    """Create, read, search, finalize and delete logged models; record run outputs."""

    @functools.cached_property
    def _logged_model_statements(self) -> LoggedModelStatements:
        """The create/finalize statements, compiled on first use."""
        return LoggedModelStatements(self._engine)  # type: ignore[attr-defined]

    # -- create / finalize ----------------------------------------------------
    def create_logged_model(
        self,
        experiment_id: str,
        name: Optional[str] = None,
        source_run_id: Optional[str] = None,
        tags: TagsArg = None,
        params: ParamsArg = None,
        model_type: Optional[str] = None,
        output_step: Optional[int] = None,
    ) -> LoggedModel:
        """Create a PENDING logged model in an active experiment (a readable name when none is given).

        Its files belong at ``<experiment artifact location>/models/<model_id>/artifacts``.
        With ``output_step`` (and a source run) the run's outputs record it in the same transaction.
        """
        if output_step is not None and (isinstance(output_step, bool) or not isinstance(output_step, int)):
            raise InvalidParameterError(f"Invalid step {output_step!r}: expected a whole number")
        exp_key = self._experiment_key(experiment_id)  # type: ignore[attr-defined]
        name = generate_run_name() if name is None else name
        if not isinstance(name, str) or not name or len(name) > MAX_LOGGED_MODEL_NAME_LENGTH or "/" in name:
            raise InvalidParameterError(
                f"Invalid logged model name {name!r}: expected a non-empty string without '/', "
                f"at most {MAX_LOGGED_MODEL_NAME_LENGTH} characters"
            )
        model_type = _optional_text(model_type, "model_type", MAX_MODEL_TYPE_LENGTH)
        tag_rows, param_rows = _pairs(tags, "tag"), _pairs(params, "param")
        model_id, now = new_model_id(), now_ms()
        stmts = self._logged_model_statements
        with self._raw_write() as cursor:  # type: ignore[attr-defined]
            experiment = self._hot.experiment_for_run  # type: ignore[attr-defined]
            cursor.execute(experiment.sql, experiment.args({"experiment_id": exp_key}))
            exp = cursor.fetchone()
            if exp is None:
                raise ResourceNotFoundError(f"No experiment with id {str(experiment_id)!r}: cannot log a model to it")
            artifact_root, stage = exp
            if stage != LifecycleStage.ACTIVE:
                raise InvalidParameterError(
                    f"Cannot log a model to experiment {str(experiment_id)!r}: it is deleted; restore it first"
                )
            if source_run_id is not None:
                cursor.execute(stmts.source_run.sql, stmts.source_run.args({"run_uuid": source_run_id, "name": name}))
                run_experiment, newest = cursor.fetchone()
                if run_experiment is None:
                    raise ResourceNotFoundError(f"Run with id {source_run_id!r} not found: cannot be a model's source")
                # runs:/<run>/<name> loads the newest model of that name: keep creation times strictly increasing
                if newest is not None and newest >= now:
                    now = newest + 1
            row = {
                "model_id": model_id,
                "experiment_id": exp_key,
                "name": name,
                "artifact_location": f"{artifact_root.rstrip('/')}/models/{model_id}/artifacts",
                "creation_timestamp_ms": now,
                "last_updated_timestamp_ms": now,
                "status": LoggedModelStatus.PENDING.value,
                "lifecycle_stage": LifecycleStage.ACTIVE,
                "model_type": model_type,
                "source_run_id": source_run_id,
            }
            cursor.execute(stmts.insert_model.sql, stmts.insert_model.args(row))
            model_tags, model_params = dict(tag_rows), dict(param_rows)
            if model_tags:
                cursor.executemany(stmts.insert_tag.sql, stmts.insert_tag.many(
                    {"model_id": model_id, "key": k, "value": v} for k, v in model_tags.items()))
            if model_params:
                cursor.executemany(stmts.insert_param.sql, stmts.insert_param.many(
                    {"model_id": model_id, "key": k, "value": v} for k, v in model_params.items()))
            if source_run_id is not None and output_step is not None:
                cursor.execute(stmts.insert_output.sql, stmts.insert_output.args(
                    {"run_uuid": source_run_id, "model_id": model_id, "step": output_step}))
        return LoggedModel(
            experiment_id=str(exp_key),
            model_id=model_id,
            name=name,
            artifact_location=row["artifact_location"],
            creation_timestamp=now,
            last_updated_timestamp=now,
            model_type=model_type,
            source_run_id=source_run_id,
            status=LoggedModelStatus.PENDING,
            tags=model_tags,
            params=model_params,
            metrics=[],
        )

    def finalize_logged_model(
        self,
        model_id: str,
        status: Union[str, LoggedModelStatus],
        mlmodel_sha256: Optional[str] = None,
        status_message: Optional[str] = None,
    ) -> LoggedModel:
        """Set the final status (READY or FAILED) and, for a saved model, the sha256 of its MLmodel."""
        status = LoggedModelStatus.from_string(status)
        if not status.is_finalized():
            raise InvalidParameterError(f"Invalid final status {status.value!r} for logged model {model_id!r}: must be READY or FAILED")
        values: dict[str, Any] = {"status": status.value, "last_updated_timestamp_ms": now_ms()}
        if mlmodel_sha256 is not None:
            values["mlmodel_sha256"] = check_sha256(mlmodel_sha256)
        if status_message is not None:
            values["status_message"] = _optional_text(status_message, "status_message", MAX_STATUS_MESSAGE_LENGTH)
        update = self._logged_model_statements.finalize(tuple(f for f in FINALIZE_FIELDS if f in values))
        with self._raw_write() as cursor:  # type: ignore[attr-defined]
            cursor.execute(update.sql, update.args({"model_id": model_id, **values}))
            if cursor.rowcount != 1:
                raise ResourceNotFoundError(f"Logged model with id {model_id!r} not found")
        with self._read() as conn:  # type: ignore[attr-defined]
            return self._load_logged_models(conn, [model_id])[0]

    # -- read -----------------------------------------------------------------
    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The model with its tags, params and metrics; ResourceNotFoundError for unknown or deleted ids."""
        with self._read() as conn:  # type: ignore[attr-defined]
            self._require_model(conn, model_id)
            return self._load_logged_models(conn, [model_id])[0]

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: Optional[str] = None,
        datasets: Optional[Sequence[Mapping[str, Any]]] = None,
        max_results: Optional[int] = None,
        order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Active models of the experiments matching ``filter_string``, ordered (newest first by default), paged.

        ``datasets`` (``[{"dataset_name": ..., "dataset_digest": ...}]``) keeps
        models with a metric measured on one of them; ``order_by`` takes
        MLflow's dicts (``{"field_name": "metrics.acc", "ascending": False}``)
        or strings (``"metrics.acc DESC"``).
        """
        limit = check_max_results(
            LOGGED_MODEL_MAX_RESULTS_DEFAULT if max_results is None else max_results, LOGGED_MODEL_MAX_RESULTS_THRESHOLD
        )
        exp_keys = [self._experiment_key(e) for e in experiment_ids]  # type: ignore[attr-defined]
        where = [
            logged_models.c.experiment_id.in_(exp_keys),
            logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE,
            *where_clauses(filter_string, datasets),
        ]
        offset = decode_page_token(page_token)
        stmt = (
            sa.select(logged_models.c.model_id)
            .where(*where)
            .order_by(*order_clauses(order_by, self._engine.dialect.name))  # type: ignore[attr-defined]
            .limit(limit + 1)
            .offset(offset)
        )
        with self._read() as conn:  # type: ignore[attr-defined]
            ids = list(conn.execute(stmt).scalars())
            found = self._load_logged_models(conn, ids[:limit])
        return PagedList(found, encode_page_token(offset + limit) if len(ids) > limit else None)

    def latest_logged_model_of_run(self, run_id: str, name: str) -> Optional[LoggedModel]:
        """The newest READY model named ``name`` that run ``run_id`` logged (``runs:/<run>/<name>``), or None.

        A model whose saving failed (FAILED) or is still in progress (PENDING) is skipped.
        """
        stmt = (
            sa.select(logged_models.c.model_id)
            .where(
                logged_models.c.source_run_id == run_id,
                logged_models.c.name == name,
                logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE,
                logged_models.c.status == LoggedModelStatus.READY.value,
            )
            .order_by(logged_models.c.creation_timestamp_ms.desc(), logged_models.c.model_id.desc())
            .limit(1)
        )
        with self._read() as conn:  # type: ignore[attr-defined]
            ids = list(conn.execute(stmt).scalars())
            return self._load_logged_models(conn, ids)[0] if ids else None

    # -- tags, params, metrics, outputs -----------------------------------------------
    def set_logged_model_tags(self, model_id: str, tags: TagsArg) -> None:
        """Set (insert or replace) tags of a model."""
        rows = dict(_pairs(tags, "tag"))
        with self._write() as conn:  # type: ignore[attr-defined]
            self._require_model(conn, model_id)
            if rows:
                conn.execute(
                    sa.delete(logged_model_tags).where(
                        logged_model_tags.c.model_id == model_id, logged_model_tags.c.key.in_(list(rows))
                    )
                )
                conn.execute(sa.insert(logged_model_tags), [{"model_id": model_id, "key": k, "value": v} for k, v in rows.items()])
            self._touch(conn, model_id)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete one tag; an unknown key raises ResourceNotFoundError."""
        with self._write() as conn:  # type: ignore[attr-defined]
            self._require_model(conn, model_id)
            gone = conn.execute(
                sa.delete(logged_model_tags).where(logged_model_tags.c.model_id == model_id, logged_model_tags.c.key == key)
            )
            if gone.rowcount == 0:
                raise ResourceNotFoundError(f"Logged model {model_id!r} has no tag {key!r}")
            self._touch(conn, model_id)

    def log_logged_model_params(self, model_id: str, params: ParamsArg) -> None:
        """Log params of a model: a new key is added, the same value again is fine, a changed one raises."""
        rows = dict(_pairs(params, "param"))
        with self._write() as conn:  # type: ignore[attr-defined]
            self._require_model(conn, model_id)
            existing = dict(
                conn.execute(
                    sa.select(logged_model_params.c.key, logged_model_params.c.value).where(
                        logged_model_params.c.model_id == model_id, logged_model_params.c.key.in_(list(rows))
                    )
                ).all()
            )
            for key, value in rows.items():
                if key in existing and existing[key] != value:
                    raise InvalidParameterError(
                        f"Param {key!r} of logged model {model_id!r} is {existing[key]!r}; it cannot be changed to "
                        f"{value!r} (params are immutable once logged)"
                    )
            new = [{"model_id": model_id, "key": k, "value": v} for k, v in rows.items() if k not in existing]
            if new:
                conn.execute(sa.insert(logged_model_params), new)
            self._touch(conn, model_id)

    def log_logged_model_metrics(self, run_id: Optional[str], metrics: Sequence[Metric]) -> None:
        """Link metric values to their ``metric.model_id`` (the run keeps them in its own metrics)."""
        rows = []
        for m in metrics:
            if m.model_id is None:
                continue
            key, value, timestamp, step = validate_metric(m.key, m.value, m.timestamp, m.step)
            stored, is_nan = metric_to_db(value, self._mysql)  # type: ignore[attr-defined]
            rows.append({
                "model_id": m.model_id, "key": key, "value": stored, "is_nan": is_nan, "timestamp": timestamp,
                "step": step, "run_uuid": run_id,
                "dataset_name": _optional_text(m.dataset_name, "dataset name", MAX_DATASET_NAME_LENGTH),
                "dataset_digest": _optional_text(m.dataset_digest, "dataset digest", MAX_DATASET_DIGEST_LENGTH),
            })
        if not rows:
            return
        with self._write() as conn:  # type: ignore[attr-defined]
            for model_id in {r["model_id"] for r in rows}:
                self._require_model(conn, model_id)
            conn.execute(sa.insert(logged_model_metrics), rows)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record that run ``run_id`` logged these models (``run.outputs``); logging one again keeps one row."""
        with self._write() as conn:  # type: ignore[attr-defined]
            if conn.execute(sa.select(runs.c.run_uuid).where(runs.c.run_uuid == run_id)).first() is None:
                raise ResourceNotFoundError(f"Run with id {run_id!r} not found")
            for out in models:
                self._require_model(conn, out.model_id)
                known = conn.execute(
                    sa.select(run_outputs.c.model_id).where(run_outputs.c.run_uuid == run_id, run_outputs.c.model_id == out.model_id)
                ).first()
                if known is None:
                    conn.execute(sa.insert(run_outputs).values(run_uuid=run_id, model_id=out.model_id, step=int(out.step or 0)))

    def get_run_outputs(self, run_id: str) -> list[LoggedModelOutput]:
        """The models run ``run_id`` logged, oldest first."""
        stmt = (
            sa.select(run_outputs.c.model_id, run_outputs.c.step)
            .join(logged_models, logged_models.c.model_id == run_outputs.c.model_id)
            .where(run_outputs.c.run_uuid == run_id)
            .order_by(logged_models.c.creation_timestamp_ms, logged_models.c.model_id)
        )
        with self._read() as conn:  # type: ignore[attr-defined]
            return [LoggedModelOutput(r.model_id, r.step) for r in conn.execute(stmt)]

    def delete_logged_model(self, model_id: str) -> None:
        """Soft delete: the model disappears from get and search (its files stay until garbage collection)."""
        with self._write() as conn:  # type: ignore[attr-defined]
            self._require_model(conn, model_id)
            conn.execute(
                sa.update(logged_models)
                .where(logged_models.c.model_id == model_id)
                .values(lifecycle_stage=LifecycleStage.DELETED, last_updated_timestamp_ms=now_ms())
            )

    def get_run(self, run_id: str) -> Run:
        """The run, with ``run.outputs`` listing the models it logged (MLflow 3)."""
        run = super().get_run(run_id)  # type: ignore[misc]
        run.outputs = RunOutputs(self.get_run_outputs(run_id))
        return run

    # -- helpers --------------------------------------------------------------
    @staticmethod
    def _require_model(conn: Any, model_id: Any) -> None:
        stage = conn.execute(
            sa.select(logged_models.c.lifecycle_stage).where(logged_models.c.model_id == model_id)
        ).scalar() if isinstance(model_id, str) else None
        if stage != LifecycleStage.ACTIVE:
            raise ResourceNotFoundError(f"Logged model with id {model_id!r} not found")

    @staticmethod
    def _touch(conn: Any, model_id: str) -> None:
        conn.execute(
            sa.update(logged_models).where(logged_models.c.model_id == model_id).values(last_updated_timestamp_ms=now_ms())
        )

    def _load_logged_models(self, conn: Any, ids: Sequence[str]) -> list[LoggedModel]:
        """Entities for ``ids`` in the order given, with tags, params and metrics (one query per table)."""
        if not ids:
            return []
        bound = {"ids": list(ids)}
        rows = {r.model_id: r for r in conn.execute(SELECT_MODELS, bound)}
        tags: dict[str, dict[str, str]] = {i: {} for i in ids}
        params: dict[str, dict[str, str]] = {i: {} for i in ids}
        found_metrics: dict[str, list[Metric]] = {i: [] for i in ids}
        for r in conn.execute(SELECT_TAGS, bound):
            tags[r.model_id][r.key] = r.value
        for r in conn.execute(SELECT_PARAMS, bound):
            params[r.model_id][r.key] = r.value
        for r in conn.execute(SELECT_METRICS, bound):
            found_metrics[r.model_id].append(
                Metric(r.key, metric_from_db(r.value, r.is_nan, self._mysql), r.timestamp, r.step,  # type: ignore[attr-defined]
                       model_id=r.model_id, dataset_name=r.dataset_name, dataset_digest=r.dataset_digest, run_id=r.run_uuid)
            )
        return [
            LoggedModel(
                experiment_id=str(r.experiment_id),
                model_id=r.model_id,
                name=r.name,
                artifact_location=r.artifact_location,
                creation_timestamp=r.creation_timestamp_ms,
                last_updated_timestamp=r.last_updated_timestamp_ms,
                model_type=r.model_type,
                source_run_id=r.source_run_id,
                status=LoggedModelStatus.from_string(r.status),
                status_message=r.status_message,
                tags=tags[r.model_id],
                params=params[r.model_id],
                metrics=found_metrics[r.model_id],
                mlmodel_sha256=r.mlmodel_sha256,
            )
            for r in (rows.get(i) for i in ids)
            if r is not None
        ]
