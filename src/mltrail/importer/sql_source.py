"""MLflow's SQL schema (SQLite, PostgreSQL, MySQL) read by SQLAlchemy reflection, without MLflow.

The tables are reflected, so columns MLflow added over its revisions
(``deleted_time``, datasets, logged models, aliases, workspaces...) are read
when present. The database must be at one of MLflow's Alembic revisions
(:mod:`.mlflow_revisions`). Metric rows are streamed with server-side cursors.

>>> source = SqlSource("sqlite:///mlflow.db")
>>> source.description
'MLflow SQL store sqlite:///mlflow.db at revision dc11669786a5'
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterator, Optional, Sequence

import sqlalchemy as sa

from .mlflow_revisions import KNOWN_REVISIONS, NEWEST_KNOWN
from .source import (
    RUN_CHUNK,
    ExperimentRecord,
    LoggedModelRecord,
    RegisteredModelRecord,
    Source,
    SourceCounts,
    SourceError,
)

_REQUIRED = ("experiments", "runs", "params", "tags", "metrics")
_OPTIONAL = (
    "experiment_tags", "datasets", "inputs", "input_tags", "logged_models", "logged_model_params",
    "logged_model_tags", "logged_model_metrics", "registered_models", "registered_model_tags",
    "registered_model_aliases", "model_versions", "model_version_tags",
)
_MYSQL_MAX = 1.7976931348623157e308
_LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


def _engine_uri(uri: str) -> str:
    """Plain ``postgresql://`` / ``mysql://`` get the drivers mltrail installs (psycopg 3, PyMySQL)."""
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        return "postgresql+psycopg://" + uri.split("://", 1)[1]
    if uri.startswith("mysql://"):
        return "mysql+pymysql://" + uri[len("mysql://") :]
    return uri


def _redact(uri: str) -> str:
    return sa.engine.make_url(uri).render_as_string(hide_password=True)


class SqlSource(Source):
    """An MLflow tracking database (see the module docstring)."""

    def __init__(self, uri: str, artifact_root: Optional[str] = None) -> None:
        self.uri = uri
        self.artifact_root = os.path.abspath(artifact_root) if artifact_root and "://" not in artifact_root else artifact_root
        if uri.startswith("sqlite:"):
            path = sa.engine.make_url(uri).database
            if not path or not os.path.isfile(path):
                raise SourceError(f"--from {uri!r}: no SQLite database file at {path!r}")
        try:
            self._engine = sa.create_engine(_engine_uri(uri))
            names = set(sa.inspect(self._engine).get_table_names())
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"--from {_redact(uri)!r}: cannot read the database ({str(exc).splitlines()[0]})") from None
        missing = [t for t in (*_REQUIRED, "alembic_version") if t not in names]
        if missing:
            raise SourceError(
                f"--from {_redact(uri)!r} is not an MLflow tracking database: it has no {', '.join(missing)} "
                f"table(s) (found: {', '.join(sorted(names)) or 'no tables'})"
            )
        with self._engine.connect() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if revision not in KNOWN_REVISIONS:
            raise SourceError(
                f"--from {_redact(uri)!r} is at Alembic revision {revision!r}, which is not one MLflow 1.x-3.17 "
                f"writes (newest known: {NEWEST_KNOWN}, MLflow 3.17); upgrade mltrail, or migrate the database "
                "with the MLflow that wrote it"
            )
        self.revision = revision
        meta = sa.MetaData()
        meta.reflect(self._engine, only=[t for t in (*_REQUIRED, *_OPTIONAL) if t in names])
        self.t = meta.tables
        self._mysql = self._engine.dialect.name in ("mysql", "mariadb")
        self.description = f"MLflow SQL store {_redact(uri)} at revision {revision}"

    def close(self) -> None:
        self._engine.dispose()

    def _rows(self, stmt: Any) -> list[Any]:
        with self._engine.connect() as conn:
            return list(conn.execute(stmt))

    def _by_runs(self, table: str, columns: Sequence[str], run_ids: Sequence[str], key: str = "run_uuid") -> Iterator[Any]:
        """Rows of ``table`` whose ``key`` is one of ``run_ids``, streamed (bounded memory on every database).

        On SQLite the DBAPI cursor streams by itself and is read directly (a third of the time of
        SQLAlchemy rows over a million metric rows); PostgreSQL/MySQL use server-side cursors.
        """
        t = self.t[table]
        with self._engine.connect() as conn:
            for start in range(0, len(run_ids), RUN_CHUNK):
                chunk = list(run_ids[start : start + RUN_CHUNK])
                stmt = sa.select(*(t.c[c] for c in columns)).where(t.c[key].in_(chunk))
                if self._engine.dialect.name == "sqlite":
                    compiled = stmt.compile(dialect=self._engine.dialect, compile_kwargs={"render_postcompile": True})
                    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                    try:
                        cursor.execute(str(compiled), [compiled.params[name] for name in compiled.positiontup or ()])
                        while rows := cursor.fetchmany(10_000):
                            yield from rows
                    finally:
                        cursor.close()
                    continue
                result = conn.execution_options(stream_results=True, yield_per=10_000).execute(stmt)
                for partition in result.partitions():
                    yield from partition

    # -- experiments and runs ----------------------------------------------------------
    def experiments(self) -> list[ExperimentRecord]:
        e = self.t["experiments"]
        tags: dict[int, dict[str, str]] = {}
        if "experiment_tags" in self.t:
            et = self.t["experiment_tags"]
            for row in self._rows(sa.select(et.c.experiment_id, et.c.key, et.c.value)):
                tags.setdefault(int(row.experiment_id), {})[row.key] = row.value
        out = []
        for row in self._rows(sa.select(e).order_by(e.c.experiment_id)):
            m = row._mapping
            out.append(
                ExperimentRecord(
                    experiment_id=int(m["experiment_id"]),
                    name=m["name"],
                    artifact_location=m["artifact_location"] or "",
                    lifecycle_stage=m["lifecycle_stage"] or "active",
                    creation_time=m.get("creation_time"),
                    last_update_time=m.get("last_update_time"),
                    tags=tags.get(int(m["experiment_id"]), {}),
                )
            )
        return out

    def run_ids(self, experiment_id: int) -> list[str]:
        r = self.t["runs"]
        return [row[0] for row in self._rows(sa.select(r.c.run_uuid).where(r.c.experiment_id == experiment_id).order_by(r.c.run_uuid))]

    def runs(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        r = self.t["runs"]
        columns = [c for c in ("run_uuid", "name", "user_id", "status", "start_time", "end_time", "deleted_time",
                               "lifecycle_stage", "artifact_uri", "experiment_id") if c in r.c]
        out = []
        for row in self._by_runs("runs", columns, run_ids):
            m = dict(zip(columns, row))
            m.setdefault("deleted_time", None)
            m["experiment_id"] = int(m["experiment_id"])
            m["name"] = m.get("name") or ""
            m["user_id"] = m.get("user_id") or ""
            m["lifecycle_stage"] = m.get("lifecycle_stage") or "active"
            m["artifact_uri"] = m.get("artifact_uri") or ""
            out.append(m)
        return out

    def params(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        for row in self._by_runs("params", ("run_uuid", "key", "value"), run_ids):
            yield row[0], row[1], row[2]

    def tags(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        for row in self._by_runs("tags", ("run_uuid", "key", "value"), run_ids):
            yield row[0], row[1], row[2] if row[2] is not None else ""

    def metrics(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, float, int, int]]:
        mysql = self._mysql
        for run_uuid, key, value, timestamp, step, is_nan in self._by_runs(
            "metrics", ("run_uuid", "key", "value", "timestamp", "step", "is_nan"), run_ids
        ):
            if is_nan:
                value = math.nan
            elif mysql and abs(value) >= _MYSQL_MAX:
                value = math.copysign(math.inf, value)
            yield run_uuid, key, float(value), int(timestamp), int(step or 0)

    def inputs(self, run_ids: Sequence[str]) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        if not {"datasets", "inputs"} <= set(self.t):
            return []
        d = self.t["datasets"]
        links = [
            row for row in self._by_runs("inputs", ("input_uuid", "source_type", "source_id", "destination_id"), run_ids, "destination_id")
            if row[1] == "DATASET"
        ]
        if not links:
            return []
        dataset_ids = sorted({row[2] for row in links})
        found = {}
        for start in range(0, len(dataset_ids), RUN_CHUNK):
            stmt = sa.select(d).where(d.c.dataset_uuid.in_(dataset_ids[start : start + RUN_CHUNK]))
            for row in self._rows(stmt):
                m = row._mapping
                found[m["dataset_uuid"]] = {
                    "name": m["name"], "digest": m["digest"], "dataset_source_type": m["dataset_source_type"],
                    "dataset_source": m["dataset_source"], "dataset_schema": m["dataset_schema"],
                    "dataset_profile": m["dataset_profile"],
                }
        tags: dict[str, dict[str, str]] = {}
        if "input_tags" in self.t:
            it = self.t["input_tags"]
            input_ids = [row[0] for row in links]
            for start in range(0, len(input_ids), RUN_CHUNK):
                stmt = sa.select(it.c.input_uuid, it.c.name, it.c.value).where(it.c.input_uuid.in_(input_ids[start : start + RUN_CHUNK]))
                for row in self._rows(stmt):
                    tags.setdefault(row.input_uuid, {})[row.name] = row.value
        return [(row[3], found[row[2]], tags.get(row[0], {})) for row in links if row[2] in found]

    # -- logged models (MLflow 3) --------------------------------------------------------------
    def logged_models(self, experiment_id: int) -> list[LoggedModelRecord]:
        if "logged_models" not in self.t:
            return []
        lm = self.t["logged_models"]
        rows = self._rows(sa.select(lm).where(lm.c.experiment_id == experiment_id).order_by(lm.c.model_id))
        if not rows:
            return []
        ids = [row._mapping["model_id"] for row in rows]

        def key_values(table: str, key: str = "param_key", value: str = "param_value") -> dict[str, dict[str, str]]:
            out: dict[str, dict[str, str]] = {}
            if table in self.t:
                t = self.t[table]
                for row in self._rows(sa.select(t.c.model_id, t.c[key], t.c[value]).where(t.c.model_id.in_(ids))):
                    out.setdefault(row[0], {})[row[1]] = row[2]
            return out

        params = key_values("logged_model_params")
        tags = key_values("logged_model_tags", "tag_key", "tag_value")
        metrics: dict[str, list[dict[str, Any]]] = {}
        if "logged_model_metrics" in self.t:
            mt = self.t["logged_model_metrics"]
            for row in self._rows(sa.select(mt).where(mt.c.model_id.in_(ids))):
                m = row._mapping
                value = m["metric_value"]
                metrics.setdefault(m["model_id"], []).append(
                    {
                        "key": m["metric_name"], "value": math.nan if value is None else float(value),
                        "timestamp": m["metric_timestamp_ms"], "step": m["metric_step"], "run_uuid": m["run_id"],
                        "dataset_name": m.get("dataset_name"), "dataset_digest": m.get("dataset_digest"),
                    }
                )
        out = []
        for row in rows:
            m = dict(row._mapping)
            status = m["status"]
            out.append(
                LoggedModelRecord(
                    row={
                        "model_id": m["model_id"], "experiment_id": int(m["experiment_id"]), "name": m["name"],
                        "artifact_location": m["artifact_location"],
                        "creation_timestamp_ms": m["creation_timestamp_ms"],
                        "last_updated_timestamp_ms": m["last_updated_timestamp_ms"],
                        "status": _LOGGED_MODEL_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
                        "lifecycle_stage": m.get("lifecycle_stage") or "active", "model_type": m.get("model_type"),
                        "source_run_id": m.get("source_run_id"), "status_message": m.get("status_message"),
                    },
                    params=params.get(m["model_id"], {}),
                    tags=tags.get(m["model_id"], {}),
                    metrics=metrics.get(m["model_id"], []),
                )
            )
        return out

    def run_outputs(self, run_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        if "inputs" not in self.t:
            return []
        columns = ["source_type", "source_id", "destination_type", "destination_id"]
        if "step" in self.t["inputs"].c:
            columns.append("step")
        out = []
        for row in self._by_runs("inputs", columns, run_ids, "source_id"):
            if row[0] == "RUN_OUTPUT" and row[2] == "MODEL_OUTPUT":
                out.append((row[1], row[3], int(row[4]) if len(row) > 4 and row[4] is not None else 0))
        return out

    # -- registry --------------------------------------------------------------------------------
    def registered_models(self) -> list[RegisteredModelRecord]:
        if "registered_models" not in self.t:
            return []
        rm, mv = self.t["registered_models"], self.t["model_versions"]

        def grouped(table: str, *columns: str) -> dict[Any, list[Any]]:
            out: dict[Any, list[Any]] = {}
            if table in self.t:
                t = self.t[table]
                for row in self._rows(sa.select(*(t.c[c] for c in columns))):
                    out.setdefault(row[0], []).append(row[1:])
            return out

        model_tags = grouped("registered_model_tags", "name", "key", "value")
        aliases = grouped("registered_model_aliases", "name", "alias", "version")
        version_tags: dict[tuple[str, int], dict[str, str]] = {}
        if "model_version_tags" in self.t:
            vt = self.t["model_version_tags"]
            for row in self._rows(sa.select(vt.c.name, vt.c.version, vt.c.key, vt.c.value)):
                version_tags.setdefault((row.name, int(row.version)), {})[row.key] = row.value
        versions: dict[str, list[tuple[dict[str, Any], dict[str, str]]]] = {}
        for row in self._rows(sa.select(mv).order_by(mv.c.name, mv.c.version)):
            m = row._mapping
            version = int(m["version"])
            source = m["source"] or ""
            versions.setdefault(m["name"], []).append(
                (
                    {
                        "name": m["name"], "version": version, "creation_time": m["creation_time"] or 0,
                        "last_updated_time": m["last_updated_time"] or m["creation_time"] or 0,
                        "description": m["description"], "user_id": m["user_id"],
                        "current_stage": m["current_stage"] or "None", "source": source,
                        "storage_location": m.get("storage_location") or source, "run_id": m["run_id"] or None,
                        "run_link": m["run_link"] or None, "status": m["status"] or "READY",
                        "status_message": m["status_message"],
                        "model_id": source[len("models:/") :] if source.startswith("models:/m-") else None,
                    },
                    version_tags.get((m["name"], version), {}),
                )
            )
        out = []
        for row in self._rows(sa.select(rm).order_by(rm.c.name)):
            m = row._mapping
            name = m["name"]
            own = versions.get(name, [])
            out.append(
                RegisteredModelRecord(
                    row={
                        "name": name, "creation_time": m["creation_time"] or 0,
                        "last_updated_time": m["last_updated_time"] or m["creation_time"] or 0,
                        "description": m["description"], "last_version": max((v["version"] for v, _ in own), default=0),
                    },
                    tags={k: v for k, v in model_tags.get(name, [])},
                    aliases={a: int(v) for a, v in aliases.get(name, [])},
                    versions=own,
                )
            )
        return out

    # -- counts ----------------------------------------------------------------------------------
    def counts(self, experiment_id: int) -> SourceCounts:
        r = self.t["runs"]
        ids = sa.select(r.c.run_uuid).where(r.c.experiment_id == experiment_id).scalar_subquery()

        def count(table: str, where: Any) -> Any:
            return sa.select(sa.func.count()).select_from(self.t[table]).where(where).scalar_subquery()

        models: Any = sa.literal(0)
        if "logged_models" in self.t:
            models = count("logged_models", self.t["logged_models"].c.experiment_id == experiment_id)
        row = self._rows(
            sa.select(
                count("runs", r.c.experiment_id == experiment_id),
                count("params", self.t["params"].c.run_uuid.in_(ids)),
                count("metrics", self.t["metrics"].c.run_uuid.in_(ids)),
                count("tags", self.t["tags"].c.run_uuid.in_(ids)),
                models,
            )
        )[0]
        return SourceCounts(*(int(v) for v in row))


__all__ = ["SqlSource"]
